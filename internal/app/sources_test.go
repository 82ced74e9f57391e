package app_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"segbridge/internal/app"
	"segbridge/internal/connection"
	"segbridge/internal/export"
	"segbridge/internal/omnisend"
	"segbridge/internal/omnisend/sandbox"
	"segbridge/internal/run"
	"segbridge/internal/segment"
	"segbridge/internal/service"
	"segbridge/internal/source"
	"segbridge/internal/store"
	"segbridge/internal/store/postgres/pgtest"
	"segbridge/internal/user"
)

// srcFixture is an application with a PostgreSQL table of customers and a
// CSV of loyalty records as its sources, a segment over attributes of
// both, and an export that follows the refresh into a sandbox.
type srcFixture struct {
	t      *testing.T
	ctx    context.Context
	a      *app.App
	sb     *sandbox.Server
	pg     *pgx.Conn // the customers table's database
	admin  user.Principal
	export export.Export
}

const (
	customers = 20_000
	loyalty   = 5_000
	// loyaltyOnly of the loyalty records share no e-mail with a customer.
	loyaltyOnly = 100
)

func newSrcFixture(t *testing.T, dbURL string) *srcFixture {
	ctx := context.Background()
	srcURL := pgtest.URL(t) // the customers' database: a schema of its own
	pg, err := pgx.Connect(ctx, srcURL)
	require.NoError(t, err)
	t.Cleanup(func() { pg.Close(ctx) })
	_, err = pg.Exec(ctx, `CREATE TABLE customers (id bigint PRIMARY KEY, email text, first_name text, city text,
		orders integer, updated_at timestamptz NOT NULL DEFAULT '2026-01-01T00:00:00Z')`)
	require.NoError(t, err)
	_, err = pg.Exec(ctx, `INSERT INTO customers (id, email, first_name, city, orders)
		SELECT i, 'c' || i || '@example.com', 'First' || i, 'Brno', i % 5 FROM generate_series(1, $1) AS i`, customers)
	require.NoError(t, err)

	// Loyalty records: the first loyalty-loyaltyOnly share a customer's
	// e-mail, in upper case; all say Praha, which the customers' Brno
	// overrides (the CRM has the higher priority).
	var csv strings.Builder
	csv.WriteString("loyalty_id,Email,tier,points,city\n")
	for i := 1; i <= loyalty; i++ {
		email := fmt.Sprintf("  C%d@EXAMPLE.COM", i)
		if i > loyalty-loyaltyOnly {
			email = fmt.Sprintf("only%d@example.com", i)
		}
		tier := "silver"
		if i%2 == 0 {
			tier = "gold"
		}
		fmt.Fprintf(&csv, "L%d,%s,%s,%d,Praha\n", i, email, tier, i*10)
	}
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "loyalty-2026-01.csv"), []byte(csv.String()), 0o600))

	sb, err := sandbox.New(sandbox.Config{TimeScale: timeScale})
	require.NoError(t, err)
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	window := time.Minute / timeScale
	a, err := app.Open(ctx, app.Config{DatabaseURL: dbURL, DataDir: t.TempDir(),
		Omnisend: app.OmnisendConfig{
			Budget: omnisend.NewWindowBudget(omnisend.WindowBudgetConfig{
				General: omnisend.Limit{Requests: 360, Window: window},
				Tags:    omnisend.Limit{Requests: 54, Window: window},
			}, nil),
			PollInterval: 20 * time.Millisecond,
		}})
	require.NoError(t, err)
	t.Cleanup(func() { a.Close() })
	f := &srcFixture{t: t, ctx: ctx, a: a, sb: sb, pg: pg,
		admin: user.Principal{Role: user.RoleAdmin, Actor: "test", Via: "cli"}}

	_, err = a.Services.Sources.Create(ctx, f.admin, service.SourceInput{
		Source: source.Source{Name: "crm", Kind: source.KindPostgres, Query: "SELECT * FROM customers",
			IDColumn: "id", EmailColumn: "email", Priority: 10, Cursor: ""},
		Secret: omnisend.NewSecret(srcURL)})
	require.NoError(t, err)
	_, err = a.Services.Sources.Create(ctx, f.admin, service.SourceInput{
		Source: source.Source{Name: "loyalty", Kind: source.KindFile, Path: filepath.Join(dir, "loyalty-*.csv"),
			IDColumn: "loyalty_id", EmailColumn: "Email"}})
	require.NoError(t, err)

	conn, err := a.Connections.Create(ctx, connection.Draft{
		Name: "Sandbox", APIKey: omnisend.NewSecret("sandbox-key"), BaseURL: srv.URL, ExportUser: "admin@example.com",
		Consent: connection.Consent{By: "admin@example.com", At: time.Now(), NoticeVersion: connection.NoticeVersion},
	})
	require.NoError(t, err)
	d, err := segment.NewRuleDraft("Gold buyers", `p.tier == "gold" && p.orders >= 3`)
	require.NoError(t, err)
	seg, err := a.Store.CreateSegment(ctx, d, time.Now())
	require.NoError(t, err)
	f.export, err = a.Store.CreateExport(ctx, export.Export{
		Name: "Gold to Omnisend", ConnectionID: conn.ID, Segments: []int64{seg.ID}, Active: true,
		Mapping:   export.Mapping{Email: "email", FirstName: "first_name", City: "city"},
		Schedule:  export.Schedule{Kind: export.ScheduleRefresh},
		CreatedAt: time.Now(), UpdatedAt: time.Now(),
	}.WithDefaults())
	require.NoError(t, err)
	return f
}

