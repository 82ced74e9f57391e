package demo

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"segbridge/internal/app"
	"segbridge/internal/demodata"
	"segbridge/internal/export"
	"segbridge/internal/omnisend"
	"segbridge/internal/profile"
	"segbridge/internal/run"
	"segbridge/internal/segment"
	"segbridge/internal/service"
	"segbridge/internal/user"
)

// demoExportUser is the admin the demo's connection names as its export
// user.
const demoExportUser = "demo@example.com"

// createExport creates the demo's connection to the fresh sandbox and its
// export (the demo's store is empty: see storeEmpty).
func createExport(ctx context.Context, a *app.App, w io.Writer, url string, segs []segment.Segment) (export.Export, error) {
	window := time.Minute / demoTimeScale
	a.Omnisend.Budget = omnisend.NewWindowBudget(omnisend.WindowBudgetConfig{
		General: omnisend.Limit{Requests: 360, Window: window}, Tags: omnisend.Limit{Requests: 54, Window: window},
	}, nil)
	// The export user of a connection is an admin: the demo's own, in its
	// own data directory, with a password nobody knows.
	pw, err := user.GeneratePassword()
	if err != nil {
		return export.Export{}, fmt.Errorf("demo: export user: %w", err)
	}
	if _, err := a.Services.Users.Add(ctx, demoPrincipal, demoExportUser, pw, user.RoleAdmin); err != nil {
		return export.Export{}, fmt.Errorf("demo: export user: %w", err)
	}
	conn, err := a.Services.Connections.Create(ctx, demoPrincipal, service.ConnectionInput{
		Name: demoConnection, APIKey: omnisend.NewSecret("sandbox-key"), BaseURL: url, ExportUser: demoExportUser,
		Agree: true, ConsentBy: "segbridge demo",
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
	ex, err := a.Services.Exports.Create(ctx, demoPrincipal, service.ExportInput{
		Name: demoExport, Connection: conn.Name, Segments: []string{segs[0].Slug, segs[1].Slug},
		Mapping: &mapping, Schedule: &export.Schedule{Kind: export.ScheduleManual},
		ConsentPolicy: string(export.ConsentOptIns),
	})
	if err != nil {
		return export.Export{}, fmt.Errorf("demo: export: %w", err)
	}
	fmt.Fprintf(w, "   segments %q and %q; e-mail, name, address, phone and consent (opt-ins) mapped; tags \"segbridge: <segment>\"\n",
		segs[0].Name, segs[1].Name)
	return ex, nil
}

// runExport starts a run of the export and executes it in this process.
func runExport(ctx context.Context, a *app.App, w io.Writer, opts Options, ex export.Export, title string) error {
	fmt.Fprintln(w, title)
	st, err := a.Services.Runs.Start(ctx, demoPrincipal, ex.Name, service.StartOptions{NoJob: true})
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	r, err := opts.Execute(ctx, st.Run)
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

// churn renames 1% of the first segment's members and moves 1% of them
// out of every segment (no orders), as a day of changes would, and
// imports the changed profiles.
func churn(ctx context.Context, a *app.App, segs []segment.Segment) (changed, left int, err error) {
	var ids []string
	if err := a.Store.ScanMembers(ctx, segs[0].ID, func(id string) error { ids = append(ids, id); return nil }); err != nil {
		return 0, 0, err
	}
	n := max(1, len(ids)/100)
	var buf bytes.Buffer
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
		if err := writeJSONL(&buf, p); err != nil {
			return 0, 0, err
		}
	}
	if _, err := a.Services.Profiles.Import(ctx, demoPrincipal, bytes.NewReader(buf.Bytes()), profile.ImportOptions{
		Read: profile.ReadOptions{Format: profile.FormatJSONL, IDColumn: "id"}, Now: a.Now,
	}, nil); err != nil {
		return 0, 0, fmt.Errorf("demo: import the changes: %w", err)
	}
	return changed, left, nil
}

// writeJSONL writes p as one JSON line of its id and attributes, as an
// import reads them back: a float keeps its fraction, so it stays a float.
func writeJSONL(w io.Writer, p profile.Profile) error {
	row := make(map[string]any, len(p.Attrs)+1)
	for k, v := range p.Attrs {
		if f, ok := v.(float64); ok {
			s := strconv.FormatFloat(f, 'f', -1, 64)
			if !strings.ContainsAny(s, ".eE") {
				s += ".0"
			}
			v = json.Number(s)
		}
		row[k] = v
	}
	row["id"] = p.ID
	b, err := json.Marshal(row)
	if err != nil {
		return fmt.Errorf("demo: profile %q: %w", p.ID, err)
	}
	_, err = w.Write(append(b, '\n'))
	return err
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
