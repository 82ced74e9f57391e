// Package pgtest gives tests an empty PostgreSQL schema of their own on the
// server that SEGBRIDGE_TEST_DATABASE_URL names, or skips them without it.
package pgtest

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
)

// EnvVar names the variable that points tests at a PostgreSQL server.
const EnvVar = "SEGBRIDGE_TEST_DATABASE_URL"

var seq atomic.Int64

// URL returns a database URL whose search_path is a fresh, empty schema that
// is dropped when the test ends. Without EnvVar the test is skipped.
func URL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvVar)
	if base == "" {
		t.Skip(EnvVar + " not set: skipping PostgreSQL test")
	}
	ctx := context.Background()
	name := fmt.Sprintf("segbridge_test_%d_%d", time.Now().UnixNano(), seq.Add(1))
	exec(t, base, `CREATE SCHEMA `+name)
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, base)
		if err == nil {
			_, _ = conn.Exec(ctx, `DROP SCHEMA `+name+` CASCADE`)
			_ = conn.Close(ctx)
		}
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + name
}

func exec(t testing.TB, url, sql string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err, "connect to %s", EnvVar)
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	require.NoError(t, err)
}
