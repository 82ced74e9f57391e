// Package demo shows segbridge's main job end to end on sample data
// against a local Omnisend sandbox: an interface like the CLI, it changes
// state only through the application services (a.Services), acting as a
// local admin, "demo" in the audit log.
package demo

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"segbridge/internal/app"
	"segbridge/internal/demodata"
	"segbridge/internal/omnisend/sandbox"
	"segbridge/internal/profile"
	"segbridge/internal/run"
	"segbridge/internal/segment"
	"segbridge/internal/service"
	"segbridge/internal/user"
)

// Options configure the demo.
type Options struct {
	Profiles int   // sample profiles to generate (default 10,000)
	Seed     int64 // sample data seed
	Out      io.Writer
	// Execute runs a queued run to its end (the CLI passes one that shows
	// progress); default: app.App.Runs.Execute.
	Execute func(ctx context.Context, r run.Run) (run.Run, error)
	// Command is how the closing hints start a command that reaches the
	// demo's store (default "segbridge"; with a temporary data directory,
	// "segbridge --data-dir DIR").
	Command string
}

// demoTimeScale makes the in-process sandbox's minutes last a second, and
// the demo's rate budget with it.
const demoTimeScale = 60

// demoSegments are the segments the demo defines.
var demoSegments = []struct{ name, rule string }{
	{"VIP buyers", `p.orders >= 10 && p.lifetime_value >= 500.0`},
	{"Lapsed customers", `p.orders > 0 && has(p.last_order_date) && p.last_order_date < "2025-06-01"`},
	{"Czech subscribers", `p.country_code == "CZ" && p.email_consent == "subscribed"`},
}

const (
	demoConnection = "Demo sandbox"
	demoExport     = "VIP and lapsed to Omnisend"
)

// Run shows segbridge's main job on sample data against a local Omnisend
// sandbox started in-process: import, segments, a connection and an export,
// a first run, then changes and a second run that sends only what changed
// and untags leavers.
func Run(ctx context.Context, a *app.App, opts Options) error {
	if opts.Profiles <= 0 {
		opts.Profiles = 10_000
	}
	if opts.Execute == nil {
		opts.Execute = func(ctx context.Context, r run.Run) (run.Run, error) { return a.Runs.Execute(ctx, r.ID) }
	}
	if opts.Command == "" {
		opts.Command = "segbridge"
	}
	if err := storeEmpty(ctx, a); err != nil {
		return err
	}
	w := opts.Out
	if err := importProfiles(ctx, a, w, opts); err != nil {
		return err
	}
	segs, err := createSegments(ctx, a, w)
	if err != nil {
		return err
	}
	url, stop, err := startDemoSandbox(ctx)
	if err != nil {
		return err
	}
	defer stop()
	fmt.Fprintf(w, "4. started a local Omnisend sandbox at %s (time scale %dx)\n", url, demoTimeScale)
	ex, err := createExport(ctx, a, w, url, segs)
	if err != nil {
		return err
	}
	if err := runExport(ctx, a, w, opts, ex, "6. first run (everything is new):"); err != nil {
		return err
	}
	changed, left, err := churn(ctx, a, segs)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "7. changed the names of %d members and moved %d out of the segments\n", changed, left)
	if err := runExport(ctx, a, w, opts, ex, "8. second run (only the changes are sent, leavers are untagged):"); err != nil {
		return err
	}
	c, where := opts.Command, a.DataDir
	if a.Store.Engine() == "postgres" {
		where = "the database it was given (its sample file and key file in " + a.DataDir + ")"
	}
	fmt.Fprintf(w, `
Try next:
  %s export runs %q
  %s export results RUN --status skipped
  %s segment preview --rule 'p.city == "Prague"'
  %s profiles schema
  segbridge sandbox            (a sandbox that stays up: connect to it with segbridge connection create)
  segbridge --help
(the demo's data is kept in %s)
`, c, demoExport, c, c, c, where)
	return nil
}

