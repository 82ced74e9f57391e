package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"segbridge/internal/connection"
	"segbridge/internal/export"
	"segbridge/internal/omnisend"
	"segbridge/internal/profile"
	"segbridge/internal/run"
	"segbridge/internal/segment"
	"segbridge/internal/service"
	"segbridge/internal/store"
)

// PlanOptions tune PreviewExport (the services' type: service.Runs.Plan
// calls PreviewExport).
type PlanOptions = service.PlanOptions

// PlanResult is a preview of an export's run.
type PlanResult = service.PlanResult

// PreviewExport previews a run of the export name names (a dry run): the
// run's plan (run.Executor.Preview) on a target resolved without writing
// anything, and the time it would take at the brand's rate budget with
// the brand's runs in progress and queued. It writes nothing and sends no
// request to Omnisend.
func (a *App) PreviewExport(ctx context.Context, name string, opt PlanOptions) (PlanResult, error) {
	ex, err := a.Store.GetExport(ctx, name)
	if err != nil {
		return PlanResult{}, fmt.Errorf("export %q: %w", name, err)
	}
	pv, conn, err := a.previewOf(ctx, ex, opt.Diff, opt.Full)
	if err != nil {
		return PlanResult{}, err
	}
	res := PlanResult{Export: ex.Name, Connection: conn.Name, Preview: pv}
	res.ETA, err = a.planETA(ctx, ex, conn, pv)
	return res, err
}

// previewOf previews ex's run (full: one started with a full check),
// streaming its diff to diff (nil: none).
func (a *App) previewOf(ctx context.Context, ex export.Export, diff func(run.DiffRow) error, full bool) (run.Preview, connection.Connection, error) {
	if ex.Detached() {
		return run.Preview{}, connection.Connection{}, fmt.Errorf("export %q has no connection: %s", ex.Name, ex.DetachedText())
	}
	t, conn, err := resolver{a: a}.previewTarget(ctx, ex)
	if err != nil {
		return run.Preview{}, conn, err
	}
	opt := run.PreviewOptions{Diff: diff, Full: full}
	if diff != nil {
		opt.Before = a.Store.LastConfirmedContacts
	}
	pv, err := a.Runs.Preview(ctx, ex.ID, t, opt)
	return pv, conn, err
}

// previewTarget resolves ex's run target as Resolve does, but reads only:
// the segments are evaluated as the run's refresh would evaluate them,
// not refreshed, and the client can size batches but not send (it has no
// key and no network).
func (rv resolver) previewTarget(ctx context.Context, ex export.Export) (run.Target, connection.Connection, error) {
	a := rv.a
	all, err := a.Store.ListSegments(ctx)
	if err != nil {
		return run.Target{}, connection.Connection{}, err
	}
	segs := make(map[int64]segment.Segment, len(ex.Segments))
	for _, id := range ex.Segments {
		i := slices.IndexFunc(all, func(s segment.Segment) bool { return s.ID == id })
		if i < 0 {
			return run.Target{}, connection.Connection{}, &run.RefusedError{Msg: fmt.Sprintf("export %q: segment %d no longer exists; edit the export's segments", ex.Name, id)}
		}
		segs[id] = all[i]
	}
	if err := rv.checkDefinition(ctx, ex, segs); err != nil {
		return run.Target{}, connection.Connection{}, &run.RefusedError{Msg: err.Error()}
	}
	conn, err := a.Store.GetConnection(ctx, strconv.FormatInt(ex.ConnectionID, 10))
	if errors.Is(err, store.ErrNotFound) {
		return run.Target{}, conn, fmt.Errorf("export %q: its connection was removed", ex.Name)
	}
	if err != nil {
		return run.Target{}, conn, err
	}
	if err := connection.ValidateTagging(conn.Tagging, conn.Dialect); err != nil {
		return run.Target{}, conn, &run.RefusedError{Msg: fmt.Sprintf("connection %q: %v", conn.Name, err)}
	}
	client, err := omnisend.New(omnisend.Config{
		BaseURL: conn.BaseURL, Dialect: conn.Dialect, APIKey: omnisend.NewSecret("preview-sends-nothing"),
		BrandID: conn.BrandID, HTTPClient: &http.Client{Transport: noRequests{}},
	})
	if err != nil {
		return run.Target{}, conn, fmt.Errorf("connection %q: %w", conn.Name, err)
	}
	members, err := rv.evaluatedMembers(ctx, ex, segs)
	if err != nil {
		return run.Target{}, conn, err
	}
	t := rv.target(ex, conn, members, client)
	t.Signature = signature(ex, segs, conn)
	t.Changes = previewChanges{rv: rv, ex: ex, segs: segs, members: members}
	return t, conn, nil
}

// noRequests is a preview client's transport: a preview asks Omnisend
// nothing, and this makes sure of it.
type noRequests struct{}

func (noRequests) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("a preview sends no request to Omnisend")
}

