package omnisend

import "slices"

// Waiter is a request waiting for a slot of a brand's window: its share
// and its arrival order (lower first).
type Waiter struct {
	Share string
	Seq   int64
}

// Window is what a fair admission decision needs to know of one brand's
// window: the live slots per share (in flight or answered within the
// window), the requests in flight per share, and the waiters.
type Window struct {
	Limit    int // the current limit
	Used     map[string]int
	InFlight map[string]int
	Waiters  []Waiter
}

// Turn returns how many requests must be admitted before me (one of
// w.Waiters): the waiters of shares that have used fewer slots of the
// window (or as many, but arrived earlier); and, once me's share holds its
// fair part of the limit (the limit over the shares in the window), the
// rest of the part of each share below it that is still busy (waiting or
// with a request in flight, so likely to ask again as soon as it is
// answered). me may be admitted when the window has more than Turn free
// slots. The rule shares the budget evenly between shares that keep
// asking, whatever their concurrency, and gives a share alone all of it.
// A slot held back stays free for whoever asks next, so holding back
// delays a busy share but does not lower its throughput over a window.
func (w Window) Turn(me Waiter) int {
	if len(w.Used) < 2 && !slices.ContainsFunc(w.Waiters, func(o Waiter) bool { return o != me }) {
		return 0 // alone
	}
	waiting := map[string]int{}
	ahead := 0
	for _, o := range w.Waiters {
		waiting[o.Share]++
		if o != me && (w.Used[o.Share] < w.Used[me.Share] || w.Used[o.Share] == w.Used[me.Share] && o.Seq < me.Seq) {
			ahead++
		}
	}
	active := map[string]bool{me.Share: true}
	for s, n := range w.Used {
		if n > 0 {
			active[s] = true
		}
	}
	for s := range waiting {
		active[s] = true
	}
	part := max(1, w.Limit/len(active))
	if w.Used[me.Share] < part {
		return ahead
	}
	for s := range active {
		if s != me.Share && w.Used[s] < part && (w.InFlight[s] > 0 || waiting[s] > 0) {
			// Its waiters are counted in ahead already.
			ahead += max(0, part-w.Used[s]-waiting[s])
		}
	}
	return ahead
}
