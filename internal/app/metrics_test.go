package app_test

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"segbridge/internal/omnisend/sandbox"
)

// TestMetricsCountRunsAndRequests runs an export and reads the process's
// metrics registry as /metrics would serve it.
func TestMetricsCountRunsAndRequests(t *testing.T) {
	t.Parallel()
	e := newE2E(t, "", 300, sandbox.FaultConfig{})
	r := e.run()
	reg := e.a.Metrics.Registry

	got, err := testutil.GatherAndCount(reg, "segbridge_runs_total")
	require.NoError(t, err)
	require.Equal(t, 1, got)
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP segbridge_runs_total Export runs that ended, by final status (succeeded, failed, cancelled).
# TYPE segbridge_runs_total counter
segbridge_runs_total{status="succeeded"} 1
`), "segbridge_runs_total"))

	mfs, err := reg.Gather()
	require.NoError(t, err)
	added, requests, queue, waits := 0.0, 0.0, false, uint64(0)
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			switch mf.GetName() {
			case "segbridge_run_contacts_total":
				if labels["result"] == "added" {
					added = m.GetCounter().GetValue()
				}
			case "segbridge_omnisend_requests_total":
				requests += m.GetCounter().GetValue()
				require.NotContains(t, labels["route"], "@", "routes carry no e-mail addresses")
			case "segbridge_jobs":
				queue = true
			case "segbridge_rate_budget_wait_seconds":
				waits += m.GetHistogram().GetSampleCount()
			}
		}
	}
	require.Equal(t, float64(r.Counts.Added), added)
	require.Equal(t, float64(r.Requests), requests, "every request the run made is counted by route and status")
	require.Equal(t, uint64(r.Requests), waits, "every request waited for the budget once")
	_ = queue // the queue gauge has a sample only when River has jobs
}

// TestSavedProgressMatchesTheOps checks that the progress a run saves as it
// works (what the interfaces poll) ends equal to the count from its ops.
func TestSavedProgressMatchesTheOps(t *testing.T) {
	onEachEngine(t, func(t *testing.T, dbURL string) {
		e := newE2E(t, dbURL, 400, sandbox.FaultConfig{})
		r := e.run()
		saved, err := e.a.Store.RunProgress(e.ctx, r.ID)
		require.NoError(t, err)
		counted, err := e.a.Store.CountProgress(e.ctx, r.ID)
		require.NoError(t, err)
		require.Equal(t, counted, saved)
		require.Equal(t, r.Counts.Added, saved.Upserts)
		require.Equal(t, saved.Upserts, saved.Confirmed)
	})
}
