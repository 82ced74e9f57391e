package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"segbridge/internal/omnisend/sandbox"
)

// sandboxFlags are the flags of `segbridge sandbox`.
type sandboxFlags struct {
	addr          string
	keys          []string
	timeScale     float64
	rateLimit     int
	tagsRateLimit int
	batchPace     time.Duration
	batchDelay    time.Duration
	tagDelay      time.Duration
	fault5xx      float64
	fault429      float64
	faultLost     float64
	faultHang     float64
	hangFor       time.Duration
	latency       time.Duration
	seed          int64

	fault408      float64
	gatewayErrors string
	tagsOnUpsert  string
	downgrade     string
	futureDates   string
	rateHeaders   string
	retryAfter    string
	cursors       string
	tagJitter     time.Duration
	foreign       int
	maxBodyBytes  int
	blockAfter    int
	blockWindow   time.Duration
	blockFor      time.Duration
}

func newSandboxCmd(g *globals) *cobra.Command {
	f := &sandboxFlags{}
	cmd := &cobra.Command{
		Use:   "sandbox",
		Short: "Run a local Omnisend (both API dialects) for trying segbridge and for tests",
		Long: `sandbox runs a faithful local Omnisend on --addr:

  2026-03-15 API under /api  (Authorization: Omnisend-API-Key KEY, Omnisend-Version: 2026-03-15)
  v3 API under /v3           (X-API-KEY: KEY)

with Omnisend's validation and error bodies, per-brand sliding-window rate
limits, asynchronous batches and tag operations, and seeded faults. Inspect it
under /_sandbox/ (contacts, requests, stats; POST /_sandbox/reset).

Behaviours Omnisend's documents leave open are switchable; each default is
the sandbox's long-standing choice:

  --tags-on-upsert union|replace      tags on an upsert add to the contact's, or replace them
  --status-downgrade allow|block      a newer nonSubscribed replaces subscribed/unsubscribed, or not
  --future-status-dates keep|drop     a future status date is stored, or the status is dated now
  --rate-limit-headers none|v3|retry-after
                                      no rate-limit headers; v3's X-Rate-Limit-Limit/-Remaining/-Reset
                                      on every answer; or Retry-After on 429s
  --retry-after MIN-MAX               429s say a seeded retryAfter in MIN..MAX seconds
  --gateway-errors json|html          injected 502/503/504 in JSON, or as a gateway's HTML page
  --cursors plain|opaque              contact paging cursors readable, or opaque tokens
  --block-after-errors N              v3's 403 "blocked due to many errors" after N errors
  --tag-jitter D                      tag operations apply after a random extra delay, out of order
  --foreign-batches N                 N batches of other integrations per batch, in GET /batches
  --max-body-bytes N                  largest request body accepted (default Omnisend's 1 MB)

Every Omnisend duration (limit windows, batch pacing, tag delay and jitter,
block window and length, the real wait a 429's retryAfter reports) runs
--time-scale times faster. Fault durations (--latency, --hang-for) and
--retry-after are wall-clock time. Everything random is seeded by --seed.
State lives in memory and is lost on exit.`,
		Example: `  segbridge sandbox
  segbridge sandbox --key k1:shop-a --key k2:shop-a:ro --key k3:shop-b
  segbridge sandbox --time-scale 60 --fault-5xx 0.02 --fault-lost 0.01 --seed 7
  segbridge sandbox --tags-on-upsert replace --rate-limit-headers v3 --gateway-errors html --fault-5xx 0.05`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.config(g)
			if err != nil {
				return err
			}
			return runSandbox(cmd.Context(), g, f.addr, cfg)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.addr, "addr", "127.0.0.1:8089", "listen address host:port")
	fl.StringArrayVar(&f.keys, "key", nil, "API key as KEY[:BRAND[:ro]], repeatable; ro makes it read-only (default sandbox-key:sandbox-brand)")
	fl.Float64Var(&f.timeScale, "time-scale", 1, "run every Omnisend duration K times faster (e.g. 60: a minute lasts a second)")
	fl.IntVar(&f.rateLimit, "rate-limit", sandbox.DefaultGeneralLimit, "requests per brand per sliding 60 s window (all endpoints but /contacts/tags)")
	fl.IntVar(&f.tagsRateLimit, "tags-rate-limit", sandbox.DefaultTagsLimit, "requests per brand per sliding 60 s window for POST/DELETE /api/contacts/tags")
	fl.DurationVar(&f.batchPace, "batch-pace", sandbox.DefaultBatchPace, "time to process one batch item (sandbox time)")
	fl.DurationVar(&f.batchDelay, "batch-delay", sandbox.DefaultBatchDelay, "time a batch stays pending before processing starts (sandbox time)")
	fl.DurationVar(&f.tagDelay, "tag-delay", sandbox.DefaultTagDelay, "delay before accepted tag add/remove operations apply (sandbox time)")
	fl.Float64Var(&f.fault5xx, "fault-5xx", 0, "fraction of requests answered 500/502/503 (or 504 with --gateway-errors html) without being applied (0..1)")
	fl.Float64Var(&f.fault429, "fault-429", 0, "fraction of requests answered 429 although under the limit (0..1)")
	fl.Float64Var(&f.faultLost, "fault-lost", 0, "fraction of requests applied whose response is lost: the connection is dropped (0..1)")
	fl.Float64Var(&f.faultHang, "fault-hang", 0, "fraction of requests held for --hang-for (past the client's timeout), then dropped unapplied (0..1)")
	fl.DurationVar(&f.hangFor, "hang-for", sandbox.DefaultHangFor, "how long a hanging request is held (wall clock)")
	fl.DurationVar(&f.latency, "latency", 0, "delay added to every request (wall clock)")
	fl.Int64Var(&f.seed, "seed", 1, "seed of every random choice (faults, jitter, retryAfter, cursors): the same seed and request sequence give the same answers")
	f.behaviourFlags(cmd)
	return cmd
}

