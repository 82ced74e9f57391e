package omnisend

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"time"
)

// RetryConfig bounds the retries of one call. Zero fields take defaults.
type RetryConfig struct {
	// MaxAttempts is the most attempts per call, the first included.
	// Default 6.
	MaxAttempts int
	// BaseDelay is the backoff cap before the first retry; the cap doubles
	// per attempt up to MaxDelay and the actual wait is uniform in [0, cap)
	// ("full jitter"). Default 500 ms.
	BaseDelay time.Duration
	// MaxDelay caps the backoff. Default 30 s.
	MaxDelay time.Duration
	// MaxRetryAfter caps a server-requested wait (retryAfter / Retry-After).
	// Default 2 min.
	MaxRetryAfter time.Duration
	// BudgetRatio is how many retry tokens each first attempt earns; every
	// retry spends one. 0.2 lets at most ~20 % of traffic be retries over
	// time, so a failing Omnisend is not hammered. Default 0.2.
	BudgetRatio float64
	// BudgetMax caps the tokens (and is the starting balance). Default 50.
	BudgetMax float64
}

// WithDefaults returns a copy with every unset field filled in.
func (r RetryConfig) WithDefaults() RetryConfig {
	if r.MaxAttempts == 0 {
		r.MaxAttempts = 6
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
	if r.BudgetRatio == 0 {
		r.BudgetRatio = 0.2
	}
	if r.BudgetMax == 0 {
		r.BudgetMax = 50
	}
	return r
}

func (r RetryConfig) validate() error {
	switch {
	case r.MaxAttempts < 1:
		return fmt.Errorf("Retry.MaxAttempts: must be at least 1, got %d", r.MaxAttempts)
	case r.BaseDelay < 0:
		return fmt.Errorf("Retry.BaseDelay: must not be negative, got %s", r.BaseDelay)
	case r.MaxDelay < r.BaseDelay:
		return fmt.Errorf("Retry.MaxDelay: must be at least BaseDelay (%s), got %s", r.BaseDelay, r.MaxDelay)
	case r.MaxRetryAfter < 0:
		return fmt.Errorf("Retry.MaxRetryAfter: must not be negative, got %s", r.MaxRetryAfter)
	case r.BudgetRatio < 0:
		return fmt.Errorf("Retry.BudgetRatio: must not be negative, got %g", r.BudgetRatio)
	case r.BudgetMax < 1:
		return fmt.Errorf("Retry.BudgetMax: must be at least 1, got %g", r.BudgetMax)
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

// retryBudget is a token bucket over attempts, not time: first attempts
// deposit ratio tokens, retries withdraw one. When it is empty, calls fail
// with their last error instead of retrying.
type retryBudget struct {
	mu     sync.Mutex
	tokens float64
	ratio  float64
	max    float64
}

func newRetryBudget(cfg RetryConfig) *retryBudget {
	return &retryBudget{tokens: cfg.BudgetMax, ratio: cfg.BudgetRatio, max: cfg.BudgetMax}
}

func (r *retryBudget) deposit() {
	r.mu.Lock()
	r.tokens = min(r.max, r.tokens+r.ratio)
	r.mu.Unlock()
}

func (r *retryBudget) withdraw() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.tokens < 1 {
		return false
	}
	r.tokens--
	return true
}
