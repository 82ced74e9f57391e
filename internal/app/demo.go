package app

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"segbridge/internal/demodata"
	"segbridge/internal/profile"
	"segbridge/internal/segment"
	"segbridge/internal/store"
)

// DemoOptions configure the demo.
type DemoOptions struct {
	Profiles int   // sample profiles to generate (default 10,000)
	Seed     int64 // sample data seed
	Out      io.Writer
}

// demoSegments are the segments the demo defines.
var demoSegments = []struct{ name, rule string }{
	{"VIP buyers", `p.orders >= 10 && p.lifetime_value >= 500.0`},
	{"Lapsed customers", `p.orders > 0 && has(p.last_order_date) && p.last_order_date < "2025-06-01"`},
	{"Czech subscribers", `p.country_code == "CZ" && p.email_consent == "subscribed"`},
}

// Demo shows segbridge on sample data: it generates profiles, imports them,
// defines segments, refreshes them and prints what it did. Running it again
// re-imports (nothing changes) and refreshes.
func (a *App) Demo(ctx context.Context, opts DemoOptions) error {
	if opts.Profiles <= 0 {
		opts.Profiles = 10_000
	}
	w := opts.Out
	path := filepath.Join(a.DataDir, "demo-profiles.csv")
	if err := writeDemoData(path, demodata.Options{Profiles: opts.Profiles, Seed: opts.Seed, Format: profile.FormatCSV}); err != nil {
		return err
	}
	fmt.Fprintf(w, "1. generated %d sample profiles in %s\n", opts.Profiles, path)

	start := time.Now()
	open := func() (io.ReadCloser, error) { return os.Open(path) }
	sum, err := profile.Import(ctx, open, a.Store, profile.ImportOptions{
		Read: profile.ReadOptions{Format: profile.FormatCSV, IDColumn: "id"}, Now: a.Now,
	})
	if err != nil {
		return fmt.Errorf("demo: import: %w", err)
	}
	fmt.Fprintf(w, "2. imported them into %s in %s: %s\n", a.Store.Engine(), time.Since(start).Round(time.Millisecond), sum)

	fmt.Fprintln(w, "3. segments:")
	for _, ds := range demoSegments {
		if err := a.demoSegment(ctx, w, ds.name, ds.rule); err != nil {
			return err
		}
	}
	fmt.Fprintf(w, `
Try next:
  segbridge segment list
  segbridge segment preview --rule 'p.city == "Prague"'
  segbridge profiles list --limit 5
  segbridge segment --help
(data is kept in %s)
`, a.DataDir)
	return nil
}

func (a *App) demoSegment(ctx context.Context, w io.Writer, name, rule string) error {
	seg, err := a.Store.GetSegment(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		d, derr := segment.NewRuleDraft(name, rule)
		if derr != nil {
			return fmt.Errorf("demo: %w", derr)
		}
		seg, err = a.Store.CreateSegment(ctx, d, a.Now())
	}
	if err != nil {
		return fmt.Errorf("demo: segment %q: %w", name, err)
	}
	res, err := segment.Refresh(ctx, a.Store, seg, a.Now())
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	fmt.Fprintf(w, "   %-18s %6d members  (+%d joined, -%d left)  rule: %s\n",
		seg.Name, len(res.Members), res.Joined, res.Left, seg.Rule)
	return nil
}

func writeDemoData(path string, opts demodata.Options) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	fh, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	bw := bufio.NewWriter(fh)
	err = demodata.Generate(bw, opts)
	if err == nil {
		err = bw.Flush()
	}
	return errors.Join(err, fh.Close())
}
