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
