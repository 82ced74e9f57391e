package app_test

import (
	"bytes"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/app"
	"segbridge/internal/connection"
	"segbridge/internal/export"
	"segbridge/internal/omnisend"
	"segbridge/internal/omnisend/sandbox"
	"segbridge/internal/profile"
	"segbridge/internal/run"
	"segbridge/internal/segment"
)

// TestTaggingCost measures the requests of a first run and of a
// changes-only run (1 % of the members renamed, 1 % leaving, 1 % joining,
// 1 % moving into the second segment) of an export of two segments, with
// tags on the upsert and through the tag endpoints, for the member counts
// in SEGBRIDGE_TAGGING_COST (e.g. "10000,100000"; skipped without it).
// The figures are in docs/architecture.md (Run pipeline, Tagging).
func TestTaggingCost(t *testing.T) {
	sizes := os.Getenv("SEGBRIDGE_TAGGING_COST")
	if sizes == "" {
		t.Skip("set SEGBRIDGE_TAGGING_COST=10000,100000 to measure")
	}
	for _, s := range strings.Split(sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		require.NoError(t, err)
		for _, tg := range []connection.Tagging{connection.TaggingUpsert, connection.TaggingEndpoints} {
			t.Run(fmt.Sprintf("%d/%s", n, tg), func(t *testing.T) { measureTagging(t, n, tg) })
		}
	}
}

func measureTagging(t *testing.T, n int, tg connection.Tagging) {
	sb, err := sandbox.New(sandbox.Config{TimeScale: timeScale, TagDelay: time.Nanosecond, TagsOnUpsert: sandbox.TagsReplace,
		Batches: sandbox.BatchConfig{StartDelay: time.Nanosecond, ItemInterval: time.Nanosecond}})
	require.NoError(t, err)
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	e := newE2EWith(t, "", 0, sandbox.FaultConfig{}, func(cfg *app.Config, _ string) string {
		cfg.Omnisend.Clock = newFastClock(timeScale)
		return srv.URL
	})
	e.sb, e.sandboxURL = sb, srv.URL
	e.importProfiles(costCSV(n))
	conn, err := e.a.Connections.Create(e.ctx, connection.Draft{
		Name: "Cost", APIKey: omnisend.NewSecret(sandbox.DefaultKey), BaseURL: srv.URL, ExportUser: "admin@example.com", Tagging: tg,
		Consent: connection.Consent{By: "admin@example.com", At: time.Now(), NoticeVersion: connection.NoticeVersion},
	})
	require.NoError(t, err)
	d, err := segment.NewRuleDraft("VIP", `p.ltv >= 600`)
	require.NoError(t, err)
	vip, err := e.a.Store.CreateSegment(e.ctx, d, time.Now())
	require.NoError(t, err)
	e.export, err = e.a.Store.CreateExport(e.ctx, export.Export{
		Name: "Cost", ConnectionID: conn.ID, Segments: []int64{e.export.Segments[0], vip.ID}, Active: true,
		Mapping:   export.Mapping{Email: "email", FirstName: "first_name", City: "city"},
		CreatedAt: time.Now(), UpdatedAt: time.Now(),
	}.WithDefaults())
	require.NoError(t, err)

	first, firstBy := e.measuredRun()
	e.costChurn(n)
	second, secondBy := e.measuredRun()
	t.Logf("%d profiles, tagging %s: first run %d members, %d requests %v, %s; changes-only run: %+v, %d requests %v, %s",
		n, tg, first.Counts.Members, first.Requests, firstBy, runDuration(first), counts(second), second.Requests, secondBy, runDuration(second))
}

func runDuration(r run.Run) time.Duration {
	return r.FinishedAt.Sub(r.StartedAt).Round(time.Millisecond)
}

func counts(r run.Run) string {
	c := r.Counts
	return fmt.Sprintf("added %d updated %d untagged %d", c.Added, c.Updated, c.Untagged)
}

// measuredRun runs the export and returns the sandbox's requests by
// route during it.
func (e *e2e) measuredRun() (run.Run, map[string]int) {
	before := e.sb.Stats().Requests
	r := e.run()
	by := map[string]int{}
	for route, st := range e.sb.Stats().Requests {
		for code, n := range st {
			if d := n - before[route][code]; d > 0 {
				by[route] += d
			}
		}
	}
	keys := slices.Sorted(maps.Keys(by))
	out := make(map[string]int, len(keys))
	for _, k := range keys {
		out[k] = by[k]
	}
	return r, out
}

// costCSV: 70 % buyers (orders ≥ 1), 40 % VIP (ltv ≥ 600), independent.
func costCSV(n int) []byte {
	rng := rand.New(rand.NewPCG(16, 2))
	var b bytes.Buffer
	b.WriteString("id,email,first_name,city,orders,ltv\n")
	for i := range n {
		orders := 0
		if rng.IntN(10) < 7 {
			orders = 1 + rng.IntN(5)
		}
		fmt.Fprintf(&b, "c%07d,c%07d@example.com,First%d,City%d,%d,%d\n", i, i, i, i%50, orders, rng.IntN(1000))
	}
	return b.Bytes()
}

// costChurn changes 4 % of the profiles: renames, leavers, joiners, VIP
// joiners, 1 % each.
func (e *e2e) costChurn(n int) {
	e.t.Helper()
	var batch []profile.Profile
	for i := 0; i < n; i += 25 {
		id := fmt.Sprintf("c%07d", i)
		p, err := e.a.Store.GetProfile(e.ctx, id)
		require.NoError(e.t, err)
		a := p.Attrs
		switch (i / 25) % 4 {
		case 0:
			a["first_name"] = "Renamed" + id
		case 1:
			a["orders"], a["ltv"] = int64(0), int64(0)
		case 2:
			a["orders"] = int64(2)
		case 3:
			a["ltv"] = int64(900)
		}
		batch = append(batch, profile.Profile{ID: id, Attrs: a})
	}
	_, err := e.a.Store.UpsertProfiles(e.ctx, batch, time.Now())
	require.NoError(e.t, err)
}
