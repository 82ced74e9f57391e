package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"segbridge/internal/app"
	"segbridge/internal/secret"
)

// config builds the application config from flags, then environment.
func (g *globals) config() (app.Config, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(g.logLevel)); err != nil {
		return app.Config{}, fmt.Errorf("--log-level %q: want debug, info, warn or error", g.logLevel)
	}
	var window time.Duration
	if v := g.getenv("SEGBRIDGE_OMNISEND_WINDOW"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 10*time.Millisecond || d > time.Hour {
			return app.Config{}, fmt.Errorf("SEGBRIDGE_OMNISEND_WINDOW %q: want a duration from 10ms to 1h, such as 1s", v)
		}
		window = d
	}
	var requests int
	if v := g.getenv("SEGBRIDGE_OMNISEND_BUDGET"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 400 {
			return app.Config{}, fmt.Errorf("SEGBRIDGE_OMNISEND_BUDGET %q: want 1 to 400 requests per window (Omnisend allows 400)", v)
		}
		requests = n
	}
	outage, err := g.durationSetting("--outage-limit", g.outageLimit, "SEGBRIDGE_OUTAGE_LIMIT", time.Second, 7*24*time.Hour)
	if err != nil {
		return app.Config{}, err
	}
	lease, err := g.durationSetting("", "", "SEGBRIDGE_RUN_LEASE", 100*time.Millisecond, time.Hour)
	if err != nil {
		return app.Config{}, err
	}
	return app.Config{
		Omnisend:    app.OmnisendConfig{Window: window, Requests: requests, OutageLimit: outage, RunLease: lease},
		DatabaseURL: firstNonEmpty(g.dbURL, g.getenv("SEGBRIDGE_DATABASE_URL")),
		DataDir:     firstNonEmpty(g.dataDir, g.getenv("SEGBRIDGE_DATA_DIR")),
		Logger:      slog.New(slog.NewTextHandler(g.errOut, &slog.HandlerOptions{Level: level})),
		MasterKey:   secret.EnvKey(g.getenv(secret.EnvVar)),
	}, nil
}

// durationSetting is a duration from a flag's text (when given) or else
// from an environment variable, within [lo, hi]; 0 when neither is set.
func (g *globals) durationSetting(flag, fromFlag, env string, lo, hi time.Duration) (time.Duration, error) {
	name, v := flag, fromFlag
	if v == "" {
		name, v = env, g.getenv(env)
	}
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < lo || d > hi {
		return 0, fmt.Errorf("%s %q: want a duration from %s to %s with its unit, such as %s", name, v, lo, hi, (lo * 10).String())
	}
	return d, nil
}

// open opens the application (store migrated) for one command.
func (g *globals) open(ctx context.Context) (*app.App, error) {
	cfg, err := g.config()
	if err != nil {
		return nil, err
	}
	return g.openWith(ctx, cfg)
}

// openWith opens the application on cfg and resolves who the command acts
// as (--as, else the local operator).
func (g *globals) openWith(ctx context.Context, cfg app.Config) (*app.App, error) {
	a, err := app.Open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := g.resolveActor(ctx, a); err != nil {
		return nil, errors.Join(err, a.Close())
	}
	return a, nil
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// oneLine folds an error message onto a single line.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

// isTerminal reports whether w is a terminal (progress bars only go there).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// newProgress returns a progress bar on errOut when it is a terminal, or nil.
func (g *globals) newProgress(max int64, desc string) *progressbar.ProgressBar {
	if !isTerminal(g.errOut) {
		return nil
	}
	return progressbar.NewOptions64(max,
		progressbar.OptionSetWriter(g.errOut),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowBytes(true),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100_000_000),
		progressbar.OptionClearOnFinish(),
	)
}

// outputFlag adds --output to cmd and returns where its value lands.
func outputFlag(cmd *cobra.Command) *string {
	out := outputFormat("text")
	cmd.Flags().VarP(&out, "output", "o", "output format: text or json")
	return (*string)(&out)
}

// outputFormat is the value of --output; a value other than text or json is
// refused while the flags are parsed.
type outputFormat string

func (o *outputFormat) String() string { return string(*o) }

func (o *outputFormat) Type() string { return "format" }

func (o *outputFormat) Set(v string) error {
	if v != "text" && v != "json" {
		return fmt.Errorf("want text or json")
	}
	*o = outputFormat(v)
	return nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// writeJSONLine writes v as one line of JSON (JSON Lines).
func writeJSONLine(w io.Writer, v any) error {
	return json.NewEncoder(w).Encode(v)
}

// withApp opens the application for one command, runs fn with it, and
// closes it.
func (g *globals) withApp(ctx context.Context, fn func(a *app.App) error) error {
	a, err := g.open(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	return fn(a)
}
