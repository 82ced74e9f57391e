// Package mysqltest gives tests an empty MySQL (MariaDB) database of their
// own on the server that SEGBRIDGE_TEST_MYSQL_URL names, or skips them
// without it.
package mysqltest

import (
	"database/sql"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"
)

// EnvVar names the variable that points tests at a MySQL server, as a
// driver DSN: root@tcp(127.0.0.1:3306)/test.
const EnvVar = "SEGBRIDGE_TEST_MYSQL_URL"

var seq atomic.Int64

// DSN returns the DSN of a fresh, empty database that is dropped when the
// test ends. Without EnvVar the test is skipped, except in CI (CI=true),
// where the MySQL tests must run: there it fails.
func DSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvVar)
	if base == "" && os.Getenv("CI") == "true" {
		t.Fatal(EnvVar + " is not set, and CI=true: the MySQL tests must run in CI")
	}
	if base == "" {
		t.Skip(EnvVar + " not set: skipping MySQL test")
	}
	cfg, err := mysql.ParseDSN(base)
	require.NoError(t, err, EnvVar)
	db, err := sql.Open("mysql", cfg.FormatDSN())
	require.NoError(t, err)
	defer db.Close()
	name := fmt.Sprintf("segbridge_test_%d_%d", time.Now().UnixNano(), seq.Add(1))
	_, err = db.Exec("CREATE DATABASE " + name)
	require.NoError(t, err, "create a test database on %s", EnvVar)
	t.Cleanup(func() {
		if db, err := sql.Open("mysql", cfg.FormatDSN()); err == nil {
			_, _ = db.Exec("DROP DATABASE " + name)
			_ = db.Close()
		}
	})
	cfg.DBName = name
	return cfg.FormatDSN()
}

// Exec runs statements on the database dsn names.
func Exec(t testing.TB, dsn string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("mysql", dsn)
	require.NoError(t, err)
	defer db.Close()
	for _, s := range stmts {
		_, err := db.Exec(s)
		require.NoError(t, err, s)
	}
}
