package web

import (
	"fmt"
	"math"
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
	HitH           int // the height of a bar's hover area: the plot's
}

type chartBar struct {
	Href     string
	X, W     float64
	Segments []chartSeg
	Title    string
	Label    string // "" when the bars are too many to label each
	LabelX   float64
	Bad      bool // failed or cancelled
	// Value is what hover and keyboard focus show above the bar, at
	// (ValueX, ValueY) anchored ValueAnchor (start, middle or end: the
	// text stays inside the chart at its edges).
	Value          string
	ValueX, ValueY float64
	ValueAnchor    string
}

type chartSeg struct {
	X, W, Y, H float64
	Class      string
}

type chartDot struct {
	X, Y, R float64
	Title   string
}

// Bar sizes (SVG user units): a bar is at most maxBarW wide, so that one
// run is not a slab, and labels keep at least labelGap apart, so that
// 200 runs label every few bars.
const (
	maxBarW  = 36.0
	labelGap = 40.0
)

// newChart lays out runs (newest first, as the store lists them) oldest
// to newest, left to right.
func newChart(runs []run.Run) chart {
	c := chart{W: chartW, H: chartH, PlotL: plotL, PlotR: chartW - plotR, PlotT: plotT, PlotB: chartH - plotB,
		AxisY: chartH - plotB, AxisEnd: chartW - plotR, HitH: chartH - plotB - plotT}
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
	plotW := float64(c.PlotR - c.PlotL)
	slot := plotW / float64(len(done))
	w := min(slot*0.7, maxBarW)
	every := max(1, int(math.Ceil(labelGap/slot))) // label every nth bar
	var pts []string
	for i, r := range done {
		x := float64(c.PlotL) + float64(i)*slot
		cx := x + slot/2
		b := chartBar{Href: "/runs/" + strconv.FormatInt(r.ID, 10), X: cx - w/2, W: w, LabelX: cx,
			Bad: r.Status != run.StatusSucceeded}
		if (len(done)-1-i)%every == 0 { // the newest run is always labelled
			b.Label = "#" + strconv.FormatInt(r.ID, 10)
		}
		y := float64(c.PlotB)
		for _, part := range []struct {
			n     int
			class string
		}{{r.Counts.Added, "added"}, {r.Counts.Updated, "updated"}, {r.Counts.Untagged, "untagged"}} {
			h := plotH * float64(part.n) / float64(maxSent)
			y -= h
			b.Segments = append(b.Segments, chartSeg{X: b.X, W: b.W, Y: y, H: h, Class: part.class})
		}
		d := dur(r).Round(time.Millisecond)
		b.Title = fmt.Sprintf("run %d %s: added %d, updated %d, untagged %d; %s", r.ID, r.Status,
			r.Counts.Added, r.Counts.Updated, r.Counts.Untagged, d)
		b.Value = fmt.Sprintf("#%d: +%d ~%d −%d, %s", r.ID, r.Counts.Added, r.Counts.Updated, r.Counts.Untagged, d)
		b.ValueX, b.ValueY, b.ValueAnchor = cx, max(y-6, float64(c.PlotT)+10), "middle"
		switch {
		case cx < float64(c.PlotL)+plotW/4:
			b.ValueX, b.ValueAnchor = b.X, "start"
		case cx > float64(c.PlotR)-plotW/4:
			b.ValueX, b.ValueAnchor = b.X+b.W, "end"
		}
		c.Bars = append(c.Bars, b)
		dy := float64(c.PlotB) - plotH*float64(dur(r))/float64(maxDur)
		c.Dots = append(c.Dots, chartDot{X: cx, Y: dy, R: min(3, max(1, slot/3)), Title: fmt.Sprintf("run %d took %s", r.ID, d)})
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", cx, dy))
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
