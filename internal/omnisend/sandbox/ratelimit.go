package sandbox

import (
	"math"
	"time"
)

// The two per-brand limits.
const (
	limitGeneral = "general"
	limitTags    = "tags"
)

// slidingWindow is a per-brand limit over a sliding window: a request at t
// is admitted when fewer than limit requests occupy (t-window, t]. It also
// keeps, independently of admission, the exact busiest window of admitted
// requests: the largest number of admitted timestamps within any window.
type slidingWindow struct {
	limit         int
	window        time.Duration
	countRejected bool

	occupied []time.Time // timestamps that count against the limit, oldest first
	admitted []time.Time // admitted timestamps within the last window (for busiest)

	totalAdmitted int
	totalRejected int
	busiest       int
	busiestAt     time.Time // sandbox time of the last request of the busiest window
}

func newSlidingWindow(limit int, window time.Duration, countRejected bool) *slidingWindow {
	return &slidingWindow{limit: limit, window: window, countRejected: countRejected}
}

// take admits or rejects one request at now. On rejection it returns how
// long (sandbox time) until a slot frees up.
func (w *slidingWindow) take(now time.Time) (ok bool, wait time.Duration) {
	w.occupied = trimBefore(w.occupied, now.Add(-w.window))
	if len(w.occupied) >= w.limit {
		w.totalRejected++
		wait = w.occupied[len(w.occupied)-w.limit].Add(w.window).Sub(now)
		if w.countRejected {
			w.occupied = append(w.occupied, now)
		}
		return false, wait
	}
	w.occupied = append(w.occupied, now)
	w.admitted = append(trimBefore(w.admitted, now.Add(-w.window)), now)
	w.totalAdmitted++
	if len(w.admitted) > w.busiest {
		w.busiest, w.busiestAt = len(w.admitted), now
	}
	return true, 0
}

// remaining is how many requests would still be admitted at now.
func (w *slidingWindow) remaining(now time.Time) int {
	w.occupied = trimBefore(w.occupied, now.Add(-w.window))
	return max(0, w.limit-len(w.occupied))
}

// resetIn is how long (sandbox time) until the oldest request counted at now
// leaves the window, when Remaining next grows; the whole window when none
// is counted. It is X-Rate-Limit-Reset ("seconds left in period").
func (w *slidingWindow) resetIn(now time.Time) time.Duration {
	w.occupied = trimBefore(w.occupied, now.Add(-w.window))
	if len(w.occupied) == 0 {
		return w.window
	}
	return w.occupied[0].Add(w.window).Sub(now)
}

// trimBefore drops timestamps at or before cutoff: a timestamp s is inside
// the window ending at t when t-s < window.
func trimBefore(ts []time.Time, cutoff time.Time) []time.Time {
	i := 0
	for i < len(ts) && !ts[i].After(cutoff) {
		i++
	}
	if i == 0 {
		return ts
	}
	if i > len(ts)/2 && cap(ts) > 64 {
		return append(ts[:0:0], ts[i:]...)
	}
	return ts[i:]
}

// retryAfterSeconds converts a sandbox wait into the whole wall-clock
// seconds a client must wait, at least 1.
func retryAfterSeconds(wait time.Duration, scale float64) int {
	secs := math.Ceil(wait.Seconds() / scale)
	return max(1, int(secs))
}
