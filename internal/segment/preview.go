package segment

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Errors a Previewer returns.
var (
	// ErrPreviewBusy: PreviewConfig.Concurrency previews are running
	// already; the caller should try again shortly.
	ErrPreviewBusy = errors.New("too many rule previews are running at once; try again in a few seconds")
	// ErrRuleTooSlow (wrapped, with the deadline): the rule did not finish
	// within PreviewConfig.Timeout.
	ErrRuleTooSlow = errors.New("the rule took too long to evaluate")
)

// PreviewConfig bounds the previews of unsaved rules, which anyone signed
// in may ask for.
type PreviewConfig struct {
	// Concurrency is how many previews may evaluate at once (default 2);
	// one more is refused at once with ErrPreviewBusy. Each preview
	// evaluates on every core.
	Concurrency int
	// Timeout bounds one preview (default 10 s): past it the preview stops
	// with ErrRuleTooSlow.
	Timeout time.Duration
}

// WithDefaults returns c with unset fields at their defaults.
func (c PreviewConfig) WithDefaults() PreviewConfig {
	if c.Concurrency == 0 {
		c.Concurrency = 2
	}
	if c.Timeout == 0 {
		c.Timeout = 10 * time.Second
	}
	return c
}

// Validate reports the first invalid field, by name.
func (c PreviewConfig) Validate() error {
	switch {
	case c.Concurrency < 1 || c.Concurrency > 64:
		return fmt.Errorf("segment: PreviewConfig.Concurrency: want 1 to 64, got %d", c.Concurrency)
	case c.Timeout < 10*time.Millisecond:
		return fmt.Errorf("segment: PreviewConfig.Timeout: want at least 10ms, got %s", c.Timeout)
	}
	return nil
}

// Previewer evaluates rules for previews, a bounded number at a time and
// each within a deadline. Safe for concurrent use; share one per process.
type Previewer struct {
	cfg PreviewConfig
	sem chan struct{}
}

// NewPreviewer returns a Previewer for cfg (defaults applied, then
// validated).
func NewPreviewer(cfg PreviewConfig) (*Previewer, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Previewer{cfg: cfg, sem: make(chan struct{}, cfg.Concurrency)}, nil
}

// Preview matches rule against every stored profile, as EvaluateRule,
// unless Concurrency previews are running (ErrPreviewBusy) or it takes
// longer than Timeout (an error wrapping ErrRuleTooSlow).
func (p *Previewer) Preview(ctx context.Context, st Store, rule *Rule) (Evaluation, error) {
	select {
	case p.sem <- struct{}{}:
		defer func() { <-p.sem }()
	default:
		return Evaluation{}, ErrPreviewBusy
	}
	tooSlow := fmt.Errorf("%w: it did not finish within %s; simplify it (fewer nested all/exists/map/filter, shorter lists)",
		ErrRuleTooSlow, p.cfg.Timeout)
	ctx, cancel := context.WithTimeoutCause(ctx, p.cfg.Timeout, tooSlow)
	defer cancel()
	ev, err := EvaluateRule(ctx, st, rule)
	if err != nil && errors.Is(context.Cause(ctx), ErrRuleTooSlow) {
		return Evaluation{}, tooSlow
	}
	return ev, err
}
