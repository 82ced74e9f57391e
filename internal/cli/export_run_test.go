package cli

import (
	"context"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"segbridge/internal/app"
	"segbridge/internal/run"
)

func TestExportRunCLI(t *testing.T) { onEachEngine(t, testExportRunCLI) }

func testExportRunCLI(t *testing.T, b *bundle) {
	exportFixture(t, b)
	b.ok("export", "create", "VIPs", "--connection", "Main shop", "--segment", "VIP buyers", "--map", "email=email")

	out := b.ok("export", "run", "VIPs")
	require.Contains(t, out, "run 1 succeeded")
	require.Contains(t, out, "1 members; added 1, updated 0, unchanged 0, untagged 0; skipped 0; failed 0")

	out = b.ok("export", "run", "vips")
	require.Contains(t, out, "added 0, updated 0, unchanged 1", "a second run sends nothing")
	require.Contains(t, out, "plan: changes only", "and reads only what changed")
	require.Contains(t, b.ok("export", "plan", "VIPs", "--full"), "full check of every member: a full check was asked for")
	out = b.ok("export", "run", "VIPs", "--full")
	require.Contains(t, out, "added 0, updated 0, unchanged 1, untagged 0; skipped 0; failed 0; 0 API requests; plan: full check of every member: a full check was asked for")

	runs := b.ok("export", "runs", "VIPs")
	require.Contains(t, runs, "RUN")
	require.Contains(t, runs, "succeeded")

	rows, err := csv.NewReader(strings.NewReader(b.ok("export", "results", "1", "--output", "csv"))).ReadAll()
	require.NoError(t, err)
	require.Equal(t, []string{"seq", "action", "email", "profile_id", "status", "reason", "message", "batch_id"}, rows[0])
	require.Len(t, rows, 2)
	require.Equal(t, []string{"add", "a@example.com", "c1", "ok"}, rows[1][1:5])
	failed := b.ok("export", "results", "1", "--status", "failed", "--output", "csv")
	require.Equal(t, 1, strings.Count(failed, "\n"), "only the header: nothing failed")

	require.Contains(t, b.ok("export", "results", "1", "--email", "A@EXAMPLE", "--action", "add"), "a@example.com")
	require.NotContains(t, b.ok("export", "results", "1", "--email", "zz"), "a@example.com")
	require.Contains(t, b.fails("export", "results", "1", "--action", "weird"), "--action")
	require.Contains(t, b.fails("export", "retry", "1"), "run 1 has no failed contacts to retry")

	require.Contains(t, b.fails("export", "results", "1", "--status", "weird"), "--status")
	require.Contains(t, b.fails("export", "results", "x"), "run number")
	require.Contains(t, b.fails("export", "results", "99"), "no run 99")
	require.Contains(t, b.fails("export", "run", "VIPs", "--resume"), "no interrupted run")
	require.Contains(t, b.fails("export", "cancel", "VIPs"), "no run in progress")
	require.Contains(t, b.fails("export", "run", "nope"), `no export named "nope"`)

	// A failed contact: its reason in words after the listing, and a retry
	// that sends it again.
	b.withApp(func(a *app.App) {
		ops, err := a.Store.ListOps(context.Background(), 1, run.OpFilter{})
		require.NoError(t, err)
		require.NoError(t, a.Store.SetOpStatus(context.Background(), 1, []int64{ops[0].Seq}, run.OpFailed, run.ReasonRejected, "email: bad"))
		r, err := a.Store.GetRun(context.Background(), 1)
		require.NoError(t, err)
		r.Counts.Failed = map[string]int{run.ReasonRejected: 1}
		require.NoError(t, a.Store.SaveRun(context.Background(), r))
	})
	listing := b.ok("export", "results", "1", "--reason", "rejected")
	require.Contains(t, listing, "a@example.com")
	require.Contains(t, listing, "Reasons:\n  rejected: "+run.ReasonText(run.ReasonRejected))
	require.Contains(t, b.ok("export", "results", "1", "--output", "json"), `"reason_text":`)
	require.Contains(t, b.ok("export", "retry", "1", "--no-wait"), "queued run 4", "runs 1 to 3 above, the full check included")
	require.Contains(t, b.fails("export", "retry", "99"), "no run 99")
}
