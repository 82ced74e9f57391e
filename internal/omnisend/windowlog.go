package omnisend

import (
	"context"
	"slices"
	"time"
)

// slot is one admitted request. It occupies the window from admission
// until its response arrived (done) plus the window: Omnisend counts the
// request at some moment between sending and answering, so timing the
// expiry from the answer keeps the guarantee whatever the network delay.
type slot struct {
	sent  time.Time // admitted
	done  time.Time
	open  bool   // still in flight
	share string // who the request was for (see WithShare)
}

// windowLog is the sliding-window log of one brand and class.
type windowLog struct {
	limit    int
	window   time.Duration
	span     time.Duration // window plus margin
	recovery time.Duration
	slots    []*slot // admitted and not yet expired, in admission order
	waiters  []*waiter

	factor      float64 // fraction of limit right after the last 429
	hitAt       time.Time
	pausedUntil time.Time

	// What responses reported of Omnisend's own count (see
	// WindowBudget.ReportRemaining), and the part of it left over.
	reported reportedLimits
	reserve  int
}

// factorAt is the fraction of the limit allowed at now: it climbs linearly
// from the post-429 factor back to 1 over the recovery time.
func (l *windowLog) factorAt(now time.Time) float64 {
	if l.factor >= 1 {
		return 1
	}
	f := l.factor + float64(now.Sub(l.hitAt))/float64(l.recovery)
	return min(1, f)
}

// effective is the current limit: the own limit (at least 1, lowered
// after a 429), or less while Omnisend's reported count says so.
func (l *windowLog) effective(now time.Time) int {
	eff := max(1, int(float64(l.limit)*l.factorAt(now)))
	if r, ok := l.reported.limit(now); ok {
		eff = min(eff, r)
	}
	return eff
}

// expire drops the slots that have left the window at now.
func (l *windowLog) expire(now time.Time) {
	cut := now.Add(-l.span)
	l.slots = slices.DeleteFunc(l.slots, func(s *slot) bool { return !s.open && !s.done.After(cut) })
}

// waitFor drops expired slots and returns 0 if a request may be admitted
// at now with ahead other requests to admit first, or how long to wait
// before looking again.
func (l *windowLog) waitFor(now time.Time, ahead int) time.Duration {
	if now.Before(l.pausedUntil) {
		return l.pausedUntil.Sub(now)
	}
	l.expire(now)
	eff := l.effective(now)
	// need slots must expire before one more fits; in-flight ones cannot
	// expire until they are done.
	need := len(l.slots) - eff + 1 + ahead
	if need <= 0 {
		return 0
	}
	var expiries []time.Time
	for _, s := range l.slots {
		if !s.open {
			expiries = append(expiries, s.done.Add(l.span))
		}
	}
	poll := max(time.Millisecond, l.span/1000)
	wait := poll
	if len(expiries) >= need {
		slices.SortFunc(expiries, func(a, b time.Time) int { return a.Compare(b) })
		wait = max(time.Nanosecond, expiries[need-1].Sub(now))
	}
	if until, ok := l.reported.change(now); ok {
		// The reported limit may grow then, freeing a slot sooner.
		wait = min(wait, until.Sub(now))
	}
	if l.factorAt(now) < 1 {
		// While recovering, the limit grows by one every recovery/limit:
		// look again then rather than oversleeping.
		wait = min(wait, max(time.Millisecond, l.recovery/time.Duration(l.limit)))
	}
	return wait
}

// admit records a new in-flight request of share, sent at now.
func (l *windowLog) admit(share string, now time.Time) *slot {
	s := &slot{sent: now, open: true, share: share}
	l.slots = append(l.slots, s)
	return s
}

// waiter is one Wait call not admitted yet.
type waiter struct {
	share string
	seq   int64              // arrival order
	wake  context.CancelFunc // ends its current sleep early
}

// turn is w's Turn in the log's window at now. Call it after expire.
func (l *windowLog) turn(w *waiter, now time.Time) int {
	if len(l.waiters) < 2 && !slices.ContainsFunc(l.slots, func(s *slot) bool { return s.share != w.share }) {
		return 0 // alone
	}
	win := Window{Limit: l.effective(now), Used: map[string]int{}, InFlight: map[string]int{},
		Waiters: make([]Waiter, len(l.waiters))}
	for _, s := range l.slots {
		win.Used[s.share]++
		if s.open {
			win.InFlight[s.share]++
		}
	}
	for i, o := range l.waiters {
		win.Waiters[i] = Waiter{Share: o.share, Seq: o.seq}
	}
	return win.Turn(Waiter{Share: w.share, Seq: w.seq})
}

// wakeAll ends the sleep of every waiter, so each looks again.
func (l *windowLog) wakeAll() {
	for _, w := range l.waiters {
		if w.wake != nil {
			w.wake()
		}
	}
}
