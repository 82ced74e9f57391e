package omnisend

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// rateRun is the outcome of driving the sandbox as fast as the budget lets.
type rateRun struct {
	requests    int
	budget      int
	busiest     int     // sandbox's busiest 60 s window (general limit)
	rejected    int     // requests the sandbox refused with 429
	windows     float64 // run length in 60 s windows, counting the last one
	perWindow   float64 // achieved requests per 60 s window
	utilisation float64 // perWindow / budget
	wall        time.Duration
}

// driveRate sends n requests from workers on both dialects' clients, which
// share the brand's budget, and measures the run from the sandbox's own
// request log and statistics (sandbox time).
func driveRate(ctx context.Context, b *testBundle, n, workers int) (rateRun, error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	start := time.Now()
	for w := range workers {
		c := b.clients[[]Dialect{Dialect20260315, DialectV3}[w%2]]
		wg.Go(func() {
			for i := next.Add(1); i <= int64(n); i = next.Add(1) {
				if err := oneRequest(ctx, c, int(i)); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return rateRun{}, err
	}
	lim := b.srv.Stats().Brands[sbBrand].Limits["general"]
	run := rateRun{requests: n, budget: b.budget.cfg.General.Requests, busiest: lim.Busiest,
		rejected: lim.Rejected, wall: time.Since(start)}
	window := time.Duration(lim.WindowSeconds * float64(time.Second))
	log := b.srv.Requests()
	run.windows = float64(log[len(log)-1].Time.Sub(log[0].Time))/float64(window) + 1
	run.perWindow = float64(len(log)) / run.windows
	run.utilisation = run.perWindow / float64(run.budget)
	return run, nil
}

// oneRequest is a typical mix: upserts, lookups by e-mail, batch lists.
func oneRequest(ctx context.Context, c *Client, i int) error {
	var err error
	switch i % 3 {
	case 0:
		_, err = c.UpsertContact(ctx, Contact{Email: fmt.Sprintf("rate%d@example.com", i%500)})
	case 1:
		_, err = c.ListContacts(ctx, ListContactsOptions{Email: fmt.Sprintf("rate%d@example.com", i%500)})
	default:
		_, err = c.ListBatches(ctx, ListBatchesOptions{Limit: 1})
	}
	return err
}

// The achieved rate is requests / (elapsed windows + 1): the "+1" counts
// the window the last requests occupy. It never overstates the rate (the
// budget admits a full window at once, then one window's worth per window
// plus margin), so a short run understates it.

func TestRateBudgetHoldsAgainstSandbox(t *testing.T) {
	// Not parallel on purpose: it measures throughput, and the package's
	// other sandbox tests would compete for the same two cores.
	if testing.Short() {
		t.Skip("drives the sandbox at the budget for about ten seconds")
	}
	// Scale 20: a 60 s window lasts 3 s.
	b := setup(t, func(o *setupOpts) { o.scale = 20 })
	run, err := driveRate(t.Context(), b, 1440, 8)
	require.NoError(t, err)
	t.Logf("%+v", run)
	require.LessOrEqual(t, run.busiest, run.budget, "busiest window within the budget")
	require.Zero(t, run.rejected, "the sandbox never had to refuse a request")
	require.GreaterOrEqual(t, run.utilisation, 0.9, "at least 90%% of the budget used")
}

// BenchmarkRateBudgetAgainstSandbox drives 3,600 requests per iteration
// through a sandbox at time scale 10 (a 60 s window lasts 6 s) with
// Omnisend's 400/min limit and the client's default budget of 360 per
// window, margin 10 ms wall. Run with -benchtime 1x.
func BenchmarkRateBudgetAgainstSandbox(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		bundle := setup(b, func(o *setupOpts) { o.scale = 10 })
		b.StartTimer()
		run, err := driveRate(b.Context(), bundle, 3600, 8)
		if err != nil {
			b.Fatal(err)
		}
		if run.busiest > run.budget || run.rejected > 0 || run.utilisation < 0.9 {
			b.Fatalf("budget broken or underused: %+v", run)
		}
		b.ReportMetric(float64(run.requests), "requests")
		b.ReportMetric(float64(run.budget), "budget/window")
		b.ReportMetric(float64(run.busiest), "busiest/window")
		b.ReportMetric(run.perWindow, "achieved/window")
		b.ReportMetric(100*run.utilisation, "%budget")
		b.ReportMetric(float64(run.rejected), "429s")
	}
}
