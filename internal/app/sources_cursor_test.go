package app_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"segbridge/internal/app"
	"segbridge/internal/omnisend"
	"segbridge/internal/service"
	"segbridge/internal/source"
	"segbridge/internal/store/postgres/pgtest"
	"segbridge/internal/user"
)

// cursorFixture is an application with one PostgreSQL source of rows
// customers, read incrementally by updated_at.
type cursorFixture struct {
	ctx   context.Context
	a     *app.App
	pg    *pgx.Conn
	admin user.Principal
}

func newCursorFixture(t testing.TB, dbURL string, rows int, now func() time.Time) *cursorFixture {
	ctx := context.Background()
	srcURL := pgtest.URL(t)
	pg, err := pgx.Connect(ctx, srcURL)
	require.NoError(t, err)
	t.Cleanup(func() { pg.Close(ctx) })
	_, err = pg.Exec(ctx, `CREATE TABLE customers (id bigint PRIMARY KEY, email text NOT NULL, first_name text, city text,
		orders integer, updated_at timestamptz NOT NULL)`)
	require.NoError(t, err)
	_, err = pg.Exec(ctx, `INSERT INTO customers SELECT i, 'c' || i || '@example.com', 'First' || i, 'City' || (i % 100), i % 7,
		'2026-01-01T00:00:00Z'::timestamptz + (i % 1000) * interval '1 second' FROM generate_series(1, $1) AS i`, rows)
	require.NoError(t, err)
	a, err := app.Open(ctx, app.Config{DatabaseURL: dbURL, DataDir: t.TempDir(), Now: now})
	require.NoError(t, err)
	t.Cleanup(func() { a.Close() })
	f := &cursorFixture{ctx: ctx, a: a, pg: pg, admin: user.Principal{Role: user.RoleAdmin, Actor: "test", Via: "cli"}}
	_, err = a.Services.Sources.Create(ctx, f.admin, service.SourceInput{
		Source: source.Source{Name: "crm", Kind: source.KindPostgres, Query: "SELECT * FROM customers",
			IDColumn: "id", EmailColumn: "email", Cursor: "updated_at", Schedule: "*/5 * * * *"},
		Secret: omnisend.NewSecret(srcURL)})
	require.NoError(t, err)
	return f
}

func (f *cursorFixture) change(t testing.TB, n int) {
	_, err := f.pg.Exec(f.ctx, `UPDATE customers SET city = 'Moved', updated_at = '2026-06-01T00:00:00Z'
		WHERE id IN (SELECT id FROM customers ORDER BY id LIMIT $1)`, n)
	require.NoError(t, err)
}

// TestSourceCursorReadsOnlyChangedRows: after 100 rows of a table change,
// the next read of a source with a cursor fetches only those rows; its
// own cron reads it when due.
func TestSourceCursorReadsOnlyChangedRows(t *testing.T) {
	onEachEngine(t, func(t *testing.T, dbURL string) {
		now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
		clock := func() time.Time { return now }
		f := newCursorFixture(t, dbURL, 10_000, clock)
		res, err := f.a.Services.Sources.Run(f.ctx, f.admin, "crm")
		require.NoError(t, err)
		require.Equal(t, 10_000, res.Report.Read.Rows)
		require.Equal(t, 10_000, res.Unify.Inserted)

		f.change(t, 100)
		now = now.Add(6 * time.Minute) // the source's cron (every 5 minutes) is due
		read, err := f.a.Jobs.CheckSourceCron(f.ctx)
		require.NoError(t, err)
		require.Equal(t, 1, read)
		src, err := f.a.Store.GetSource(f.ctx, "crm")
		require.NoError(t, err)
		require.Contains(t, src.State.Message, "100 rows read (0 new, 100 changed, 0 unchanged)")
		p, err := f.a.Store.GetProfile(f.ctx, "c1@example.com")
		require.NoError(t, err)
		require.Equal(t, "Moved", p.Attrs["city"])
		n, err := f.a.Store.CountProfiles(f.ctx)
		require.NoError(t, err)
		require.Equal(t, 10_000, n, "a source with a cursor removes nothing")

		read, err = f.a.Jobs.CheckSourceCron(f.ctx)
		require.NoError(t, err)
		require.Zero(t, read, "not due again until the next firing")
		res, err = f.a.Services.Sources.Run(f.ctx, f.admin, "crm")
		require.NoError(t, err)
		require.Zero(t, res.Report.Read.Rows, "nothing past the cursor")
	})
}

// TestSourceMillionRows measures a full read and an incremental read of a
// 1,000,000-row PostgreSQL table into SQLite (docs/benchmarks.md). It runs
// only with SEGBRIDGE_BENCH_SOURCES=1: it takes a minute and a few hundred
// MB on a shared machine.
func TestSourceMillionRows(t *testing.T) {
	if os.Getenv("SEGBRIDGE_BENCH_SOURCES") != "1" {
		t.Skip("set SEGBRIDGE_BENCH_SOURCES=1 to measure a 1,000,000-row source")
	}
	rows := 1_000_000
	if n, err := strconv.Atoi(os.Getenv("SEGBRIDGE_BENCH_ROWS")); err == nil && n > 0 {
		rows = n
	}
	f := newCursorFixture(t, "", rows, nil)
	start := time.Now()
	src, err := f.a.Store.GetSource(f.ctx, "crm")
	require.NoError(t, err)
	rep, err := f.a.Sources.ReadSource(f.ctx, src)
	require.NoError(t, err)
	read := time.Since(start)
	require.Equal(t, rows, rep.Read.Rows)
	start = time.Now()
	u, err := f.a.Sources.Unify(f.ctx)
	require.NoError(t, err)
	unify := time.Since(start)
	require.Equal(t, rows, u.Inserted)
	t.Logf("full read of %d rows: %s (%.0f rows/s); unify: %s; peak RSS so far: %s", rows, read.Round(time.Millisecond),
		float64(rows)/read.Seconds(), unify.Round(time.Millisecond), peakRSS(t))

	f.change(t, 100)
	src, err = f.a.Store.GetSource(f.ctx, "crm")
	require.NoError(t, err)
	start = time.Now()
	rep, err = f.a.Sources.ReadSource(f.ctx, src)
	require.NoError(t, err)
	_, err = f.a.Sources.Unify(f.ctx)
	require.NoError(t, err)
	inc := time.Since(start)
	require.Equal(t, 100, rep.Read.Rows, "only the changed rows are fetched")
	t.Logf("incremental read of 100 changed rows and unify: %s; peak RSS: %s", inc.Round(time.Millisecond), peakRSS(t))
}

// peakRSS is this process's peak resident set (VmHWM).
func peakRSS(t testing.TB) string {
	fh, err := os.Open("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			if err == nil {
				return fmt.Sprintf("%d MB", kb/1024)
			}
		}
	}
	return "unknown"
}