// behaviourFlags registers the flags of the behaviours Omnisend's documents
// leave open, and of the faults added with them.
func (f *sandboxFlags) behaviourFlags(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.Float64Var(&f.fault408, "fault-408", 0, "fraction of requests answered 408 Request timeout without being applied (0..1)")
	fl.StringVar(&f.gatewayErrors, "gateway-errors", string(sandbox.GatewayJSON), "what --fault-5xx answers look like: json (500/502/503 in the API's error format) or html (500 in it, 502/503/504 as a gateway's HTML page)")
	fl.StringVar(&f.tagsOnUpsert, "tags-on-upsert", string(sandbox.TagsUnion), "what tags sent on an upsert, batch item or PATCH do: union (add to the contact's tags) or replace (become its only tags)")
	fl.StringVar(&f.downgrade, "status-downgrade", string(sandbox.DowngradeAllow), "whether a newer-dated nonSubscribed replaces subscribed or unsubscribed: allow or block")
	fl.StringVar(&f.futureDates, "future-status-dates", string(sandbox.FutureDatesKeep), "a status date later than now: keep it, or drop it (the status is dated now)")
	fl.StringVar(&f.rateHeaders, "rate-limit-headers", string(sandbox.HeadersNone), "rate-limit headers: none, v3 (X-Rate-Limit-Limit/-Remaining/-Reset on every answer) or retry-after (Retry-After seconds on 429s)")
	fl.StringVar(&f.retryAfter, "retry-after", "", "make every 429 say a retryAfter drawn from MIN-MAX whole seconds (seeded), e.g. 1-30 (default: the real wait)")
	fl.StringVar(&f.cursors, "cursors", string(sandbox.CursorsPlain), "contact paging cursors: plain (a readable position or contact ID) or opaque (tokens only the sandbox resolves; made-up cursors are a 400)")
	fl.DurationVar(&f.tagJitter, "tag-jitter", 0, "add a random delay in [0, D) to each tag operation's --tag-delay, so they may apply out of order (sandbox time)")
	fl.IntVar(&f.foreign, "foreign-batches", 0, "for every batch a client creates, add N finished batches of other integrations to the brand's batch list")
	fl.IntVar(&f.maxBodyBytes, "max-body-bytes", sandbox.DefaultMaxBodyBytes, "largest request body accepted; larger is a 400 (Omnisend asks for batches of at most 1 MB)")
	fl.IntVar(&f.blockAfter, "block-after-errors", 0, "answer 403 (v3's \"blocked due to many errors\") to a key that got N error answers within --block-window (0: never)")
	fl.DurationVar(&f.blockWindow, "block-window", time.Minute, "window in which --block-after-errors counts errors (sandbox time)")
	fl.DurationVar(&f.blockFor, "block-for", time.Minute, "how long a blocked key gets 403 (sandbox time)")
}