// evaluatedMembers streams the members a run would read after refreshing
// ex's segments, without storing the membership: every profile in id
// order (the order the run reads its members in), a member of a rule
// segment when the rule matches its attributes, of a static segment when
// the segment lists it. That is the membership the refresh would store
// and the run then decides again on the attributes it reads (members).
func (rv resolver) evaluatedMembers(ctx context.Context, ex export.Export, segs map[int64]segment.Segment) (func(context.Context, func(profile.Profile, []string) error) error, error) {
	rules := make(map[int64]*segment.Rule, len(segs))
	listed := make(map[int64]map[string]struct{}, len(segs))
	for id, seg := range segs {
		switch seg.Kind {
		case segment.KindRule:
			rule, err := segment.Compile(seg.Rule)
			if err != nil {
				return nil, fmt.Errorf("segment %q: %w", seg.Name, err)
			}
			rules[id] = rule
		default:
			ids := map[string]struct{}{}
			if err := rv.a.Store.ScanStaticIDs(ctx, id, func(pid string) error {
				ids[pid] = struct{}{}
				return nil
			}); err != nil {
				return nil, fmt.Errorf("segment %q: %w", seg.Name, err)
			}
			listed[id] = ids
		}
	}
	const page = 1000
	return func(ctx context.Context, fn func(profile.Profile, []string) error) error {
		after := ""
		for {
			ps, err := rv.a.Store.ListProfiles(ctx, store.ListOptions{After: after, Limit: page})
			if err != nil {
				return err
			}
			for _, p := range ps {
				var tags []string
				for _, sid := range ex.Segments { // the export's order
					in := false
					if rule := rules[sid]; rule != nil {
						ok, err := rule.Match(p.Attrs)
						in = ok && err == nil
					} else {
						_, in = listed[sid][p.ID]
					}
					if in {
						tags = append(tags, export.SegmentTag(ex.TagPrefix, segs[sid].Slug))
					}
				}
				if len(tags) == 0 {
					continue
				}
				if err := fn(profile.Profile{ID: p.ID, Attrs: p.Attrs}, tags); err != nil {
					return err
				}
			}
			if len(ps) < page {
				return nil
			}
			after = ps[len(ps)-1].ID
		}
	}, nil
}

// planETA estimates the time of ex's previewed run at its brand's budget,
// alone and behind the brand's runs in progress and queued.
func (a *App) planETA(ctx context.Context, ex export.Export, conn connection.Connection, pv run.Preview) (service.PlanETA, error) {
	limits := a.Omnisend.limits()
	rates := run.Rates{General: limits.General.Requests, Tags: limits.Tags.Requests, Window: limits.General.Window}
	perMinute := func(n int) float64 { return float64(n) * float64(time.Minute) / float64(rates.Window) }
	out := service.PlanETA{GeneralPerMinute: perMinute(rates.General), TagsPerMinute: perMinute(rates.Tags), Ahead: []service.AheadRun{}}
	ahead, err := a.brandWork(ctx, conn)
	if err != nil {
		return out, err
	}
	out.Ahead = ahead
	work := make([]run.Work, len(ahead))
	for i, r := range ahead {
		work[i] = r.Requests
	}
	eta := run.EstimateETA(run.Work{General: pv.Requests.General, Tags: pv.Requests.Tags}, work, rates)
	out.Seconds, out.AloneSeconds = ceilSeconds(eta.WithAhead), ceilSeconds(eta.Alone)
	return out, nil
}

// ceilSeconds is d in seconds, rounded up to a tenth.
func ceilSeconds(d time.Duration) float64 {
	tenth := time.Second / 10
	return float64((d+tenth-1)/tenth) / 10
}

// brandWork lists the runs in progress or queued of every export on conn's
// Omnisend brand (exports on other connections to the same brand too),
// with the requests each still has to make: a queued run, or one still
// planning, as a preview of its export now; a running one from its
// progress.
func (a *App) brandWork(ctx context.Context, conn connection.Connection) ([]service.AheadRun, error) {
	conns, err := a.Store.ListConnections(ctx)
	if err != nil {
		return nil, err
	}
	sameBrand := map[int64]connection.Connection{}
	for _, c := range conns {
		if c.ID == conn.ID || (conn.BrandID != "" && c.BrandID == conn.BrandID) {
			sameBrand[c.ID] = c
		}
	}
	exports, err := a.Store.ListExports(ctx)
	if err != nil {
		return nil, err
	}
	out := []service.AheadRun{}
	for _, e := range exports {
		c, ok := sameBrand[e.ConnectionID]
		if !ok {
			continue
		}
		runs, err := a.Store.ListRuns(ctx, e.ID, 5)
		if err != nil {
			return nil, err
		}
		for _, r := range runs {
			if r.Status.Final() {
				continue
			}
			ar := service.AheadRun{Export: e.Name, RunID: r.ID, Status: r.Status, Step: r.Step}
			if r.Status == run.StatusQueued || r.Step == run.StepPlan {
				ar.EstimatedFrom = "preview"
				pv, _, err := a.previewOf(ctx, e, nil, r.Plan.Full)
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				if err != nil {
					ar.Note = "could not be previewed: " + err.Error()
				}
				ar.Requests = run.Work{General: pv.Requests.General, Tags: pv.Requests.Tags}
			} else {
				ar.EstimatedFrom = "progress"
				p, err := a.Store.RunProgress(ctx, r.ID)
				if err != nil {
					return nil, err
				}
				ar.Requests = remainingWork(p, c.Dialect)
			}
			out = append(out, ar)
		}
	}
	return out, nil
}

// remainingWork estimates the requests a running run past its plan still
// makes from its progress: the batches still to send (each at least one
// status check too), and its untag calls. Tag calls are not in the
// progress; they are left out.
func remainingWork(p run.Progress, d omnisend.Dialect) run.Work {
	unsent := max(0, p.Upserts-p.Sent)
	batches := (unsent + d.MaxBatchItems() - 1) / d.MaxBatchItems()
	general := batches
	if p.Confirmed < p.Upserts {
		general += max(1, (batches+249)/250)
	}
	return run.Work{General: general, Tags: (max(0, p.Untags-p.Untagged) + omnisend.MaxTagEmails - 1) / omnisend.MaxTagEmails}
}
