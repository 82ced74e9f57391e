// Package pgbudget is the omnisend.RateBudget of segbridge processes that
// share a PostgreSQL database: the sliding-window log of omnisend's
// WindowBudget, per brand and route class, kept in the database so that
// every process talking to a brand draws from one budget.
//
// Admission is one transaction under a transaction-level advisory lock per
// brand and class, so it is atomic across processes. A request occupies
// its slot from admission until Window+Margin after its answer (while in
// flight, until a lease runs out in case its process dies). 429 pauses and
// slowdowns are shared the same way. When the window is full, a waiter
// computes when the slot it needs frees and sleeps until then (with a
// little jitter); it looks sooner only when that slot belongs to a request
// still in flight. Waiting requests are admitted in the fair order of
// omnisend.Window.Turn, across processes.
//
// All times are the database server's clock (clock_timestamp()), the one
// clock every process shares. The cost is one admission transaction of
// about six round trips (the reads pipelined) and one update at the
// answer per request: nothing next to Omnisend's 6 requests per second
// per brand.
package pgbudget

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"segbridge/internal/omnisend"
)

// Config configures a Budget. Zero fields take defaults.
type Config struct {
	// Limits are the limits, margin and 429 behaviour, as for omnisend's
	// WindowBudget (defaults: 360 general and 54 tag requests per 60 s).
	Limits omnisend.WindowBudgetConfig
	// Lease is how long a request may stay in flight before its slot is
	// treated as answered: the process that sent it may have died. It must
	// exceed the client's timeout; default 2 minutes.
	Lease time.Duration
	// Poll is how soon a waiter looks again when the slot it needs belongs
	// to a request in flight (whose expiry is not known yet); default 1/100
	// of the general window.
	Poll time.Duration
	// MaxSleep caps a waiter's sleep between looks; each look keeps its
	// place in the fair order fresh. Default 1/10 of the general window.
	MaxSleep time.Duration
	// Logger receives errors that cannot be returned (recording an answer
	// or a 429). Default: discard.
	Logger *slog.Logger
}

// WithDefaults returns a copy with every unset field filled in.
func (c Config) WithDefaults() Config {
	c.Limits = c.Limits.WithDefaults()
	if c.Lease == 0 {
		c.Lease = 2 * time.Minute
	}
	if c.Poll == 0 {
		c.Poll = max(time.Millisecond, c.Limits.General.Window/100)
	}
	if c.MaxSleep == 0 {
		c.MaxSleep = max(time.Millisecond, c.Limits.General.Window/10)
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return c
}

// Validate names the first invalid field.
func (c Config) Validate() error {
	if err := c.Limits.Validate(); err != nil {
		return fmt.Errorf("pgbudget: Limits: %w", err)
	}
	switch {
	case c.Lease <= 0:
		return fmt.Errorf("pgbudget: Lease: must be positive, got %s", c.Lease)
	case c.Poll <= 0:
		return fmt.Errorf("pgbudget: Poll: must be positive, got %s", c.Poll)
	case c.MaxSleep < c.Poll:
		return fmt.Errorf("pgbudget: MaxSleep: must be at least Poll (%s), got %s", c.Poll, c.MaxSleep)
	}
	return nil
}

// Budget is the PostgreSQL-backed omnisend.RateBudget. Its tables come
// with the store's migrations (0011_rate_budget.sql).
type Budget struct {
	cfg     Config
	pool    *pgxpool.Pool
	ownPool bool
	mu      sync.Mutex // guards rnd
	rnd     *rand.Rand
}

var _ omnisend.RateBudget = (*Budget)(nil)

// Open connects its own small pool to url (postgres://…) and returns the
// budget; Close closes the pool.
func Open(ctx context.Context, url string, cfg Config) (*Budget, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	pcfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("pgbudget: parse URL: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("pgbudget: connect: %w", err)
	}
	b, err := New(pool, cfg)
	if err != nil {
		pool.Close()
		return nil, err
	}
	b.ownPool = true
	return b, nil
}

// New returns a budget on pool, which the caller closes.
func New(pool *pgxpool.Pool, cfg Config) (*Budget, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Budget{cfg: cfg, pool: pool, rnd: rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))}, nil
}

// Close closes the pool if Open opened it.
func (b *Budget) Close() {
	if b.ownPool {
		b.pool.Close()
	}
}

// Wait implements omnisend.RateBudget.
func (b *Budget) Wait(ctx context.Context, brand string, class omnisend.RouteClass) (func(), error) {
	q := &request{brand: brand, class: class, share: omnisend.ShareOf(ctx)}
	defer b.leave(ctx, q)
	for {
		ids, wait, err := b.tryAdmit(ctx, q)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, fmt.Errorf("rate budget of brand %q: %w", brand, err)
		}
		if ids != nil {
			var once sync.Once
			return func() { once.Do(func() { b.release(ids) }) }, nil
		}
		if err := (omnisend.SystemClock{}).Sleep(ctx, b.jitter(wait)); err != nil {
			return nil, err
		}
	}
}

// jitter lengthens d by up to 5 % and 1 ms, so waiters of several
// processes woken by the same expiry do not all look at once.
func (b *Budget) jitter(d time.Duration) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	return d + time.Duration(b.rnd.Int64N(int64(d/20)+int64(time.Millisecond)))
}

// release records the answer of the request that holds slots ids.
func (b *Budget) release(ids []int64) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := b.pool.Exec(ctx, `UPDATE rate_budget_slots SET in_flight = false, expires_at = clock_timestamp() + span
		WHERE id = ANY($1) AND in_flight`, ids)
	if err != nil {
		// The slot keeps its place until its lease ends: safe, only slower.
		b.cfg.Logger.Warn("rate budget: record an answer", "error", err)
	}
}

// leave forgets q's place among the waiters.
func (b *Budget) leave(ctx context.Context, q *request) {
	if q.waiter == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if _, err := b.pool.Exec(ctx, `DELETE FROM rate_budget_waiters WHERE id = $1`, q.waiter); err != nil {
		b.cfg.Logger.Warn("rate budget: leave the queue", "error", err) // it goes stale
	}
}

// ReportRemaining implements omnisend.RateBudget. It does nothing yet: the
// brand's remaining count from Omnisend's headers is not shared between
// processes, so this budget keeps to its own model (and 429s).
func (b *Budget) ReportRemaining(string, omnisend.RouteClass, int, time.Duration) {}

// Report429 implements omnisend.RateBudget: the brand's class pauses and
// slows down in every process.
func (b *Budget) Report429(brand string, class omnisend.RouteClass, retryAfter time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := b.report429(ctx, brand, class, retryAfter); err != nil {
		b.cfg.Logger.Warn("rate budget: record a 429", "brand", brand, "class", string(class), "error", err)
	}
}
