package postgres_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"segbridge/internal/store"
	"segbridge/internal/store/postgres"
	"segbridge/internal/store/postgres/pgtest"
	"segbridge/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	pgtest.Base(t) // skips without PostgreSQL, fails so in CI
	storetest.Run(t, func(t *testing.T) store.Store {
		st, err := postgres.Open(context.Background(), pgtest.URL(t))
		require.NoError(t, err)
		t.Cleanup(func() { st.Close() })
		require.NoError(t, st.Migrate(context.Background()))
		return st
	})
}

func TestOpenBadURL(t *testing.T) {
	t.Parallel()
	_, err := postgres.Open(context.Background(), "postgres://127.0.0.1:1/nope?connect_timeout=2")
	require.Error(t, err)
	require.Contains(t, err.Error(), "postgres: connect")
}

// After TidyState the state's e-mail lookups (run.Store.StateOf) go by
// its key, as a plan after a first run of many contacts needs: there,
// with the statistics of a nearly empty state, PostgreSQL walked all of
// it for every chunk (about 0.5 s a chunk at 1,000,000 contacts).
func TestTidyStateKeepsLookupsOnTheKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := pgtest.URL(t)
	st, err := postgres.Open(ctx, url)
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	require.NoError(t, st.Migrate(ctx))
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close(ctx) })
	// The rows need no export: foreign keys are not checked in this
	// session. Every contact is marked unsure and confirmed, as a run does.
	for _, q := range []string{
		`SET session_replication_role = replica`,
		`INSERT INTO export_state (export_id, email, profile_id, hash, tags, confirmed_at, unsure)
			SELECT 7, 'c' || g || '@example.com', 'P' || g, '', '[]', now(), true FROM generate_series(1, 30000) g`,
		`UPDATE export_state SET unsure = false, hash = 'h'`,
	} {
		_, err := conn.Exec(ctx, q)
		require.NoError(t, err, q)
	}
	require.NoError(t, st.AnalyzeState(ctx), "as while a run sends")
	require.NoError(t, st.TidyState(ctx))
	var plan string
	require.NoError(t, conn.QueryRow(ctx, `EXPLAIN SELECT email, profile_id, hash, tags, unsure FROM export_state
		WHERE export_id = 7 AND email = ANY(ARRAY['c1@example.com', 'c2@example.com', 'c3@example.com'])`).Scan(&plan))
	require.Contains(t, plan, "export_state_pkey")
	// (Whether VACUUM could mark pages all-visible depends on the other
	// tests' transactions: not checked.)
	var tuples float64
	require.NoError(t, conn.QueryRow(ctx, `SELECT reltuples FROM pg_class WHERE oid = 'export_state'::regclass`).Scan(&tuples))
	require.InDelta(t, 30000, tuples, 1000, "analyzed")
}
