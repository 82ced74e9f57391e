package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"segbridge/internal/source/mysqltest"
	"segbridge/internal/store/postgres/pgtest"
)

const feedToken = "Bearer feed-t0ken-never-shown"

// feedServer serves a CSV feed behind a token, with an ETag; it counts
// the full answers.
func feedServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var full atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != feedToken {
			http.Error(w, "who are you", http.StatusUnauthorized)
			return
		}
		if r.Header.Get("If-None-Match") == `"feed-1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		full.Add(1)
		w.Header().Set("ETag", `"feed-1"`)
		fmt.Fprint(w, "member,mail,tier\nM1,ANN@example.com,gold\nM2,zed@example.com,silver\n")
	}))
	t.Cleanup(srv.Close)
	return srv, &full
}

func TestSourcesCLI(t *testing.T) { onEachEngine(t, testSourcesCLI) }

func testSourcesCLI(t *testing.T, b *bundle) {
	srv, full := feedServer(t)
	b.env["FEED_TOKEN"] = feedToken
	b.env["WRONG_TOKEN"] = "Bearer not-the-one"
	crm := b.file("crm.csv", "id,email,first_name\n1,ann@example.com,Ann\n2,bob@example.com,Bob\n")

	out := b.ok("source", "create", "crm", "--kind", "file", "--path", crm, "--id", "id", "--email", "email", "--priority", "10")
	require.Contains(t, out, `created file source "crm"`)
	b.ok("source", "create", "feed", "--kind", "url", "--url", srv.URL+"/members.csv", "--secret-env", "FEED_TOKEN",
		"--id", "member", "--email", "mail")
	require.Contains(t, b.fails("source", "create", "feed", "--kind", "url", "--url", srv.URL, "--id", "x"), `a source named "feed" already exists`)
	require.Contains(t, b.fails("source", "create", "db", "--kind", "postgres", "--query", "SELECT 1", "--id", "id"), "give the database's DSN")

	out = b.ok("source", "test", "feed")
	require.Contains(t, out, "2 rows read")
	require.Contains(t, out, "key ann@example.com")

	out = b.ok("refresh")
	require.Contains(t, out, "source crm")
	require.Contains(t, out, "unify")
	require.Contains(t, out, "no export follows the refresh")
	require.Equal(t, int64(2), full.Load(), "the test and the refresh read the feed")

	out = b.ok("profiles", "show", "ann@example.com")
	require.Contains(t, out, "first_name")
	require.Regexp(t, `tier\s+gold\s+from source feed`, out)
	require.Regexp(t, `email\s+ann@example.com\s+from source crm`, out, "the higher priority wins")
	var shown struct {
		Origins map[string]struct{ Source string } `json:"origins"`
	}
	require.NoError(t, json.Unmarshal([]byte(b.ok("profiles", "show", "ann@example.com", "-o", "json")), &shown))
	require.Equal(t, "source feed", shown.Origins["tier"].Source)

	// An unchanged feed (304) is not read again.
	out = b.ok("source", "run", "feed")
	require.Contains(t, out, "not modified since the last read")
	require.Equal(t, int64(2), full.Load())

	// A wrong secret fails with a clear message and never shows a secret.
	b.ok("source", "update", "feed", "--secret-env", "WRONG_TOKEN", "--priority", "1")
	msg := b.fails("refresh")
	require.Contains(t, msg, `source "feed"`)
	require.Contains(t, msg, "refused the source's secret (HTTP 401)")
	require.Contains(t, msg, "no export ran")
	hist := b.ok("refresh", "history")
	require.Contains(t, hist, "failed")
	require.Contains(t, hist, "refused the source's secret")
	var list []map[string]any
	require.NoError(t, json.Unmarshal([]byte(b.ok("refresh", "history", "-o", "json")), &list))
	require.Len(t, list, 2)
	require.Equal(t, "failed", list[0]["status"])
	require.NotEmpty(t, list[0]["steps"])

	// An optional source's failure does not stop the refresh.
	b.ok("source", "update", "feed", "--optional")
	out = b.ok("refresh")
	require.Contains(t, out, "note: optional sources failed")
	require.Contains(t, out, "optional: the refresh went on")
	b.ok("source", "update", "feed", "--optional=false")

	show := b.ok("source", "show", "feed")
	require.Contains(t, show, "stored encrypted")
	for _, out := range []string{show, hist, msg, b.ok("source", "list"), b.ok("source", "list", "-o", "json")} {
		require.NotContains(t, out, "t0ken")
		require.NotContains(t, out, "not-the-one")
	}
	if _, pg := b.env["SEGBRIDGE_DATABASE_URL"]; !pg {
		raw, err := os.ReadFile(filepath.Join(b.dir, "data", "segbridge.db"))
		require.NoError(t, err)
		require.NotContains(t, string(raw), "t0ken", "secrets are stored sealed")
	}

	// The file source loses a row: the profile goes (one of two is not
	// fewer than half); the removed source's profiles go too.
	b.ok("source", "update", "feed", "--secret-env", "FEED_TOKEN")
	require.NoError(t, os.WriteFile(crm, []byte("id,email,first_name\n1,ann@example.com,Ann\n"), 0o600))
	b.ok("refresh")
	require.Contains(t, b.fails("profiles", "show", "bob@example.com"), "no profile")
	b.ok("source", "remove", "feed")
	b.ok("refresh")
	require.Contains(t, b.fails("profiles", "show", "zed@example.com"), "no profile")
	require.NotContains(t, b.ok("profiles", "show", "ann@example.com"), "tier")

	// Emptying the file holds the refresh.
	require.NoError(t, os.WriteFile(crm, []byte("id,email,first_name\n"), 0o600))
	msg = b.fails("refresh")
	require.Contains(t, msg, `source "crm" returned no rows: nothing was removed and no export ran`)
	require.Contains(t, msg, "segbridge refresh release")
	b.ok("profiles", "show", "ann@example.com")
	id := strings.Fields(strings.SplitN(msg, "refresh ", 3)[1])[0]
	require.Contains(t, b.ok("refresh", "release", id), "succeeded")
	require.Contains(t, b.fails("profiles", "show", "ann@example.com"), "no profile")
	require.Contains(t, b.fails("refresh", "discard", id), "only a held refresh")
}

func TestMySQLSourceCLI(t *testing.T) {
	b := setup(t)
	dsn := mysqltest.DSN(t)
	mysqltest.Exec(t, dsn, `CREATE TABLE buyers (id INT PRIMARY KEY, mail VARCHAR(100), spent DECIMAL(8,2))`,
		`INSERT INTO buyers VALUES (1, 'Ann@Example.com', 10.5), (2, 'bob@example.com', 3)`)
	b.env["SHOP_DSN"] = dsn
	b.ok("source", "create", "shop", "--kind", "mysql", "--dsn-env", "SHOP_DSN", "--query", "SELECT * FROM buyers",
		"--id", "id", "--email", "mail", "--type", "spent=decimal")
	out := b.ok("source", "run", "shop")
	require.Contains(t, out, "2 rows read (2 new")
	require.Contains(t, out, "profiles: 2 new")
	require.Contains(t, b.ok("profiles", "show", "ann@example.com"), "10.5")
	require.Regexp(t, `spent\s+decimal\s+2`, b.ok("profiles", "schema"), "a source's types feed the profile schema")
}

// TestRefreshCLIRunsTheExports: segbridge refresh reads a PostgreSQL
// source, unifies, refreshes the segment and works the export that follows
// the refresh until it ends; after a row changes, the next refresh sends
// exactly that contact.
func TestRefreshCLIRunsTheExports(t *testing.T) { onEachEngine(t, testRefreshCLIRunsTheExports) }

func testRefreshCLIRunsTheExports(t *testing.T, b *bundle) {
	srcURL := pgtest.URL(t)
	ctx := context.Background()
	pg, err := pgx.Connect(ctx, srcURL)
	require.NoError(t, err)
	t.Cleanup(func() { pg.Close(ctx) })
	_, err = pg.Exec(ctx, `CREATE TABLE buyers (id int PRIMARY KEY, email text, first_name text, orders int);
		INSERT INTO buyers SELECT i, 'B' || i || '@Example.com', 'Name' || i, i FROM generate_series(1, 20) AS i`)
	require.NoError(t, err)
	b.env["CRM_DSN"] = srcURL
	b.ok("source", "create", "crm", "--kind", "postgres", "--dsn-env", "CRM_DSN", "--query", "SELECT * FROM buyers",
		"--id", "id", "--email", "email")
	b.ok("segment", "create", "Big buyers", "--rule", "p.orders > 10")
	b.exportAdmin()
	b.ok(createArgs("Main shop", sandboxURL(t), "--api-key-file", b.file("k", cliGoodKey))...)
	b.ok("export", "create", "Big", "--connection", "Main shop", "--segment", "Big buyers", "--map", "email=email",
		"--map", "first_name=first_name", "--schedule", "refresh")

	out := b.ok("refresh")
	require.Contains(t, out, "source crm")
	require.Contains(t, out, `export "Big": run 1 succeeded`)
	require.Contains(t, out, "10 members; added 10, updated 0")

	_, err = pg.Exec(ctx, `UPDATE buyers SET first_name = 'Changed' WHERE id = 15`)
	require.NoError(t, err)
	out = b.ok("refresh")
	require.Contains(t, out, "added 0, updated 1, unchanged 9")
	require.Regexp(t, `first_name\s+Changed\s+from source crm`, b.ok("profiles", "show", "b15@example.com"))
}