// refresh runs the system refresh and works the runs it queued.
func (f *srcFixture) refresh() (store.SystemRefresh, []run.Run) {
	f.t.Helper()
	rec, err := f.a.Services.System.Refresh(f.ctx, f.admin)
	require.NoError(f.t, err)
	var runs []run.Run
	for _, id := range rec.RunIDs {
		r, err := f.a.Runs.Execute(f.ctx, id)
		require.NoError(f.t, err)
		require.Equal(f.t, run.StatusSucceeded, r.Status, r.Message)
		runs = append(runs, r)
	}
	return rec, runs
}

// gold is the e-mails the segment should hold: gold tier (even loyalty
// ids) and at least 3 orders (id % 5 >= 3), shared e-mails only.
func gold() map[string]bool {
	want := map[string]bool{}
	for i := 2; i <= loyalty-loyaltyOnly; i += 2 {
		if i%5 >= 3 {
			want[fmt.Sprintf("c%d@example.com", i)] = true
		}
	}
	return want
}

func TestSourcesUnifyRefreshAndExport(t *testing.T) {
	onEachEngine(t, func(t *testing.T, dbURL string) {
		f := newSrcFixture(t, dbURL)
		rec, runs := f.refresh()
		require.Equal(t, store.RefreshSucceeded, rec.Status, rec.Message)
		n, err := f.a.Store.CountProfiles(f.ctx)
		require.NoError(t, err)
		require.Equal(t, customers+loyaltyOnly, n, "one profile per person")

		p, err := f.a.Store.GetProfile(f.ctx, "c2@example.com")
		require.NoError(t, err)
		require.Equal(t, "First2", p.Attrs["first_name"])
		require.Equal(t, "Brno", p.Attrs["city"], "the CRM's priority wins")
		require.Equal(t, "gold", p.Attrs["tier"])
		require.Equal(t, int64(20), p.Attrs["points"])
		require.Equal(t, int64(2), p.Attrs["orders"])
		origins, err := f.a.Store.GetProfileOrigins(f.ctx, "c2@example.com")
		require.NoError(t, err)
		crm, err := f.a.Store.GetSource(f.ctx, "crm")
		require.NoError(t, err)
		loy, err := f.a.Store.GetSource(f.ctx, "loyalty")
		require.NoError(t, err)
		require.Equal(t, crm.ID, origins["city"].Source)
		require.Equal(t, loy.ID, origins["tier"].Source)
		only, err := f.a.Store.GetProfile(f.ctx, fmt.Sprintf("only%d@example.com", loyalty))
		require.NoError(t, err)
		require.Equal(t, "Praha", only.Attrs["city"])

		requireUnified(t, f)

		want := gold()
		require.Len(t, runs, 1)
		require.Equal(t, len(want), runs[0].Counts.Added)
		contacts := f.sb.Contacts("")
		require.Len(t, contacts, len(want))
		for _, c := range contacts {
			require.True(t, want[c["email"].(string)], c["email"])
		}

		// Ten members change in the table: the next refresh sends exactly them.
		_, err = f.pg.Exec(f.ctx, `UPDATE customers SET first_name = 'Changed', updated_at = '2026-02-01T00:00:00Z'
			WHERE id IN (SELECT id FROM customers WHERE id % 2 = 0 AND id % 5 >= 3 AND id <= 4900 ORDER BY id LIMIT 10)`)
		require.NoError(t, err)
		rec, runs = f.refresh()
		require.Equal(t, store.RefreshSucceeded, rec.Status, rec.Message)
		require.Len(t, runs, 1)
		require.Equal(t, 10, runs[0].Counts.Updated)
		require.Zero(t, runs[0].Counts.Added)
		require.Zero(t, runs[0].Counts.Untagged)
		changed := 0
		for _, c := range f.sb.Contacts("") {
			if c["firstName"] == "Changed" {
				changed++
			}
		}
		require.Equal(t, 10, changed)
		requireStep(t, rec, "source crm", "changed", 10)
		requireStep(t, rec, "unify", "updated", 10)

		// The table is emptied: the guard holds the refresh; nothing goes.
		_, err = f.pg.Exec(f.ctx, `DELETE FROM customers`)
		require.NoError(t, err)
		rec, runs = f.refresh()
		require.Equal(t, store.RefreshHeld, rec.Status)
		require.Contains(t, rec.Message, `source "crm" returned no rows: nothing was removed`)
		require.Empty(t, runs, "no export runs on a held refresh")
		n, err = f.a.Store.CountProfiles(f.ctx)
		require.NoError(t, err)
		require.Equal(t, customers+loyaltyOnly, n, "no profile removed")
		require.Len(t, f.sb.Contacts(""), len(want))
		for _, c := range f.sb.Contacts("") {
			require.NotEmpty(t, tagsOf(c), "no contact untagged")
		}
		hist, err := f.a.Store.ListRefreshes(f.ctx, 1)
		require.NoError(t, err)
		require.Equal(t, store.RefreshHeld, hist[0].Status)
		require.Len(t, hist[0].Held, 1)
		disc, err := f.a.Services.System.Discard(f.ctx, f.admin, rec.ID)
		require.NoError(t, err)
		require.Equal(t, store.RefreshDiscarded, disc.Status)
		_, err = f.a.Services.System.Discard(f.ctx, f.admin, rec.ID)
		require.ErrorContains(t, err, "not held")
	})
}