// config turns the flags into a validated sandbox.Config.
func (f *sandboxFlags) config(g *globals) (sandbox.Config, error) {
	if _, _, err := net.SplitHostPort(f.addr); err != nil {
		return sandbox.Config{}, fmt.Errorf("--addr %q: want host:port", f.addr)
	}
	keys := make([]sandbox.Key, 0, len(f.keys))
	for _, spec := range f.keys {
		k, err := sandbox.ParseKeySpec(spec)
		if err != nil {
			return sandbox.Config{}, fmt.Errorf("--key: %w", err)
		}
		keys = append(keys, k)
	}
	logger, err := sandboxLogger(g)
	if err != nil {
		return sandbox.Config{}, err
	}
	if err := f.check(); err != nil {
		return sandbox.Config{}, err
	}
	retryAfter, err := sandbox.ParseSecondsRange(f.retryAfter)
	if err != nil {
		return sandbox.Config{}, fmt.Errorf("--retry-after %w", err)
	}
	cfg := sandbox.Config{
		Keys:      keys,
		TimeScale: f.timeScale,
		Logger:    logger,
		RateLimit: sandbox.RateLimitConfig{General: f.rateLimit, Tags: f.tagsRateLimit,
			Headers: sandbox.RateLimitHeaders(f.rateHeaders), RetryAfter: retryAfter},
		Batches:           sandbox.BatchConfig{StartDelay: orInstant(f.batchDelay), ItemInterval: orInstant(f.batchPace)},
		TagDelay:          orInstant(f.tagDelay),
		TagJitter:         f.tagJitter,
		TagsOnUpsert:      sandbox.TagsMode(f.tagsOnUpsert),
		StatusDowngrade:   sandbox.DowngradeMode(f.downgrade),
		FutureStatusDates: sandbox.FutureDatesMode(f.futureDates),
		Cursors:           sandbox.CursorMode(f.cursors),
		ForeignBatches:    f.foreign,
		MaxBodyBytes:      f.maxBodyBytes,
		Block:             sandbox.BlockConfig{AfterErrors: f.blockAfter, Window: f.blockWindow, For: f.blockFor},
		Faults: sandbox.FaultConfig{Seed: f.seed, Error5xx: f.fault5xx, Extra429: f.fault429,
			Lost: f.faultLost, Hang: f.faultHang, HangFor: f.hangFor, Latency: f.latency,
			Timeout408: f.fault408, GatewayErrors: sandbox.GatewayErrors(f.gatewayErrors)},
	}.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return sandbox.Config{}, err
	}
	return cfg, nil
}

