package postgres_test

import (
	"context"
	"testing"

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
