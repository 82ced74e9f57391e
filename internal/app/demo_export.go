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

	"segbridge/internal/connection"
	"segbridge/internal/demodata"
	"segbridge/internal/export"
	"segbridge/internal/omnisend"
	"segbridge/internal/profile"
	"segbridge/internal/run"
	"segbridge/internal/segment"
)

// demoExport creates the demo's connection to the fresh sandbox and its
// export (the demo's store is empty: see demoStoreEmpty).
func (a *App) demoExport(ctx context.Context, w io.Writer, url string, segs []segment.Segment) (export.Export, error) {
	window := time.Minute / demoTimeScale
	a.Omnisend.Budget = omnisend.NewWindowBudget(omnisend.WindowBudgetConfig{
		General: omnisend.Limit{Requests: 360, Window: window}, Tags: omnisend.Limit{Requests: 54, Window: window},
	}, nil)
	conn, err := a.Connections.Create(ctx, connection.Draft{
		Name: demoConnection, APIKey: omnisend.NewSecret("sandbox-key"), BaseURL: url, ExportUser: "demo@example.com",
		Consent: connection.Consent{By: "segbridge demo", At: a.Now(), NoticeVersion: connection.NoticeVersion},
	})
	if err != nil {
		return export.Export{}, fmt.Errorf("demo: connection: %w", err)
	}
	fmt.Fprintf(w, "5. connected to the sandbox (brand %s, key …%s) and created the export %q:\n",
		conn.BrandID, conn.KeyLast4, demoExport)
	mapping := export.Mapping{
		Email: "email", FirstName: "first_name", LastName: "last_name", Address: "address",
		City: "city", State: "state", PostalCode: "postal_code", Country: "country", Phone: "phone",
		Consent: &export.ConsentMapping{Attribute: "email_consent", DateAttribute: "email_consent_date"},
	}
	if err := a.CheckMapping(ctx, mapping); err != nil {
		return export.Export{}, fmt.Errorf("demo: export: %w", err)
	}
	ex, err := a.Store.CreateExport(ctx, export.Export{
		Name: demoExport, ConnectionID: conn.ID, Segments: []int64{segs[0].ID, segs[1].ID}, Active: true,
		Mapping:   mapping,
		Schedule:  export.Schedule{Kind: export.ScheduleManual},
		CreatedAt: a.Now(), UpdatedAt: a.Now(),
	}.WithDefaults())
	if err != nil {
		return export.Export{}, fmt.Errorf("demo: export: %w", err)
	}
	fmt.Fprintf(w, "   segments %q and %q; e-mail, name, address, phone and consent mapped; tags \"segbridge: <segment>\"\n",
		segs[0].Name, segs[1].Name)
	return ex, nil
}

func (a *App) demoRun(ctx context.Context, w io.Writer, opts DemoOptions, ex export.Export, title string) error {
	fmt.Fprintln(w, title)
	r, err := a.Store.CreateRun(ctx, ex.ID, run.TriggerManual, a.Now())
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	r, err = opts.Execute(ctx, r)
	if err != nil {
		return fmt.Errorf("demo: run: %w", err)
	}
	c := r.Counts
	fmt.Fprintf(w, "   %s in %s: %d members; added %d, updated %d, unchanged %d, untagged %d; skipped %d, failed %d; %d API requests\n",
		r.Status, r.FinishedAt.Sub(r.StartedAt).Round(time.Millisecond), c.Members, c.Added, c.Updated, c.Unchanged,
		c.Untagged, c.SkippedTotal(), c.FailedTotal(), r.Requests)
	if r.Status != run.StatusSucceeded {
		return fmt.Errorf("demo: run %d %s: %s", r.ID, r.Status, r.Message)
	}
	return nil
}

// demoChurn renames 1% of the first segment's members and moves 1% of them
// out of every segment (no orders), as a day of changes would.
func (a *App) demoChurn(ctx context.Context, segs []segment.Segment) (changed, left int, err error) {
	var ids []string
	if err := a.Store.ScanMembers(ctx, segs[0].ID, func(id string) error { ids = append(ids, id); return nil }); err != nil {
		return 0, 0, err
	}
	n := max(1, len(ids)/100)
	var batch []profile.Profile
	for i, id := range ids[:min(2*n, len(ids))] {
		p, err := a.Store.GetProfile(ctx, id)
		if err != nil {
			return 0, 0, err
		}
		if i < n {
			p.Attrs["first_name"] = fmt.Sprint(p.Attrs["first_name"], " (renamed)")
			changed++
		} else {
			p.Attrs["orders"] = int64(0)
			delete(p.Attrs, "last_order_date")
			left++
		}
		batch = append(batch, p)
	}
	if _, err := a.Store.UpsertProfiles(ctx, batch, a.Now()); err != nil {
		return 0, 0, err
	}
	return changed, left, nil
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