// check names the first flag with a value out of range.
func (f *sandboxFlags) check() error {
	checks := []struct {
		bad bool
		msg string
	}{
		{f.timeScale <= 0, "--time-scale must be > 0"},
		{f.rateLimit <= 0, "--rate-limit must be > 0"},
		{f.tagsRateLimit <= 0, "--tags-rate-limit must be > 0"},
		{f.batchPace < 0 || f.batchDelay < 0 || f.tagDelay < 0, "--batch-pace, --batch-delay and --tag-delay must be >= 0"},
		{badFraction(f.fault5xx), "--fault-5xx must be between 0 and 1"},
		{badFraction(f.fault429), "--fault-429 must be between 0 and 1"},
		{badFraction(f.faultLost), "--fault-lost must be between 0 and 1"},
		{badFraction(f.faultHang), "--fault-hang must be between 0 and 1"},
		{f.latency < 0 || f.hangFor < 0, "--latency and --hang-for must be >= 0"},
		{badFraction(f.fault408), "--fault-408 must be between 0 and 1"},
		{!sandbox.GatewayErrors(f.gatewayErrors).Valid(), "--gateway-errors must be json or html"},
		{!sandbox.TagsMode(f.tagsOnUpsert).Valid(), "--tags-on-upsert must be union or replace"},
		{!sandbox.DowngradeMode(f.downgrade).Valid(), "--status-downgrade must be allow or block"},
		{!sandbox.FutureDatesMode(f.futureDates).Valid(), "--future-status-dates must be keep or drop"},
		{!sandbox.RateLimitHeaders(f.rateHeaders).Valid(), "--rate-limit-headers must be none, v3 or retry-after"},
		{!sandbox.CursorMode(f.cursors).Valid(), "--cursors must be plain or opaque"},
		{f.tagJitter < 0, "--tag-jitter must be >= 0"},
		{f.foreign < 0, "--foreign-batches must be >= 0"},
		{f.maxBodyBytes <= 0, "--max-body-bytes must be > 0"},
		{f.blockAfter < 0, "--block-after-errors must be >= 0"},
		{f.blockWindow <= 0 || f.blockFor <= 0, "--block-window and --block-for must be > 0"},
	}
	for _, c := range checks {
		if c.bad {
			return errors.New(c.msg)
		}
	}
	return nil
}

// orInstant maps a 0 flag ("no delay") to the smallest duration, because a
// zero Config field means "use the default".
func orInstant(d time.Duration) time.Duration {
	if d == 0 {
		return time.Nanosecond
	}
	return d
}

func badFraction(x float64) bool { return x < 0 || x > 1 || x != x }

func sandboxLogger(g *globals) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(g.logLevel)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", g.logLevel)
	}
	return slog.New(slog.NewTextHandler(g.errOut, &slog.HandlerOptions{Level: level})), nil
}

// runSandbox serves until ctx ends, then shuts down gracefully.
func runSandbox(ctx context.Context, g *globals, addr string, cfg sandbox.Config) error {
	srv, err := sandbox.New(cfg)
	if err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("sandbox: listen: %w", err)
	}
	base := "http://" + ln.Addr().String()
	fmt.Fprintf(g.out, "Omnisend sandbox listening (time scale %g)\n", cfg.TimeScale)
	fmt.Fprintf(g.out, "  2026-03-15 API: %s/api   (Authorization: Omnisend-API-Key KEY, Omnisend-Version: %s)\n", base, sandbox.APIVersion)
	fmt.Fprintf(g.out, "  v3 API:         %s/v3    (X-API-KEY: KEY)\n", base)
	fmt.Fprintf(g.out, "  inspection:     %s/_sandbox/\n", base)
	for _, k := range cfg.Keys {
		mode := "read-write"
		if k.ReadOnly {
			mode = "read-only"
		}
		fmt.Fprintf(g.out, "  key %s -> brand %s (%s)\n", k.Key, k.BrandID, mode)
	}
	fmt.Fprintf(g.out, "  behaviour: tags-on-upsert=%s status-downgrade=%s future-status-dates=%s rate-limit-headers=%s cursors=%s gateway-errors=%s max-body-bytes=%d\n",
		cfg.TagsOnUpsert, cfg.StatusDowngrade, cfg.FutureStatusDates, cfg.RateLimit.Headers, cfg.Cursors,
		cfg.Faults.GatewayErrors, cfg.MaxBodyBytes)
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("sandbox: serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("sandbox: shutdown: %w", err)
	}
	return nil
}
