// Package budgettest is the conformance suite of omnisend.RateBudget
// implementations: every budget (the in-process WindowBudget, the
// PostgreSQL one) runs it, on the real clock with short windows. It checks
// that no window ever holds more than the limit, that shares of one brand
// get fair parts of its budget, that a share alone gets all of it, and that
// brands do not slow each other down.
package budgettest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/omnisend"
)

// Limit and Window are the general budget the suite configures: short
// enough for a test, long enough that a budget needing several database
// round trips per request keeps up on a loaded 2-core machine (at 250 ms
// windows, 80 admissions a second, the PostgreSQL budget fell short of the
// throughput checks while other test packages ran).
const (
	Limit  = 20
	Window = time.Second
)

// NewFunc returns a fresh, empty budget with cfg. Budgets returned by
// several calls in one test must share their state as two processes on
// one database would (an in-process budget returns the same one).
type NewFunc func(t *testing.T, cfg omnisend.WindowBudgetConfig) omnisend.RateBudget

// Config is the configuration the suite passes to NewFunc.
func Config() omnisend.WindowBudgetConfig {
	return omnisend.WindowBudgetConfig{
		General: omnisend.Limit{Requests: Limit, Window: Window},
		Tags:    omnisend.Limit{Requests: Limit / 2, Window: Window},
		Margin:  5 * time.Millisecond,
	}
}

// Run runs the suite. Subtests run one after another: they measure
// throughput on the real clock.
func Run(t *testing.T, newBudget NewFunc) {
	t.Run("FairShares", func(t *testing.T) { testFairShares(t, newBudget) })
	t.Run("BigAndSmallShare", func(t *testing.T) { testBigAndSmall(t, newBudget) })
	t.Run("ShareAloneGetsAll", func(t *testing.T) { testAlone(t, newBudget) })
	t.Run("BrandsIndependent", func(t *testing.T) { testBrands(t, newBudget) })
	t.Run("Report429Pauses", func(t *testing.T) { test429(t, newBudget) })
	t.Run("WaitHonoursContext", func(t *testing.T) { testContext(t, newBudget) })
}

// worker is one goroutine sending requests as share to brand.
type worker struct {
	brand, share string
	budget       omnisend.RateBudget
	inFlight     time.Duration // how long each request takes
}

// admissions records when each request was admitted, per brand and share.
type admissions struct {
	mu     sync.Mutex
	start  time.Time
	times  map[string][]time.Time // brand → admission times
	count  map[string]int         // brand + "/" + share → admissions
	shares map[string][]time.Time // brand + "/" + share → admission times
}

// since counts the admissions of brand + "/" + share from d after the
// start on.
func (a *admissions) since(key string, d time.Duration) int {
	n := 0
	for _, at := range a.shares[key] {
		if !at.Before(a.start.Add(d)) {
			n++
		}
	}
	return n
}

// hammer runs workers until d has passed and returns what they admitted.
func hammer(t *testing.T, d time.Duration, workers []worker) *admissions {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), d)
	defer cancel()
	a := &admissions{start: time.Now(), times: map[string][]time.Time{}, count: map[string]int{}, shares: map[string][]time.Time{}}
	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Go(func() {
			wctx := omnisend.WithShare(ctx, w.share)
			for {
				done, err := w.budget.Wait(wctx, w.brand, omnisend.ClassGeneral)
				if err != nil {
					require.ErrorIs(t, err, context.DeadlineExceeded)
					return
				}
				at := time.Now() // between admission and answer
				time.Sleep(w.inFlight)
				done()
				a.mu.Lock()
				a.times[w.brand] = append(a.times[w.brand], at)
				a.count[w.brand+"/"+w.share]++
				a.shares[w.brand+"/"+w.share] = append(a.shares[w.brand+"/"+w.share], at)
				a.mu.Unlock()
			}
		})
	}
	wg.Wait()
	for brand, ts := range a.times {
		slices.SortFunc(ts, func(x, y time.Time) int { return x.Compare(y) })
		require.LessOrEqual(t, MaxInWindow(ts, Window), Limit, "brand %s: a window held more than the limit", brand)
	}
	return a
}

// MaxInWindow is the largest number of times within any half-open window
// (t-span, t] — the rule of Omnisend's sliding window. times must be
// sorted.
func MaxInWindow(times []time.Time, span time.Duration) int {
	best, lo := 0, 0
	for hi := range times {
		for !times[lo].After(times[hi].Add(-span)) {
			lo++
		}
		best = max(best, hi-lo+1)
	}
	return best
}

func workers(n int, brand, share string, b omnisend.RateBudget, inFlight time.Duration) []worker {
	out := make([]worker, n)
	for i := range out {
		out[i] = worker{brand: brand, share: share, budget: b, inFlight: inFlight}
	}
	return out
}