// requireStep checks a count of the refresh's step name.
func requireStep(t *testing.T, rec store.SystemRefresh, name, count string, want int) {
	t.Helper()
	for _, s := range rec.Steps {
		if s.Name == name {
			require.Equal(t, want, s.Counts[count], "step %s: %v", name, s.Counts)
			return
		}
	}
	t.Fatalf("no step %q in %+v", name, rec.Steps)
}

// requireUnified checks every profile against the attributes its rows
// should merge into: the CRM's over the loyalty file's.
func requireUnified(t *testing.T, f *srcFixture) {
	t.Helper()
	want := map[string]map[string]any{}
	for i := 1; i <= customers; i++ {
		want[fmt.Sprintf("c%d@example.com", i)] = map[string]any{"id": int64(i), "email": fmt.Sprintf("c%d@example.com", i),
			"first_name": fmt.Sprintf("First%d", i), "city": "Brno", "orders": int64(i % 5), "updated_at": "2026-01-01T00:00:00Z"}
	}
	for i := 1; i <= loyalty; i++ {
		tier := "silver"
		if i%2 == 0 {
			tier = "gold"
		}
		key, email := fmt.Sprintf("c%d@example.com", i), fmt.Sprintf("C%d@EXAMPLE.COM", i)
		if i > loyalty-loyaltyOnly {
			key, email = fmt.Sprintf("only%d@example.com", i), fmt.Sprintf("only%d@example.com", i)
			want[key] = map[string]any{"city": "Praha"}
		}
		w := want[key]
		w["loyalty_id"], w["Email"], w["tier"], w["points"] = fmt.Sprintf("L%d", i), email, tier, int64(i*10)
	}
	got := 0
	after := ""
	for {
		page, err := f.a.Store.ListProfiles(f.ctx, store.ListOptions{After: after, Limit: 1000})
		require.NoError(t, err)
		for _, p := range page {
			w, ok := want[p.ID]
			require.True(t, ok, "unexpected profile %q", p.ID)
			require.Equal(t, w, map[string]any(p.Attrs), "profile %q", p.ID)
			got++
		}
		if len(page) < 1000 {
			break
		}
		after = page[len(page)-1].ID
	}
	require.Equal(t, len(want), got)
}
