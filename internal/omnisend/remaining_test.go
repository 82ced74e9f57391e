package omnisend

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// ReportRemaining lets spyBudget (client_test.go) stand in for a RateBudget.
func (s *spyBudget) ReportRemaining(string, RouteClass, int, time.Duration) {}

// admitTimes admits n requests one after the other (answered at once) and
// returns how long after start each was admitted.
func (b *budgetBundle) admitTimes(t *testing.T, brand string, class RouteClass, n int) []time.Duration {
	t.Helper()
	start := b.clock.Now()
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = b.admit(t, brand, class).Sub(start)
	}
	return out
}

func countBefore(times []time.Duration, d time.Duration) int {
	n := 0
	for _, at := range times {
		if at < d {
			n++
		}
	}
	return n
}

func TestWindowBudgetReportRemainingCaps(t *testing.T) {
	t.Parallel()
	b := setupBudget(t, WindowBudgetConfig{General: Limit{100, time.Minute}, Margin: -1, ServerReserve: -1})
	b.budget.ReportRemaining("brand", ClassGeneral, 5, 10*time.Second)
	times := b.admitTimes(t, "brand", ClassGeneral, 20)
	require.Equal(t, 5, countBefore(times, 10*time.Second), "no more than the 5 Omnisend has left before reset: %v", times)
	require.Zero(t, times[4], "those 5 go at once")
	require.Equal(t, time.Minute, times[5], "a report holds for a window")
	require.Equal(t, time.Minute, times[19], "then the budget's own limit applies")

	// Other brands are not slowed; tag requests, which take a general slot
	// too, are.
	b.budget.ReportRemaining("brand", ClassGeneral, 0, 30*time.Second)
	require.Zero(t, b.admitTimes(t, "other", ClassGeneral, 10)[9])
	require.Equal(t, time.Minute, b.admitTimes(t, "brand", ClassTags, 1)[0])
}

func TestWindowBudgetReportRemainingCountsInFlight(t *testing.T) {
	t.Parallel()
	b := setupBudget(t, WindowBudgetConfig{General: Limit{100, time.Minute}, Margin: -1, ServerReserve: -1})
	var dones []func()
	for range 2 {
		done, err := b.budget.Wait(b.ctx, "brand", ClassGeneral)
		require.NoError(t, err)
		dones = append(dones, done)
	}
	// Omnisend may or may not have counted the two in flight: of the 3 it
	// reports, only 1 more is certain.
	b.budget.ReportRemaining("brand", ClassGeneral, 3, 10*time.Second)
	times := b.admitTimes(t, "brand", ClassGeneral, 3)
	require.Equal(t, []time.Duration{0, time.Minute, time.Minute}, times)
	for _, d := range dones {
		d()
	}
}

func TestWindowBudgetReportRemainingCountsAnswered(t *testing.T) {
	t.Parallel()
	// 40 answered requests of ours are in the window when Omnisend says 10
	// remain: the others hold 50 of its 100, so the window may hold 50 of
	// ours, and as ours leave the window new ones take their place.
	b := setupBudget(t, WindowBudgetConfig{General: Limit{100, time.Minute}, Margin: -1, ServerReserve: -1})
	first := b.admitTimes(t, "brand", ClassGeneral, 40)
	require.Zero(t, first[39])
	b.clock.Advance(30 * time.Second)
	b.budget.ReportRemaining("brand", ClassGeneral, 10, time.Minute)
	times := b.admitTimes(t, "brand", ClassGeneral, 60)
	require.Equal(t, 10, countBefore(times, 30*time.Second), "10 more until our first 40 leave the window")
	require.Equal(t, 50, countBefore(times, 30*time.Second+time.Nanosecond), "then those 40 slots, not 100")
	require.Equal(t, 30*time.Second, times[49], "when the first 40 leave")
	require.Equal(t, 50, countBefore(times, time.Minute))
	require.Equal(t, time.Minute, times[50], "the rest once the report no longer applies")
}

func TestWindowBudgetReportRemainingNeverRaisesLimit(t *testing.T) {
	t.Parallel()
	b := setupBudget(t, WindowBudgetConfig{General: Limit{10, time.Minute}, Margin: -1, ServerReserve: -1})
	b.budget.ReportRemaining("brand", ClassGeneral, 1000, time.Minute)
	times := b.admitTimes(t, "brand", ClassGeneral, 30)
	require.Equal(t, 10, countBefore(times, time.Minute), "the budget's own 10 per window still holds")

	// The lowest figure of the last window wins, in either order: a lull
	// in the others' traffic is not taken for good.
	for _, order := range [][2]int{{4, 10}, {10, 4}} {
		c := setupBudget(t, WindowBudgetConfig{General: Limit{100, time.Minute}, Margin: -1, ServerReserve: -1})
		c.budget.ReportRemaining("brand", ClassGeneral, order[0], 0)
		c.clock.Advance(10 * time.Second)
		c.budget.ReportRemaining("brand", ClassGeneral, order[1], 0)
		times := c.admitTimes(t, "brand", ClassGeneral, 20)
		require.Equal(t, 4, countBefore(times, 50*time.Second), "%v", order)
		if order[0] == 4 {
			require.Equal(t, 10, countBefore(times, 60*time.Second), "once the 4 is a window old, the 10 applies")
		}
	}
}

func TestWindowBudgetReportRemainingKeepsReserve(t *testing.T) {
	t.Parallel()
	// Default reserve: 2 % of the limit (7 of 360), left to the others.
	b := setupBudget(t, WindowBudgetConfig{Margin: -1})
	b.budget.ReportRemaining("brand", ClassGeneral, 100, 20*time.Second)
	times := b.admitTimes(t, "brand", ClassGeneral, 120)
	require.Equal(t, 93, countBefore(times, 20*time.Second))
	b.budget.ReportRemaining("brand", ClassTags, 5, 20*time.Second)
	require.Equal(t, 4, countBefore(b.admitTimes(t, "brand", ClassTags, 6), 20*time.Second), "1 of the tags' 54")
}
