package postgres_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"segbridge/internal/store"
	"segbridge/internal/store/postgres"
	"segbridge/internal/store/storetest"
)

var schemaSeq atomic.Int64

// testURL returns SEGBRIDGE_TEST_DATABASE_URL or skips the test.
func testURL(t *testing.T) string {
	t.Helper()
	url := os.Getenv("SEGBRIDGE_TEST_DATABASE_URL")
	if url == "" {
		t.Skip("SEGBRIDGE_TEST_DATABASE_URL not set: skipping PostgreSQL tests")
	}
	return url
}

// freshSchema creates an empty schema for one test and returns a URL whose
// search_path points at it; the schema is dropped at cleanup.
func freshSchema(t *testing.T, url string) string {
	t.Helper()
	ctx := context.Background()
	name := fmt.Sprintf("segbridge_test_%d_%d", time.Now().UnixNano(), schemaSeq.Add(1))
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	_, err = conn.Exec(ctx, `CREATE SCHEMA `+name)
	require.NoError(t, err)
	require.NoError(t, conn.Close(ctx))
	t.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), url)
		if err == nil {
			_, _ = conn.Exec(context.Background(), `DROP SCHEMA `+name+` CASCADE`)
			_ = conn.Close(context.Background())
		}
	})
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	return url + sep + "search_path=" + name
}

func TestConformance(t *testing.T) {
	t.Parallel()
	url := testURL(t)
	storetest.Run(t, func(t *testing.T) store.Store {
		st, err := postgres.Open(context.Background(), freshSchema(t, url))
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
