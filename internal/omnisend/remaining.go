package omnisend

import (
	"slices"
	"time"
)

// ReportRemaining implements RateBudget.
//
// Omnisend counts every integration of the brand in one sliding window. If
// it says remaining requests are left while its window surely holds
// answered requests of the budget's (sent within the last window), the
// others hold the rest, and the budget's window may hold at most remaining
// plus those answered ones, less ServerReserve. Requests in flight are not
// added: Omnisend may have counted them already, so they must fit in that
// figure too. Both choices can only make the figure smaller than the
// truth. Other
// integrations do not keep an even pace, so each figure applies for a
// window (or until reset, if that is later) and the lowest figure in force
// wins: a lull in the others' traffic is not taken for good, only a lower
// pace that lasts a window. A report can lower the limit, never raise it
// above the budget's own, nor end a 429 pause; without reports nothing
// changes.
func (b *WindowBudget) ReportRemaining(brand string, class RouteClass, remaining int, reset time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.clock.Now()
	l := b.log(brand, class)
	l.expire(now)
	answered := 0
	for _, s := range l.slots {
		if !s.open && now.Sub(s.sent) < l.window {
			answered++
		}
	}
	l.reported.add(now, now.Add(max(l.span, reset)), max(0, remaining+answered-l.reserve))
	b.wakeBrand(brand) // waits computed before may be too long or too short
}

// reportedLimits keeps the limits reports set, to find the lowest one in
// force: a sliding-window minimum. A report makes every earlier one with a
// limit as high that ends no later irrelevant, so few entries are kept.
type reportedLimits struct {
	entries []reportedLimit
}

type reportedLimit struct {
	until time.Time // in force before this
	limit int
}

// add records a limit in force until until. Earlier entries with a limit
// as high or higher that end no later can never be the lowest again.
func (r *reportedLimits) add(now, until time.Time, limit int) {
	r.drop(now)
	i := len(r.entries)
	for i > 0 && r.entries[i-1].limit >= limit && !r.entries[i-1].until.After(until) {
		i--
	}
	r.entries = append(r.entries[:i], reportedLimit{until: until, limit: limit})
}

// drop forgets the entries no longer in force at now.
func (r *reportedLimits) drop(now time.Time) {
	r.entries = slices.DeleteFunc(r.entries, func(e reportedLimit) bool { return !now.Before(e.until) })
}

// limit returns the lowest limit in force at now, if any.
func (r *reportedLimits) limit(now time.Time) (int, bool) {
	r.drop(now)
	lowest, ok := 0, false
	for _, e := range r.entries {
		if !ok || e.limit < lowest {
			lowest, ok = e.limit, true
		}
	}
	return lowest, ok
}

// change returns when the lowest limit in force next ends, if one is.
func (r *reportedLimits) change(now time.Time) (time.Time, bool) {
	r.drop(now)
	if len(r.entries) == 0 {
		return time.Time{}, false
	}
	lowest := 0
	for i, e := range r.entries {
		if e.limit < r.entries[lowest].limit {
			lowest = i
		}
	}
	return r.entries[lowest].until, true
}
