package omnisend

import (
	"context"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

type budgetBundle struct {
	clock  *simClock
	budget *WindowBudget
	ctx    context.Context
}

func setupBudget(t *testing.T, cfg WindowBudgetConfig) *budgetBundle {
	t.Helper()
	clock := newSimClock()
	return &budgetBundle{clock: clock, budget: NewWindowBudget(cfg, clock), ctx: t.Context()}
}

// admit calls Wait, returns the (simulated) admission time and marks the
// request done at once (an instant response).
func (b *budgetBundle) admit(t *testing.T, brand string, class RouteClass) time.Time {
	t.Helper()
	done, err := b.budget.Wait(b.ctx, brand, class)
	require.NoError(t, err)
	done()
	return b.clock.Now()
}

// maxInWindow is the largest number of times within any half-open window
// (t-span, t] — the same rule Omnisend's sliding window uses.
func maxInWindow(times []time.Time, span time.Duration) int {
	best, lo := 0, 0
	for hi := range times {
		for !times[lo].After(times[hi].Add(-span)) {
			lo++
		}
		best = max(best, hi-lo+1)
	}
	return best
}

func TestWindowBudgetNeverExceedsLimit(t *testing.T) {
	t.Parallel()
	b := setupBudget(t, WindowBudgetConfig{General: Limit{100, time.Minute}, Margin: -1})
	rnd := rand.New(rand.NewPCG(1, 2))
	var times []time.Time
	for range 2000 {
		// Random think time between requests, sometimes none (bursts).
		if rnd.IntN(3) == 0 {
			b.clock.Advance(time.Duration(rnd.IntN(2000)) * time.Millisecond)
		}
		times = append(times, b.admit(t, "brand", ClassGeneral))
	}
	require.Equal(t, 100, maxInWindow(times, time.Minute))
	// And it is not slower than it must be: 2000 requests at 100/min with
	// a burst at the start need a bit over 19 minutes.
	require.Less(t, times[len(times)-1].Sub(times[0]), 21*time.Minute)
}

func TestWindowBudgetFirstBurstThenPaced(t *testing.T) {
	t.Parallel()
	b := setupBudget(t, WindowBudgetConfig{General: Limit{10, time.Second}, Margin: time.Millisecond * 10})
	start := b.clock.Now()
	for range 10 {
		require.Equal(t, start, b.admit(t, "x", ClassGeneral), "the first 10 go at once")
	}
	require.Equal(t, start.Add(1010*time.Millisecond), b.admit(t, "x", ClassGeneral))
	// Another brand is not affected.
	require.Equal(t, b.clock.Now(), b.admit(t, "y", ClassGeneral))
}

func TestWindowBudgetTagsTakeGeneralSlotToo(t *testing.T) {
	t.Parallel()
	b := setupBudget(t, WindowBudgetConfig{General: Limit{5, time.Second}, Tags: Limit{3, time.Second}, Margin: -1})
	t0 := b.clock.Now()
	for range 3 {
		require.Equal(t, t0, b.admit(t, "x", ClassTags))
	}
	require.True(t, b.admit(t, "x", ClassTags).After(t0), "tag limit reached")
	// Now (t0+1s) the first three have left the window; the fourth tag
	// call holds one general slot, so only four general calls fit.
	t1 := b.clock.Now()
	for range 4 {
		require.Equal(t, t1, b.admit(t, "x", ClassGeneral))
	}
	require.True(t, b.admit(t, "x", ClassGeneral).After(t1), "the tag call holds a general slot")

	sep := setupBudget(t, WindowBudgetConfig{General: Limit{2, time.Second}, Tags: Limit{3, time.Second},
		TagsOutsideGeneral: true, Margin: -1})
	s0 := sep.clock.Now()
	for range 3 {
		require.Equal(t, s0, sep.admit(t, "x", ClassTags))
	}
	for range 2 {
		require.Equal(t, s0, sep.admit(t, "x", ClassGeneral), "separate budgets")
	}
}

func TestWindowBudget429PausesSlowsAndRecovers(t *testing.T) {
	t.Parallel()
	b := setupBudget(t, WindowBudgetConfig{General: Limit{100, time.Minute}, Margin: 1})
	start := b.clock.Now()
	b.budget.Report429("x", ClassGeneral, 5*time.Second)
	require.Equal(t, start.Add(5*time.Second), b.admit(t, "x", ClassGeneral), "retryAfter honoured")

	// After the 429 the limit is halved, then climbs back linearly over
	// two windows: at the end of the 5 s pause it is 100*(0.5+5/120) = 54.
	resume, burst := start.Add(5*time.Second), 1
	for b.admit(t, "x", ClassGeneral).Equal(resume) {
		burst++
	}
	require.Equal(t, 54, burst)

	// Two windows later the full rate is back: 100 in a fresh window.
	b.clock.Advance(3 * time.Minute)
	t0 := b.clock.Now()
	for range 100 {
		require.Equal(t, t0, b.admit(t, "x", ClassGeneral))
	}

	// Repeated 429s never go below MinFactor (25 %), and 429s without a
	// hint pause for the default (1 s).
	for range 10 {
		b.budget.Report429("x", ClassGeneral, 0)
	}
	l := b.budget.log("x", ClassGeneral)
	require.InDelta(t, 0.25, l.factor, 1e-9)
	require.Equal(t, b.clock.Now().Add(time.Second), l.pausedUntil)
}

func TestWindowBudgetWaitHonoursContext(t *testing.T) {
	t.Parallel()
	b := NewWindowBudget(WindowBudgetConfig{General: Limit{1, time.Hour}}, SystemClock{})
	ctx, cancel := context.WithCancel(t.Context())
	done, err := b.Wait(ctx, "x", ClassGeneral)
	require.NoError(t, err)
	done()
	cancel()
	_, err = b.Wait(ctx, "x", ClassGeneral)
	require.ErrorIs(t, err, context.Canceled)
}

func TestWindowBudgetConcurrentRealClock(t *testing.T) {
	t.Parallel()
	const limit, window = 20, 200 * time.Millisecond
	b := NewWindowBudget(WindowBudgetConfig{General: Limit{limit, window}, Margin: time.Millisecond}, SystemClock{})
	var mu sync.Mutex
	var times []time.Time
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 10 {
				done, err := b.Wait(t.Context(), "x", ClassGeneral)
				require.NoError(t, err)
				time.Sleep(time.Millisecond) // in flight
				done()
				mu.Lock()
				times = append(times, time.Now())
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	require.Len(t, times, 80)
	// The log itself never holds more than the limit.
	require.LessOrEqual(t, len(b.budget(t).slots), limit)
	require.Equal(t, limit, maxInWindow(times, window), "admission times respect the window too")
}

func (b *WindowBudget) budget(t *testing.T) *windowLog {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.log("x", ClassGeneral)
}

func TestWindowBudgetInFlightKeepsItsPlace(t *testing.T) {
	t.Parallel()
	b := setupBudget(t, WindowBudgetConfig{General: Limit{1, time.Second}, Margin: -1})
	slow, err := b.budget.Wait(b.ctx, "x", ClassGeneral) // answered only much later
	require.NoError(t, err)
	// Omnisend may count the slow request as late as its answer, so it
	// holds its slot until a window after that, however long it takes.
	b.clock.Advance(5 * time.Second)
	ready := make(chan time.Time, 1)
	go func() { ready <- b.admit(t, "x", ClassGeneral) }()
	time.Sleep(20 * time.Millisecond)
	answered := b.clock.Now()
	slow()
	got := <-ready
	require.False(t, got.Before(answered.Add(time.Second)), "slot freed a window after the answer, got %s", got.Sub(answered))
	slow() // idempotent
}
