package omnisend

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// RouteClass names a group of routes with its own Omnisend rate limit.
type RouteClass string

const (
	// ClassGeneral is every route without a limit of its own (400/min).
	ClassGeneral RouteClass = "general"
	// ClassTags is POST and DELETE /contacts/tags (60/min).
	ClassTags RouteClass = "tags"
)

// RateBudget paces the requests to each brand so that Omnisend's per-brand
// limits are never exceeded. One RateBudget must be shared by everything
// that talks to a brand; an implementation backed by a database can share it
// between processes.
type RateBudget interface {
	// Wait blocks until one request of class may be sent to brand and
	// counts it as in flight. The caller must call done once the response
	// (or the failure) has arrived: the request keeps its place in the
	// window until then, so however late Omnisend counts it, no window
	// holds more than the limit. It returns ctx.Err() if ctx ends first.
	Wait(ctx context.Context, brand string, class RouteClass) (done func(), err error)
	// Report429 tells the budget Omnisend refused a request with 429, and
	// how long it asked to wait (0 if it did not say). The budget pauses
	// the brand's class and slows it down, recovering gradually.
	Report429(brand string, class RouteClass, retryAfter time.Duration)
	// ReportRemaining tells the budget what a response's rate-limit
	// headers said of the brand's own count (RateLimit: Remaining and
	// Reset; reset 0 means not said): remaining more requests of class may
	// go out now, and more only once reset has passed. Other integrations
	// share the brand's limit, so that may be fewer than the budget's own
	// model allows; the budget then admits no more than remaining (less
	// those it has in flight) before reset. It never admits more than its
	// own limit.
	ReportRemaining(brand string, class RouteClass, remaining int, reset time.Duration)
}

// Limit is a number of requests per sliding window.
type Limit struct {
	Requests int
	Window   time.Duration
}

// WindowBudgetConfig configures a WindowBudget. Zero fields take defaults.
type WindowBudgetConfig struct {
	// General is the budget of ClassGeneral; default 360 per 60 s (90 % of
	// Omnisend's 400/min, leaving headroom for the brand's other apps).
	General Limit
	// Tags is the budget of ClassTags; default 54 per 60 s (90 % of 60).
	Tags Limit
	// TagsOutsideGeneral, if set, stops tag requests from also taking a
	// slot of the general budget. Omnisend does not say whether the tag
	// routes count toward the 400/min, so by default they do.
	TagsOutsideGeneral bool
	// Margin lengthens every window. Network delay is already covered (a
	// request holds its slot until its answer); the margin covers clock
	// granularity and a request that reaches Omnisend only after the
	// client gave up on it. Default 1 % of the window; negative means none.
	Margin time.Duration
	// Slowdown multiplies the rate after each 429; default 0.5.
	Slowdown float64
	// MinFactor is the lowest fraction of the limit the rate drops to;
	// default 0.25.
	MinFactor float64
	// Recovery is how long the rate takes to climb from zero back to the
	// full limit after a 429 (linearly); default two windows.
	Recovery time.Duration
	// Pause is how long a class stops after a 429 that did not say how long
	// to wait; default 1/60 of the window (1 s).
	Pause time.Duration
	// ServerReserve is how many of the requests Omnisend reports remaining
	// (ReportRemaining) are left unused, for the other integrations'
	// requests that reach Omnisend before ours and for the gap between a
	// window's reset and the next report. Default 2 % of each class's
	// limit, at least 1; negative means none.
	ServerReserve int
}

// WithDefaults returns a copy with every unset field filled in.
func (c WindowBudgetConfig) WithDefaults() WindowBudgetConfig {
	if c.General.Requests == 0 {
		c.General.Requests = 360
	}
	if c.General.Window == 0 {
		c.General.Window = time.Minute
	}
	if c.Tags.Requests == 0 {
		c.Tags.Requests = 54
	}
	if c.Tags.Window == 0 {
		c.Tags.Window = time.Minute
	}
	if c.Margin == 0 {
		c.Margin = max(c.General.Window, c.Tags.Window) / 100
	}
	if c.Slowdown == 0 {
		c.Slowdown = 0.5
	}
	if c.MinFactor == 0 {
		c.MinFactor = 0.25
	}
	if c.Recovery == 0 {
		c.Recovery = 2 * c.General.Window
	}
	if c.Pause == 0 {
		c.Pause = c.General.Window / 60
	}
	return c
}

// Validate names the first invalid field.
func (c WindowBudgetConfig) Validate() error {
	for name, l := range map[string]Limit{"General": c.General, "Tags": c.Tags} {
		if l.Requests < 1 || l.Window <= 0 {
			return fmt.Errorf("omnisend: budget: %s: need at least 1 request per positive window, got %d per %s",
				name, l.Requests, l.Window)
		}
	}
	switch {
	case c.Slowdown <= 0 || c.Slowdown > 1:
		return fmt.Errorf("omnisend: budget: Slowdown: must be in (0, 1], got %g", c.Slowdown)
	case c.MinFactor <= 0 || c.MinFactor > 1:
		return fmt.Errorf("omnisend: budget: MinFactor: must be in (0, 1], got %g", c.MinFactor)
	case c.Recovery <= 0:
		return fmt.Errorf("omnisend: budget: Recovery: must be positive, got %s", c.Recovery)
	case c.Pause < 0:
		return fmt.Errorf("omnisend: budget: Pause: must not be negative, got %s", c.Pause)
	}
	return nil
}

