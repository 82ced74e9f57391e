package web

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/run"
)

func TestChart(t *testing.T) {
	t.Parallel()
	require.True(t, newChart(nil).Empty)
	start := time.Date(2026, 11, 1, 2, 0, 0, 0, time.UTC)
	mk := func(id int64, st run.Status, added, updated, untagged int, d time.Duration) run.Run {
		return run.Run{ID: id, Status: st, StartedAt: start, FinishedAt: start.Add(d),
			Counts: run.Counts{Added: added, Updated: updated, Untagged: untagged}}
	}
	// Newest first, as the store lists them; the active run is left out.
	runs := []run.Run{
		{ID: 4, Status: run.StatusRunning, StartedAt: start},
		mk(3, run.StatusFailed, 0, 0, 0, time.Second),
		mk(2, run.StatusSucceeded, 0, 50, 50, 4*time.Second),
		mk(1, run.StatusSucceeded, 200, 0, 0, 2*time.Second),
	}
	c := newChart(runs)
	require.False(t, c.Empty)
	require.Len(t, c.Bars, 3)
	require.Equal(t, "#1", c.Bars[0].Label, "oldest on the left")
	require.Equal(t, 200, c.MaxSent)
	require.Equal(t, "4s", c.MaxDur)
	plotH := float64(c.PlotB - c.PlotT)
	require.InDelta(t, plotH, c.Bars[0].Segments[0].H, 0.01, "the largest run fills the plot")
	require.InDelta(t, plotH/4, c.Bars[1].Segments[1].H, 0.01, "50 updated of 200")
	require.InDelta(t, float64(c.PlotB)-plotH/4, c.Bars[1].Segments[1].Y, 0.01, "stacked on the added part")
	require.True(t, c.Bars[2].Bad)
	require.InDelta(t, float64(c.PlotT), c.Dots[1].Y, 0.01, "the longest run reaches the top")
	require.Less(t, c.Bars[0].X, c.Bars[1].X)
	require.Contains(t, c.Bars[1].Title, "updated 50, untagged 50; 4s")
}

// TestChartScales: one run is a bar of modest width in the middle; 200
// runs fit side by side without overlapping, labelled every few bars;
// every bar carries its values for hover and keyboard focus.
func TestChartScales(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 11, 1, 2, 0, 0, 0, time.UTC)
	mk := func(n int) []run.Run {
		var runs []run.Run
		for id := n; id >= 1; id-- { // newest first
			runs = append(runs, run.Run{ID: int64(id), Status: run.StatusSucceeded, StartedAt: start,
				FinishedAt: start.Add(time.Duration(id) * time.Second), Counts: run.Counts{Added: id * 10, Updated: id}})
		}
		return runs
	}
	one := newChart(mk(1))
	require.Len(t, one.Bars, 1)
	b := one.Bars[0]
	require.LessOrEqual(t, b.W, maxBarW, "one run is no slab")
	require.InDelta(t, float64(one.PlotL+one.PlotR)/2, b.X+b.W/2, 0.01, "centred")
	require.Equal(t, "#1", b.Label)
	require.Equal(t, "#1: +10 ~1 −0, 1s", b.Value)

	many := newChart(mk(200))
	require.Len(t, many.Bars, 200)
	labels := 0
	var lastLabel float64
	for i, b := range many.Bars {
		require.Greater(t, b.W, 0.0)
		require.GreaterOrEqual(t, b.X, float64(many.PlotL))
		require.LessOrEqual(t, b.X+b.W, float64(many.PlotR)+0.01)
		if i > 0 {
			prev := many.Bars[i-1]
			require.Greater(t, b.X, prev.X+prev.W, "bars %d and %d do not overlap", i-1, i)
		}
		require.NotEmpty(t, b.Title)
		require.NotEmpty(t, b.Value)
		if b.Label != "" {
			if labels > 0 {
				require.GreaterOrEqual(t, b.LabelX-lastLabel, labelGap-0.01, "labels keep apart")
			}
			labels++
			lastLabel = b.LabelX
		}
	}
	require.Equal(t, "#200", many.Bars[199].Label, "the newest run is labelled")
	require.Less(t, labels, 20)
	require.Greater(t, labels, 5)
	require.Equal(t, "start", many.Bars[0].ValueAnchor, "values stay inside the chart at its edges")
	require.Equal(t, "end", many.Bars[199].ValueAnchor)
	for _, d := range many.Dots {
		require.Contains(t, d.Title, "took")
	}
}
