package app_test

import (
	"crypto/sha256"
	"fmt"
	"net/http/httptest"
	"slices"
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
	"segbridge/internal/service"
	"segbridge/internal/store"
	"segbridge/internal/user"
)

var previewAdmin = user.Principal{Role: user.RoleAdmin, Actor: "preview-test"}

// TestPreviewIsTheRun is issue 13's acceptance: for an export of about
// 10,000 members after changes (fields changed, members left, members
// joined), the preview's counts equal those of the real run that follows,
// its diff lists exactly the contacts that run sends, and the sandbox saw
// no request during the preview, which wrote nothing (no run, no state,
// no segment membership). The ETA counts a second export queued on the
// same brand.
func TestPreviewIsTheRun(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped with -short")
	}
	onEachEngine(t, func(t *testing.T, dbURL string) {
		e := newE2E(t, dbURL, 14000, sandbox.FaultConfig{})
		e.run()
		changed, left := e.churn()
		joined := e.joinSome(150)
		members := len(e.expected())
		t.Logf("%d members after changes: %d changed, %d left, %d joined", members, len(changed), len(left), len(joined))
		require.GreaterOrEqual(t, members, 10000)

		requests, written := e.sandboxRequests(), e.snapshot()
		var rows []run.DiffRow
		started := time.Now()
		pv, err := e.a.Services.Runs.Plan(e.ctx, previewAdmin, e.export.Name, service.PlanOptions{
			Diff: func(r run.DiffRow) error { rows = append(rows, r); return nil },
		})
		require.NoError(t, err)
		took := time.Since(started)
		require.Equal(t, requests, e.sandboxRequests(), "the preview sent requests to Omnisend")
		require.Equal(t, written, e.snapshot(), "the preview wrote")

		before := e.routeCounts()
		r := e.run()
		after := e.routeCounts()
		t.Logf("the preview with its diff took %s; the run's plan step (its segments refreshed before it) took %dms", took.Round(time.Millisecond), r.Counts.StepMillis[run.StepPlan])
		want, got := r.Counts, pv.Counts
		want.StepMillis = nil
		require.Equal(t, want, got, "the preview's counts are the run's")
		// (An e-mail another member shares, or one the export finds invalid,
		// stays as it was.)
		require.InDelta(t, len(changed), pv.Counts.Updated, 5)
		require.InDelta(t, len(left), pv.Counts.Untagged, 5)
		require.InDelta(t, len(joined), pv.Counts.Added, 5)

		sent, skipped := e.opEmails(r.ID)
		var diffSent, diffSkipped []string
		for _, row := range rows {
			if row.Action == run.ActionSkip {
				diffSkipped = append(diffSkipped, row.Email)
			} else {
				diffSent = append(diffSent, row.Email)
			}
		}
		slices.Sort(diffSent)
		slices.Sort(diffSkipped)
		require.Equal(t, sent, diffSent, "the diff lists the contacts the run sends")
		require.Equal(t, skipped, diffSkipped)
		for _, row := range rows {
			switch {
			case changed[row.Email] && row.Action == run.ActionUpdate:
				require.False(t, row.OldUnknown)
				require.Len(t, row.Fields, 1, "%+v", row)
				require.Equal(t, "first_name", row.Fields[0].Field)
				require.NotEqual(t, row.Fields[0].Old, row.Fields[0].New)
			case left[row.Email] && row.Action == run.ActionUntag:
				require.Equal(t, run.ReasonLeft, row.Reason)
				require.NotEmpty(t, row.TagsRemoved)
			case joined[row.Email] && row.Action == run.ActionAdd:
				require.NotEmpty(t, row.TagsAdded)
			}
		}

		// The requests: the sends are exact, the confirmation polls a
		// floor (the run polls while the sandbox works).
		t.Logf("preview: %d requests (%+v); the run made %d; sandbox: %v → %v", pv.Requests.Total, pv.Requests.Routes, r.Requests, before, after)
		require.GreaterOrEqual(t, r.Requests, pv.Requests.Total)
		for _, rr := range pv.Requests.Routes {
			if !rr.AtLeast {
				require.Equal(t, rr.Requests, after[rr.Route]-before[rr.Route], "%s", rr.Route)
			}
		}

		// A second export on the same brand, queued, is ahead of the next
		// run of this one.
		alone, err := e.a.Services.Runs.Plan(e.ctx, previewAdmin, e.export.Name, service.PlanOptions{})
		require.NoError(t, err)
		require.Empty(t, alone.ETA.Ahead)
		e.churn()
		other := e.addExportOnSameBrand("Everyone to Omnisend")
		queued, err := e.a.Store.CreateRun(e.ctx, other.ID, run.TriggerManual, time.Now())
		require.NoError(t, err)
		pv, err = e.a.Services.Runs.Plan(e.ctx, previewAdmin, e.export.Name, service.PlanOptions{})
		require.NoError(t, err)
		require.Len(t, pv.ETA.Ahead, 1)
		ahead := pv.ETA.Ahead[0]
		require.Equal(t, queued.ID, ahead.RunID)
		require.Equal(t, "preview", ahead.EstimatedFrom)
		require.Empty(t, ahead.Note)
		require.Positive(t, ahead.Requests.General)
		require.Positive(t, pv.ETA.AloneSeconds)
		require.Greater(t, pv.ETA.Seconds, pv.ETA.AloneSeconds, "the queued export's requests share the budget")
		t.Logf("ETA %.1fs alone, %.1fs behind %+v", pv.ETA.AloneSeconds, pv.ETA.Seconds, ahead)
	})
}

