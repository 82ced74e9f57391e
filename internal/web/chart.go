package web

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"segbridge/internal/run"
)

// chartRuns is how many recent runs the chart shows.
const chartRuns = 30

// Chart geometry (SVG user units).
const (
	chartW, chartH = 720, 220
	plotL, plotR   = 48, 52 // room for the axes' labels
	plotT, plotB   = 14, 30
)

// chart is the server-rendered SVG chart of an export's recent runs: a
// stacked bar per run (contacts added, updated, untagged) and a line of
// run durations on the right axis.
type chart struct {
	W, H           int
	PlotL, PlotR   int
	PlotT, PlotB   int
	Bars           []chartBar
	Line           string // polyline points of the durations
	Dots           []chartDot
	MaxSent        int
	MaxDur         string
	Empty          bool
	AxisY, AxisEnd int
}

type chartBar struct {
	Href     string
	X, W     float64
	Segments []chartSeg
	Title    string
	Label    string
	Bad      bool // failed or cancelled
}

type chartSeg struct {
	X, W, Y, H float64
	Class      string
}

type chartDot struct{ X, Y float64 }

// newChart lays out runs (newest first, as the store lists them) oldest
// to newest, left to right.
func newChart(runs []run.Run) chart {
	c := chart{W: chartW, H: chartH, PlotL: plotL, PlotR: chartW - plotR, PlotT: plotT, PlotB: chartH - plotB,
		AxisY: chartH - plotB, AxisEnd: chartW - plotR}
	var done []run.Run
	for i := len(runs) - 1; i >= 0; i-- {
		if runs[i].Status.Final() {
			done = append(done, runs[i])
		}
	}
	if len(done) == 0 {
		c.Empty = true
		return c
	}
	maxSent, maxDur := 1, time.Millisecond
	for _, r := range done {
		maxSent = max(maxSent, sent(r))
		maxDur = max(maxDur, dur(r))
	}
	c.MaxSent, c.MaxDur = maxSent, maxDur.Round(time.Millisecond).String()
	plotH := float64(c.PlotB - c.PlotT)
	slot := float64(c.PlotR-c.PlotL) / float64(chartRuns)
	var pts []string
	for i, r := range done {
		x := float64(c.PlotL) + float64(i)*slot
		b := chartBar{Href: "/runs/" + strconv.FormatInt(r.ID, 10), X: x + slot*0.15, W: slot * 0.7,
			Label: "#" + strconv.FormatInt(r.ID, 10), Bad: r.Status != run.StatusSucceeded}
		y := float64(c.PlotB)
		for _, part := range []struct {
			n     int
			class string
		}{{r.Counts.Added, "added"}, {r.Counts.Updated, "updated"}, {r.Counts.Untagged, "untagged"}} {
			h := plotH * float64(part.n) / float64(maxSent)
			y -= h
			b.Segments = append(b.Segments, chartSeg{X: b.X, W: b.W, Y: y, H: h, Class: part.class})
		}
		b.Title = fmt.Sprintf("run %d %s: added %d, updated %d, untagged %d; %s", r.ID, r.Status,
			r.Counts.Added, r.Counts.Updated, r.Counts.Untagged, dur(r).Round(time.Millisecond))
		c.Bars = append(c.Bars, b)
		dx, dy := x+slot/2, float64(c.PlotB)-plotH*float64(dur(r))/float64(maxDur)
		c.Dots = append(c.Dots, chartDot{dx, dy})
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", dx, dy))
	}
	c.Line = strings.Join(pts, " ")
	return c
}

// sent is the contacts a run changed in Omnisend.
func sent(r run.Run) int { return r.Counts.Added + r.Counts.Updated + r.Counts.Untagged }

func dur(r run.Run) time.Duration {
	if r.StartedAt.IsZero() || r.FinishedAt.IsZero() {
		return 0
	}
	return r.FinishedAt.Sub(r.StartedAt)
}
