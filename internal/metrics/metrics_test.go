package metrics

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"segbridge/internal/run"
)

func TestRoute(t *testing.T) {
	for in, want := range map[string]string{
		"/api/batches":                          "POST /api/batches",
		"/api/batches/67a0c1f2e4b0a1b2c3d4e5f6": "POST /api/batches/{id}",
		"/v3/contacts/ann@example.com":          "POST /v3/contacts/{id}",
		"/api/batches/abc123/items":             "POST /api/batches/{id}/items",
		"/":                                     "POST /",
	} {
		require.Equal(t, want, Route("POST", in), in)
	}
}

func TestRunEndedAndQueue(t *testing.T) {
	m := New(func(context.Context) (map[string]int, error) { return map[string]int{"available": 3}, nil })
	m.RunEnded(run.Run{Status: run.StatusFailed, Counts: run.Counts{Added: 2, Failed: map[string]int{"rejected": 1}}})
	require.NoError(t, testutil.GatherAndCompare(m.Registry, strings.NewReader(`
# HELP segbridge_jobs Jobs in the queue by state.
# TYPE segbridge_jobs gauge
segbridge_jobs{state="available"} 3
# HELP segbridge_run_contacts_total Contacts of ended runs by result: added, updated, unchanged, untagged, kept, skipped, failed.
# TYPE segbridge_run_contacts_total counter
segbridge_run_contacts_total{result="added"} 2
segbridge_run_contacts_total{result="failed"} 1
# HELP segbridge_runs_total Export runs that ended, by final status (succeeded, failed, cancelled).
# TYPE segbridge_runs_total counter
segbridge_runs_total{status="failed"} 1
`), "segbridge_jobs", "segbridge_run_contacts_total", "segbridge_runs_total"))

	broken := New(func(context.Context) (map[string]int, error) { return nil, errors.New("db down") })
	_, err := broken.Registry.Gather()
	require.ErrorContains(t, err, "db down", "a failing queue count shows as a scrape error, not a zero")
}