// joinSome moves n non-members into the export's segment and returns
// their e-mails.
func (e *e2e) joinSome(n int) map[string]bool {
	e.t.Helper()
	want, _ := e.expectedWithShared()
	seen := map[string]bool{}
	for em := range want {
		seen[em] = true
	}
	joined := map[string]bool{}
	var batch []profile.Profile
	after := ""
	for len(batch) < n {
		ps, err := e.a.Store.ListProfiles(e.ctx, store.ListOptions{After: after, Limit: 1000})
		require.NoError(e.t, err)
		require.NotEmpty(e.t, ps, "not enough non-members")
		for _, p := range ps {
			em, _ := p.Attrs["email"].(string)
			orders, _ := p.Attrs["orders"].(int64)
			if len(batch) == n || orders >= 1 || em == "" || em != profileEmail(em) || seen[em] {
				continue
			}
			seen[em] = true
			p.Attrs["orders"] = int64(2)
			batch = append(batch, p)
			joined[em] = true
		}
		after = ps[len(ps)-1].ID
	}
	_, err := e.a.Store.UpsertProfiles(e.ctx, batch, time.Now())
	require.NoError(e.t, err)
	return joined
}

// profileEmail is an e-mail as exported (only clean, valid-looking ones
// are picked to join).
func profileEmail(s string) string {
	for _, r := range s {
		if r == ' ' || (r >= 'A' && r <= 'Z') {
			return ""
		}
	}
	if !slices.Contains([]rune(s), '@') {
		return ""
	}
	return s
}