// WindowBudget is the in-process RateBudget: a sliding-window log per brand
// and class. A request occupies the log from admission until Window plus
// Margin after its response arrived, and is admitted only while fewer than
// the current limit occupy it. Omnisend counts a request somewhere between
// its sending and its answer, so no Omnisend window can see more than the
// limit — unlike a token bucket, which can admit up to twice its rate
// across a window boundary, or a log of send times, which network delay
// can fool.
type WindowBudget struct {
	cfg   WindowBudgetConfig
	clock Clock
	mu    sync.Mutex
	logs  map[budgetKey]*windowLog
	seq   int64 // waiters so far
}

type budgetKey struct {
	brand string
	class RouteClass
}

// NewWindowBudget returns a budget with cfg's zero fields defaulted. It
// panics if the result is invalid (a programming error; call Validate on
// user-supplied configs first).
func NewWindowBudget(cfg WindowBudgetConfig, clock Clock) *WindowBudget {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	if clock == nil {
		clock = SystemClock{}
	}
	return &WindowBudget{cfg: cfg, clock: clock, logs: map[budgetKey]*windowLog{}}
}

// Wait implements RateBudget. While the window is full, waiters take the
// slots that free up in fair order: the share (see WithShare) that has
// used the fewest slots of the window first, then the earliest arrival.
// A waiter sleeps until the slot it needs expires, or until another
// request's admission, answer or departure changes the order.
func (b *WindowBudget) Wait(ctx context.Context, brand string, class RouteClass) (func(), error) {
	b.mu.Lock()
	b.seq++
	w := &waiter{share: ShareOf(ctx), seq: b.seq}
	primary := b.log(brand, class)
	primary.waiters = append(primary.waiters, w)
	b.mu.Unlock()
	defer b.leave(brand, primary, w)
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		sleep, wake := context.WithCancel(ctx)
		b.mu.Lock()
		done, d := b.tryAdmit(brand, class, w)
		w.wake = wake
		b.mu.Unlock()
		if done != nil {
			wake()
			return done, nil
		}
		// Being woken ends the sleep early, with an error: look again.
		_ = b.clock.Sleep(sleep, d)
		wake()
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
}

// leave removes w from the waiters and lets the others look again.
func (b *WindowBudget) leave(brand string, primary *windowLog, w *waiter) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if i := slices.Index(primary.waiters, w); i >= 0 {
		primary.waiters = slices.Delete(primary.waiters, i, i+1)
	}
	b.wakeBrand(brand)
}

// wakeBrand wakes every waiter of brand (both classes: a tag request also
// takes a general slot).
func (b *WindowBudget) wakeBrand(brand string) {
	for _, c := range []RouteClass{ClassGeneral, ClassTags} {
		if l := b.logs[budgetKey{brand, c}]; l != nil {
			l.wakeAll()
		}
	}
}

// tryAdmit admits w and returns the done function, or returns how long to
// wait before trying again. All logs a class needs are checked and written
// under one lock, which the caller holds.
func (b *WindowBudget) tryAdmit(brand string, class RouteClass, w *waiter) (func(), time.Duration) {
	now := b.clock.Now()
	logs := []*windowLog{b.log(brand, class)}
	if class != ClassGeneral && !b.cfg.TagsOutsideGeneral {
		logs = append(logs, b.log(brand, ClassGeneral))
	}
	logs[0].expire(now)
	ahead := logs[0].turn(w, now)
	var wait time.Duration
	for _, l := range logs {
		wait = max(wait, l.waitFor(now, ahead))
	}
	if wait > 0 {
		return nil, wait
	}
	slots := make([]*slot, len(logs))
	for i, l := range logs {
		slots[i] = l.admit(w.share, now)
	}
	return func() { b.release(brand, slots) }, 0
}

// release marks slots done at the current time; calling it again is a
// no-op.
func (b *WindowBudget) release(brand string, slots []*slot) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.clock.Now()
	for _, s := range slots {
		if s.open {
			s.open, s.done = false, now
		}
	}
	b.wakeBrand(brand) // the expiry is known now
}

// Report429 implements RateBudget.
func (b *WindowBudget) Report429(brand string, class RouteClass, retryAfter time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.clock.Now()
	l := b.log(brand, class)
	l.factor = max(b.cfg.MinFactor, l.factorAt(now)*b.cfg.Slowdown)
	l.hitAt = now
	if retryAfter <= 0 {
		retryAfter = b.cfg.Pause
	}
	if until := now.Add(retryAfter); until.After(l.pausedUntil) {
		l.pausedUntil = until
	}
	b.wakeBrand(brand) // waits computed before the 429 are too short
}

func (b *WindowBudget) log(brand string, class RouteClass) *windowLog {
	k := budgetKey{brand, class}
	l := b.logs[k]
	if l == nil {
		limit := b.cfg.General
		if class == ClassTags {
			limit = b.cfg.Tags
		}
		reserve := b.cfg.ServerReserve
		if reserve == 0 {
			reserve = max(1, limit.Requests/50)
		}
		l = &windowLog{limit: limit.Requests, window: limit.Window, span: limit.Window + max(0, b.cfg.Margin),
			recovery: b.cfg.Recovery, factor: 1, reserve: max(0, reserve)}
		b.logs[k] = l
	}
	return l
}
