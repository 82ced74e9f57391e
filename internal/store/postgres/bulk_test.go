package postgres

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/profile"
	"segbridge/internal/store"
	"segbridge/internal/store/postgres/pgtest"
)

// TestBulkRebuildsEmailIndex: a bulk load into a small table drops the
// e-mail index while it writes and builds it again afterwards, whether
// the load succeeded or failed, in a transaction or not; a store whose
// index went missing (a process that died mid-import) gets it back at
// Migrate.
func TestBulkRebuildsEmailIndex(t *testing.T) {
	t.Parallel()
	pgtest.Base(t)
	ctx := context.Background()
	st, err := Open(ctx, pgtest.URL(t))
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	require.NoError(t, st.Migrate(ctx))
	now := time.Unix(1_700_000_000, 0)
	boom := errors.New("boom")
	hasIndex := func() bool {
		var n int
		require.NoError(t, st.pool.QueryRow(ctx, `SELECT count(*) FROM pg_indexes
			WHERE schemaname = current_schema() AND indexname = 'profiles_email'`).Scan(&n))
		return n == 1
	}
	batch := func(from, n int) []profile.Profile {
		b := make([]profile.Profile, n)
		for i := range b {
			id := fmt.Sprintf("p%05d", from+i)
			b[i] = profile.Profile{ID: id, Attrs: map[string]any{"email": "Jane." + id + "@Example.com"}}
		}
		return b
	}
	search := func(q string) []string {
		ps, _, err := st.SearchProfiles(ctx, store.ProfileQuery{By: store.SearchEmail, Q: q})
		require.NoError(t, err)
		var ids []string
		for _, p := range ps {
			ids = append(ids, p.ID)
		}
		return ids
	}

	require.NoError(t, st.Bulk(ctx, func() error {
		require.False(t, hasIndex(), "set aside during the load")
		_, err := st.UpsertProfiles(ctx, batch(0, 10), now)
		return err
	}))
	require.True(t, hasIndex())
	require.Equal(t, []string{"p00003"}, search("jane.p00003@"))

	err = st.Bulk(ctx, func() error {
		_, err := st.UpsertProfiles(ctx, batch(10, 5), now)
		require.NoError(t, err)
		return boom
	})
	require.ErrorIs(t, err, boom)
	require.True(t, hasIndex(), "built again after a failed load")

	err = st.Atomically(ctx, func(tx profile.Sink) error {
		return tx.(profile.BulkSink).Bulk(ctx, func() error {
			_, err := tx.UpsertProfiles(ctx, batch(30, 5), now)
			require.NoError(t, err)
			return boom
		})
	})
	require.ErrorIs(t, err, boom)
	require.True(t, hasIndex(), "a rolled-back load keeps the index")
	require.Empty(t, search("jane.p00031"))

	require.NoError(t, st.Atomically(ctx, func(tx profile.Sink) error {
		return tx.(profile.BulkSink).Bulk(ctx, func() error {
			_, err := tx.UpsertProfiles(ctx, batch(20, 5), now)
			return err
		})
	}))
	require.True(t, hasIndex())
	require.Equal(t, []string{"p00021"}, search("JANE.P00021"))

	_, err = st.pool.Exec(ctx, `DROP INDEX profiles_email`)
	require.NoError(t, err)
	require.NoError(t, st.Migrate(ctx))
	require.True(t, hasIndex(), "Migrate builds a missing index")
}