// snapshot digests what a preview must not write: the export's runs,
// its state and its segments' stored membership.
func (e *e2e) snapshot() string {
	e.t.Helper()
	h := sha256.New()
	runs, err := e.a.Store.ListRuns(e.ctx, e.export.ID, -1)
	require.NoError(e.t, err)
	for _, r := range runs {
		fmt.Fprintf(h, "run %d %s %s %d\n", r.ID, r.Status, r.Step, r.Requests)
	}
	require.NoError(e.t, e.a.Store.ScanState(e.ctx, e.export.ID, func(s run.StateEntry) error {
		fmt.Fprintf(h, "state %s %s %s %v %v\n", s.Email, s.ProfileID, s.Hash, s.Tags, s.Unsure)
		return nil
	}))
	for _, id := range e.export.Segments {
		require.NoError(e.t, e.a.Store.ScanMembers(e.ctx, id, func(pid string) error {
			fmt.Fprintf(h, "member %d %s\n", id, pid)
			return nil
		}))
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

// opEmails returns the e-mails run id sends something to and those it
// skips, sorted.
func (e *e2e) opEmails(id int64) (sent, skipped []string) {
	e.t.Helper()
	seen := map[string]bool{}
	after := int64(0)
	for {
		ops, err := e.a.Store.ListOps(e.ctx, id, run.OpFilter{AfterSeq: after, Limit: 1000})
		require.NoError(e.t, err)
		if len(ops) == 0 {
			break
		}
		for _, op := range ops {
			switch {
			case op.Kind == run.OpSkip:
				skipped = append(skipped, op.Email)
			case !seen[op.Email]:
				seen[op.Email] = true
				sent = append(sent, op.Email)
			}
		}
		after = ops[len(ops)-1].Seq
	}
	slices.Sort(sent)
	slices.Sort(skipped)
	return sent, skipped
}

// routeCounts counts the requests the sandbox received per route, in
// the preview's spelling ("POST /batches").
func (e *e2e) routeCounts() map[string]int {
	return routeCountsOf(e.sb.Stats())
}

// routeCountsOf is routeCounts of a sandbox's stats.
func routeCountsOf(st sandbox.Stats) map[string]int {
	out := map[string]int{}
	for name, byStatus := range st.Requests {
		method, path, _ := strings.Cut(name, " ")
		path = strings.TrimPrefix(strings.TrimPrefix(path, "/api"), "/v3")
		for _, c := range byStatus {
			out[method+" "+path] += c
		}
	}
	return out
}

// addExportOnSameBrand adds an export of every profile with an e-mail on
// the test's connection.
func (e *e2e) addExportOnSameBrand(name string) export.Export {
	e.t.Helper()
	d, err := segment.NewRuleDraft("Everyone", `has(p.email)`)
	require.NoError(e.t, err)
	seg, err := e.a.Store.CreateSegment(e.ctx, d, time.Now())
	require.NoError(e.t, err)
	ex, err := e.a.Store.CreateExport(e.ctx, export.Export{
		Name: name, ConnectionID: e.export.ConnectionID, Segments: []int64{seg.ID}, Active: true,
		Mapping:   export.Mapping{Email: "email"},
		CreatedAt: time.Now(), UpdatedAt: time.Now(),
	}.WithDefaults())
	require.NoError(e.t, err)
	return ex
}

// TestPreviewTagEndpoints previews and runs an export of two segments on
// a connection that tags through the tag endpoints, first (every contact
// new: upserts, then tag calls) and after changes (renamed, leaving,
// joining, moving into the second segment): each time the preview's
// counts are the run's, and so are its batches, tag calls and untag calls.
func TestPreviewTagEndpoints(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped with -short")
	}
	onEachEngine(t, func(t *testing.T, dbURL string) {
		const n = 3000
		sb, err := sandbox.New(sandbox.Config{TimeScale: timeScale, TagDelay: time.Nanosecond, TagsOnUpsert: sandbox.TagsReplace,
			Batches: sandbox.BatchConfig{StartDelay: time.Nanosecond, ItemInterval: time.Nanosecond}})
		require.NoError(t, err)
		srv := httptest.NewServer(sb)
		t.Cleanup(srv.Close)
		e := newE2EWith(t, dbURL, 0, sandbox.FaultConfig{}, func(cfg *app.Config, _ string) string {
			cfg.Omnisend.Clock = newFastClock(timeScale)
			return srv.URL
		})
		e.sb, e.sandboxURL = sb, srv.URL
		e.importProfiles(costCSV(n))
		conn, err := e.a.Connections.Create(e.ctx, connection.Draft{
			Name: "Endpoints", APIKey: omnisend.NewSecret(sandbox.DefaultKey), BaseURL: srv.URL, ExportUser: "admin@example.com",
			Tagging: connection.TaggingEndpoints,
			Consent: connection.Consent{By: "admin@example.com", At: time.Now(), NoticeVersion: connection.NoticeVersion},
		})
		require.NoError(t, err)
		d, err := segment.NewRuleDraft("VIP", `p.ltv >= 600`)
		require.NoError(t, err)
		vip, err := e.a.Store.CreateSegment(e.ctx, d, time.Now())
		require.NoError(t, err)
		e.export, err = e.a.Store.CreateExport(e.ctx, export.Export{
			Name: "Endpoints", ConnectionID: conn.ID, Segments: []int64{e.export.Segments[0], vip.ID}, Active: true,
			Mapping:   export.Mapping{Email: "email", FirstName: "first_name", City: "city"},
			CreatedAt: time.Now(), UpdatedAt: time.Now(),
		}.WithDefaults())
		require.NoError(t, err)

		for _, what := range []string{"first run", "changes-only run"} {
			if what != "first run" {
				e.costChurn(n)
			}
			pv, err := e.a.Services.Runs.Plan(e.ctx, previewAdmin, e.export.Name, service.PlanOptions{})
			require.NoError(t, err)
			before := e.routeCounts()
			r := e.run()
			after := e.routeCounts()
			want := r.Counts
			want.StepMillis = nil
			require.Equal(t, want, pv.Counts, what)
			require.Positive(t, pv.Tagged, what)
			for _, rr := range pv.Requests.Routes {
				if !rr.AtLeast {
					require.Equal(t, rr.Requests, after[rr.Route]-before[rr.Route], "%s: %s", what, rr.Route)
				}
			}
			require.GreaterOrEqual(t, r.Requests, pv.Requests.Total, what)
			t.Logf("%s: preview %d requests %+v; the run made %d", what, pv.Requests.Total, pv.Requests.Routes, r.Requests)
		}
	})
}

// TestPreviewRefusesAsTheRunDoes: a definition the run would refuse — more
// members than the profile cap, a mapping that no longer fits the
// profiles — is refused by the preview with the run's message, as a
// conflict, and nothing is sent or written.
func TestPreviewRefusesAsTheRunDoes(t *testing.T) {
	onEachEngine(t, func(t *testing.T, dbURL string) {
		e := newE2E(t, dbURL, 200, sandbox.FaultConfig{})
		e.setCap(10)
		requests, written := e.sandboxRequests(), e.snapshot()
		_, err := e.a.Services.Runs.Plan(e.ctx, previewAdmin, e.export.Name, service.PlanOptions{})
		se, ok := service.AsError(err)
		require.True(t, ok, "%v", err)
		require.Equal(t, service.KindConflict, se.Kind)
		require.Contains(t, se.Msg, "have more than 10 members (its profile cap)")
		require.Equal(t, requests, e.sandboxRequests())
		require.Equal(t, written, e.snapshot())
		r := e.runToEnd()
		require.Equal(t, run.StatusFailed, r.Status)
		require.Contains(t, r.Message, "have more than 10 members (its profile cap)", "the run's refusal")
		require.NotRegexp(t, `sqlite|postgres`, r.Message, "the run's message names no database engine")

		e.setCap(export.DefaultProfileCap)
		ex, err := e.a.Store.GetExport(e.ctx, e.export.Name)
		require.NoError(t, err)
		ex.Mapping.City = "no_such_attribute"
		e.export, err = e.a.Store.UpdateExport(e.ctx, ex)
		require.NoError(t, err)
		_, err = e.a.Services.Runs.Plan(e.ctx, previewAdmin, e.export.Name, service.PlanOptions{})
		se, ok = service.AsError(err)
		require.True(t, ok, "%v", err)
		require.Equal(t, service.KindConflict, se.Kind)
		require.Contains(t, se.Msg, "its mapping no longer fits the stored profiles")
		require.Equal(t, requests, e.sandboxRequests())
	})
}