// storeEmpty refuses a store that holds profiles, segments or exports:
// the demo would change them.
func storeEmpty(ctx context.Context, a *app.App) error {
	profiles, err := a.Store.CountProfiles(ctx)
	if err != nil {
		return err
	}
	segs, err := a.Store.ListSegments(ctx)
	if err != nil {
		return err
	}
	exports, err := a.Store.ListExports(ctx)
	if err != nil {
		return err
	}
	if profiles == 0 && len(segs) == 0 && len(exports) == 0 {
		return nil
	}
	where := a.DataDir
	if a.Store.Engine() == "postgres" {
		where = app.RedactURL(a.DatabaseURL)
	}
	return fmt.Errorf("the demo needs a store of its own, and %s holds %d profiles, %d segments and %d exports, "+
		"which it would change: run the demo without --data-dir and --db (it then uses a fresh temporary directory), "+
		"or give it an empty one", where, profiles, len(segs), len(exports))
}

func importProfiles(ctx context.Context, a *app.App, w io.Writer, opts Options) error {
	path := filepath.Join(a.DataDir, "demo-profiles.csv")
	if err := writeDemoData(path, demodata.Options{Profiles: opts.Profiles, Seed: opts.Seed, Format: profile.FormatCSV}); err != nil {
		return err
	}
	fmt.Fprintf(w, "1. generated %d sample profiles in %s\n", opts.Profiles, path)
	start := time.Now()
	fh, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("demo: import: %w", err)
	}
	defer fh.Close()
	sum, err := a.Services.Profiles.Import(ctx, demoPrincipal, fh, profile.ImportOptions{
		Read: profile.ReadOptions{Format: profile.FormatCSV, IDColumn: "id"}, Now: a.Now, Source: "demo data",
	}, nil)
	if err != nil {
		return fmt.Errorf("demo: import: %w", err)
	}
	fmt.Fprintf(w, "2. imported them into %s in %s: %s\n", a.Store.Engine(), time.Since(start).Round(time.Millisecond), sum)
	return nil
}

func createSegments(ctx context.Context, a *app.App, w io.Writer) ([]segment.Segment, error) {
	fmt.Fprintln(w, "3. segments:")
	var segs []segment.Segment
	for _, ds := range demoSegments {
		seg, err := createSegment(ctx, a, w, ds.name, ds.rule)
		if err != nil {
			return nil, err
		}
		segs = append(segs, seg)
	}
	return segs, nil
}

// demoPrincipal is who the demo acts as: a local admin, "demo" in the
// audit log of its own data directory.
var demoPrincipal = user.Principal{Role: user.RoleAdmin, Via: "cli", Actor: "demo"}

func createSegment(ctx context.Context, a *app.App, w io.Writer, name, rule string) (segment.Segment, error) {
	seg, err := a.Services.Segments.Create(ctx, demoPrincipal, service.SegmentInput{Name: name, Rule: rule})
	if err != nil {
		return seg, fmt.Errorf("demo: segment %q: %w", name, err)
	}
	seg, res, err := a.Services.Segments.Refresh(ctx, demoPrincipal, seg.Slug)
	if err != nil {
		return seg, fmt.Errorf("demo: %w", err)
	}
	fmt.Fprintf(w, "   %-18s %6d members  rule: %s\n", seg.Name, len(res.Members), seg.Rule)
	return seg, nil
}

// startDemoSandbox serves a fresh sandbox on a free loopback port.
func startDemoSandbox(ctx context.Context) (string, func(), error) {
	sb, err := sandbox.New(sandbox.Config{TimeScale: demoTimeScale})
	if err != nil {
		return "", nil, fmt.Errorf("demo: sandbox: %w", err)
	}
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("demo: sandbox: %w", err)
	}
	srv := &http.Server{Handler: sb, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	stop := func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}
	return "http://" + ln.Addr().String(), stop, nil
}
