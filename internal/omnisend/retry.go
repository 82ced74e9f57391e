package omnisend

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"time"
)

// RetryConfig says how the client waits out transient trouble. Zero
// fields take defaults.
//
// A transient failure (refused or reset connections, timeouts, lost
// responses, 408, 429, 5xx) is retried with growing backoff for as long
// as the client's outage lasts: the time since the first of an unbroken
// series of failed attempts, across all of the client's calls. Any answer
// from Omnisend that is not transient ends the outage. A call gives up
// only when the outage has lasted OutageLimit (or after MaxAttempts, when
// set), so a run rides out Omnisend's bad minutes instead of failing on
// them.
type RetryConfig struct {
	// MaxAttempts, when above 0, also bounds the attempts of one call, the
	// first included. Default 0: only OutageLimit bounds them.
	MaxAttempts int
	// OutageLimit is how long an outage is waited out before calls give
	// up with its cause. Default 30 min.
	OutageLimit time.Duration
	// BaseDelay is the backoff cap before the first retry; the cap doubles
	// per attempt up to MaxDelay and the actual wait is uniform in [0, cap)
	// ("full jitter"). Default 500 ms.
	BaseDelay time.Duration
	// MaxDelay caps the backoff. Default 30 s.
	MaxDelay time.Duration
	// MaxRetryAfter caps a server-requested wait (retryAfter / Retry-After).
	// Default 2 min.
	MaxRetryAfter time.Duration
}

// DefaultOutageLimit is how long the client waits out an outage by default.
const DefaultOutageLimit = 30 * time.Minute

// WithDefaults returns a copy with every unset field filled in.
func (r RetryConfig) WithDefaults() RetryConfig {
	if r.OutageLimit == 0 {
		r.OutageLimit = DefaultOutageLimit
	}
	if r.BaseDelay == 0 {
		r.BaseDelay = 500 * time.Millisecond
	}
	if r.MaxDelay == 0 {
		r.MaxDelay = 30 * time.Second
	}
	if r.MaxRetryAfter == 0 {
		r.MaxRetryAfter = 2 * time.Minute
	}
	return r
}

func (r RetryConfig) validate() error {
	switch {
	case r.MaxAttempts < 0:
		return fmt.Errorf("Retry.MaxAttempts: must not be negative, got %d", r.MaxAttempts)
	case r.OutageLimit < 0:
		return fmt.Errorf("Retry.OutageLimit: must not be negative, got %s", r.OutageLimit)
	case r.BaseDelay < 0:
		return fmt.Errorf("Retry.BaseDelay: must not be negative, got %s", r.BaseDelay)
	case r.MaxDelay < r.BaseDelay:
		return fmt.Errorf("Retry.MaxDelay: must be at least BaseDelay (%s), got %s", r.BaseDelay, r.MaxDelay)
	case r.MaxRetryAfter < 0:
		return fmt.Errorf("Retry.MaxRetryAfter: must not be negative, got %s", r.MaxRetryAfter)
	}
	return nil
}

// backoff computes retry waits: full-jitter exponential backoff, raised to
// the server's retryAfter when it gave one.
type backoff struct {
	cfg RetryConfig
	mu  sync.Mutex
	rnd *rand.Rand
}

// delay returns the wait before retry number n (1 for the first retry).
func (b *backoff) delay(n int, retryAfter time.Duration) time.Duration {
	ceiling := b.cfg.BaseDelay
	for i := 1; i < n && ceiling < b.cfg.MaxDelay; i++ {
		ceiling *= 2
	}
	ceiling = min(ceiling, b.cfg.MaxDelay)
	var d time.Duration
	if ceiling > 0 {
		b.mu.Lock()
		d = time.Duration(b.rnd.Int64N(int64(ceiling)))
		b.mu.Unlock()
	}
	if retryAfter > 0 {
		d = max(d, min(retryAfter, b.cfg.MaxRetryAfter))
	}
	return d
}

// outage tracks an unbroken series of transient failures across a
// client's calls: when it began, its latest cause, and how many attempts
// failed in it.
type outage struct {
	mu    sync.Mutex
	since time.Time
	cause error
	fails int
}

// failed records a transient failure at now and returns when the outage
// began.
func (o *outage) failed(now time.Time, err error) time.Time {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.since.IsZero() {
		o.since = now
	}
	o.cause, o.fails = err, o.fails+1
	return o.since
}

// answered ends the outage: Omnisend gave an answer that is not transient.
func (o *outage) answered() {
	o.mu.Lock()
	o.since, o.cause, o.fails = time.Time{}, nil, 0
	o.mu.Unlock()
}

// Outage describes a client's current outage: since when every attempt
// failed transiently, and the latest cause. The zero value means none.
type Outage struct {
	Since time.Time
	Cause string
	// Failures counts the failed attempts since Since.
	Failures int
}

// OutageError is the cause of a call that gave up because an outage
// lasted the client's OutageLimit.
type OutageError struct {
	Since time.Time
	Limit time.Duration
	Err   error
}

func (e *OutageError) Error() string {
	return fmt.Sprintf("Omnisend did not answer for %s (since %s, the outage limit): %v",
		e.Limit, e.Since.UTC().Format(time.RFC3339), e.Err)
}

func (e *OutageError) Unwrap() error { return e.Err }
