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
// is dropped when the test ends. Without EnvVar the test is skipped, except
// in CI (CI=true), where PostgreSQL tests must run: there it fails.
func URL(t testing.TB) string {
	t.Helper()
	base := Base(t)
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

// Base returns EnvVar's URL. Without it the test is skipped, except in CI
// (CI=true), where it fails: CI sets it so that every PostgreSQL test runs.
func Base(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvVar)
	if base == "" && os.Getenv("CI") == "true" {
		t.Fatal(EnvVar + " is not set, and CI=true: the PostgreSQL tests must run in CI")
	}
	if base == "" {
		t.Skip(EnvVar + " not set: skipping PostgreSQL test")
	}
	return base
}
