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

Every Omnisend duration (limit windows, batch pacing, tag delay, retryAfter)
runs --time-scale times faster. Fault durations (--latency, --hang-for) are
wall-clock time. State lives in memory and is lost on exit.`,
		Example: `  segbridge sandbox
  segbridge sandbox --key k1:shop-a --key k2:shop-a:ro --key k3:shop-b
  segbridge sandbox --time-scale 60 --fault-5xx 0.02 --fault-lost 0.01 --seed 7`,
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
	fl.Float64Var(&f.fault5xx, "fault-5xx", 0, "fraction of requests answered 500/502/503 without being applied (0..1)")
	fl.Float64Var(&f.fault429, "fault-429", 0, "fraction of requests answered 429 although under the limit (0..1)")
	fl.Float64Var(&f.faultLost, "fault-lost", 0, "fraction of requests applied whose response is lost: the connection is dropped (0..1)")
	fl.Float64Var(&f.faultHang, "fault-hang", 0, "fraction of requests held for --hang-for (past the client's timeout), then dropped unapplied (0..1)")
	fl.DurationVar(&f.hangFor, "hang-for", sandbox.DefaultHangFor, "how long a hanging request is held (wall clock)")
	fl.DurationVar(&f.latency, "latency", 0, "delay added to every request (wall clock)")
	fl.Int64Var(&f.seed, "seed", 1, "fault seed: the same seed and request sequence give the same faults")
	return cmd
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
	}
	for _, c := range checks {
		if c.bad {
			return sandbox.Config{}, errors.New(c.msg)
		}
	}
	cfg := sandbox.Config{
		Keys:      keys,
		TimeScale: f.timeScale,
		Logger:    logger,
		RateLimit: sandbox.RateLimitConfig{General: f.rateLimit, Tags: f.tagsRateLimit},
		Batches:   sandbox.BatchConfig{StartDelay: orInstant(f.batchDelay), ItemInterval: orInstant(f.batchPace)},
		TagDelay:  orInstant(f.tagDelay),
		Faults: sandbox.FaultConfig{Seed: f.seed, Error5xx: f.fault5xx, Extra429: f.fault429,
			Lost: f.faultLost, Hang: f.faultHang, HangFor: f.hangFor, Latency: f.latency},
	}.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return sandbox.Config{}, err
	}
	return cfg, nil
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