// Two shares hammering one brand, each from two "processes" (budget
// instances), get within ±10 % of each other's admissions once the first
// window has passed. The first window starts empty: its burst goes to
// whoever asks first, before the other share has used anything (on a
// loaded machine the workers started first can take all of it), and the
// budget shares each window, it does not pay back earlier ones.
func testFairShares(t *testing.T, newBudget NewFunc) {
	b1, b2 := newBudget(t, Config()), newBudget(t, Config())
	ws := slices.Concat(
		workers(2, "x", "big", b1, time.Millisecond), workers(2, "x", "big", b2, time.Millisecond),
		workers(2, "x", "other", b1, time.Millisecond), workers(2, "x", "other", b2, time.Millisecond))
	a := hammer(t, 8*Window, ws)
	big, other := a.since("x/big", Window), a.since("x/other", Window)
	t.Logf("admissions after the first window: big %d, other %d (in all %d, %d)", big, other, a.count["x/big"], a.count["x/other"])
	requireFair(t, big, other, 0.10)
	requireThroughput(t, a.count["x/big"]+a.count["x/other"], 8*Window)
}

// A share with eight concurrent requests does not starve one with a single
// request at a time.
func testBigAndSmall(t *testing.T, newBudget NewFunc) {
	b1, b2 := newBudget(t, Config()), newBudget(t, Config())
	ws := slices.Concat(workers(4, "x", "big", b1, 2*time.Millisecond), workers(4, "x", "big", b2, 2*time.Millisecond),
		workers(1, "x", "small", b2, 2*time.Millisecond))
	a := hammer(t, 8*Window, ws)
	big, small := a.since("x/big", Window), a.since("x/small", Window)
	t.Logf("admissions after the first window: big %d, small %d (in all %d, %d)", big, small, a.count["x/big"], a.count["x/small"])
	// Taking turns, the small share would get half; it is between requests
	// part of the time, when a freed slot goes to the big one, which leaves
	// it three eighths to a half (here 69 of 140 after the first window):
	// far from starved. (The first window's burst goes to whoever asks
	// first, as in testFairShares.)
	require.GreaterOrEqual(t, float64(small), 0.3*float64(big+small), "the small share gets its fair part")
	requireThroughput(t, a.count["x/big"]+a.count["x/small"], 8*Window)
}

// A share alone gets the whole budget.
func testAlone(t *testing.T, newBudget NewFunc) {
	b := newBudget(t, Config())
	a := hammer(t, 6*Window, workers(4, "x", "alone", b, time.Millisecond))
	t.Logf("admissions: %d in %d windows of %d", a.count["x/alone"], 6, Limit)
	requireThroughput(t, a.count["x/alone"], 6*Window)
}

// A saturated brand does not slow another one down.
func testBrands(t *testing.T, newBudget NewFunc) {
	b := newBudget(t, Config())
	ws := slices.Concat(workers(4, "x", "a", b, time.Millisecond), workers(4, "y", "b", b, time.Millisecond))
	a := hammer(t, 6*Window, ws)
	t.Logf("admissions: brand x %d, brand y %d", a.count["x/a"], a.count["y/b"])
	requireThroughput(t, a.count["x/a"], 6*Window)
	requireThroughput(t, a.count["y/b"], 6*Window)
}

// A 429 reported through one instance pauses the brand for all of them.
func test429(t *testing.T, newBudget NewFunc) {
	b1, b2 := newBudget(t, Config()), newBudget(t, Config())
	done, err := b1.Wait(t.Context(), "x", omnisend.ClassGeneral)
	require.NoError(t, err)
	done()
	start := time.Now()
	b1.Report429("x", omnisend.ClassGeneral, Window)
	done, err = b2.Wait(t.Context(), "x", omnisend.ClassGeneral)
	require.NoError(t, err)
	done()
	require.GreaterOrEqual(t, time.Since(start), Window-10*time.Millisecond, "retryAfter honoured by every instance")
	// Another brand is not paused.
	start = time.Now()
	done, err = b2.Wait(t.Context(), "y", omnisend.ClassGeneral)
	require.NoError(t, err)
	done()
	require.Less(t, time.Since(start), Window/2)
}

// Wait returns the context's error when it ends first.
func testContext(t *testing.T, newBudget NewFunc) {
	b := newBudget(t, Config())
	for range Limit {
		done, err := b.Wait(t.Context(), "x", omnisend.ClassGeneral)
		require.NoError(t, err)
		defer done()
	}
	ctx, cancel := context.WithTimeout(t.Context(), Window/5)
	defer cancel()
	_, err := b.Wait(ctx, "x", omnisend.ClassGeneral) // full of requests in flight
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

// requireFair checks that a and b are within tolerance of each other.
func requireFair(t *testing.T, a, b int, tolerance float64) {
	t.Helper()
	require.LessOrEqual(t, abs(float64(a-b)), tolerance*float64(max(a, b)), fmt.Sprintf("unfair: %d against %d", a, b))
}

// requireThroughput checks that n admissions in d use most of the budget
// (the first window admits a burst of Limit, then Limit per window).
func requireThroughput(t *testing.T, n int, d time.Duration) {
	t.Helper()
	windows := float64(d) / float64(Window+Config().Margin)
	require.GreaterOrEqual(t, float64(n), 0.8*Limit*windows, "only %d admissions in %s", n, d)
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}
