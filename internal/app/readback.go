package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"segbridge/internal/connection"
	"segbridge/internal/export"
	"segbridge/internal/omnisend"
	"segbridge/internal/readback"
	"segbridge/internal/run"
	"segbridge/internal/segment"
	"segbridge/internal/service"
	"segbridge/internal/store"
)

// VerifyOptions tunes VerifyExport (the services' type: service.Runs.Verify
// calls VerifyExport).
type VerifyOptions = service.VerifyOptions

// VerifyResult is what verifying an export found and did.
type VerifyResult = service.VerifyResult

// VerifyExport reads back the contacts carrying the export's tags in
// Omnisend and compares them with its confirmed state (see readback).
// The unsubscribes it reads are written back onto the profiles. It
// refuses an export with a run in progress (run.ErrActiveRun): the state
// changes under a run.
func (a *App) VerifyExport(ctx context.Context, name string, opt VerifyOptions) (VerifyResult, error) {
	ex, err := a.Store.GetExport(ctx, name)
	if err != nil {
		return VerifyResult{}, fmt.Errorf("export %q: %w", name, err)
	}
	res := VerifyResult{Export: ex.Name, Report: readback.Report{Findings: []readback.Finding{}}}
	if ex.Detached() {
		return res, fmt.Errorf("export %q has no connection to verify against: %s", ex.Name, ex.DetachedText())
	}
	if err := a.noActiveRun(ctx, ex); err != nil {
		return res, err
	}
	target, err := a.verifyTarget(ctx, ex)
	if err != nil {
		return res, err
	}
	client, _, err := resolver{a: a}.client(ctx, ex)
	if err != nil {
		return res, err
	}
	v, err := readback.New(readback.Config{State: a.Store, Omnisend: client, Now: a.Now, Logger: a.Logger})
	if err != nil {
		return res, err
	}
	est, err := v.Estimate(ctx, target)
	if err != nil {
		return res, err
	}
	res.Estimate = est
	if opt.OnEstimate != nil {
		if err := opt.OnEstimate(est); err != nil {
			return res, err
		}
	}
	if opt.EstimateOnly {
		return res, nil
	}
	var requests atomic.Int64
	counted := omnisend.WithAttemptHook(ctx, func(context.Context) error {
		requests.Add(1)
		return nil
	})
	rep, err := v.Verify(counted, target, est, opt.Repair)
	rep.Requests = int(requests.Load())
	res.Report = rep
	if err != nil {
		return res, fmt.Errorf("verify export %q: %w", ex.Name, err)
	}
	attrs, err := a.emailAttributes(ctx, ex.ConnectionID)
	if err != nil {
		return res, err
	}
	res.Statuses, err = readback.WriteStatuses(ctx, a.Store, rep.Unsubscribed, attrs, a.Now())
	return res, err
}

// noActiveRun refuses an export whose run is in progress.
func (a *App) noActiveRun(ctx context.Context, ex export.Export) error {
	runs, err := a.Store.ListRuns(ctx, ex.ID, 5)
	if err != nil {
		return err
	}
	for _, r := range runs {
		if !r.Status.Final() {
			return fmt.Errorf("export %q has run %d in progress; verify it when the run has ended: %w", ex.Name, r.ID, run.ErrActiveRun)
		}
	}
	return nil
}

// verifyTarget is the export as a verify reads it: its segment tags and
// its members as a run's plan streams them, without refreshing the
// segments (a verify changes nothing there).
func (a *App) verifyTarget(ctx context.Context, ex export.Export) (readback.Target, error) {
	segs, err := a.exportSegments(ctx, ex)
	if err != nil {
		return readback.Target{}, err
	}
	members, err := resolver{a: a}.members(ex, segs)
	if err != nil {
		return readback.Target{}, err
	}
	t := readback.Target{ExportID: ex.ID, Mapping: ex.Mapping, ConsentPolicy: ex.ConsentPolicy, Members: members}
	for _, id := range ex.Segments {
		t.SegmentTags = append(t.SegmentTags, export.SegmentTag(ex.TagPrefix, segs[id].Slug))
	}
	return t, nil
}

// exportSegments returns the export's segments by id.
func (a *App) exportSegments(ctx context.Context, ex export.Export) (map[int64]segment.Segment, error) {
	all, err := a.Store.ListSegments(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]segment.Segment, len(ex.Segments))
	for _, s := range all {
		if slices.Contains(ex.Segments, s.ID) {
			out[s.ID] = s
		}
	}
	for _, id := range ex.Segments {
		if _, ok := out[id]; !ok {
			return nil, fmt.Errorf("export %q: segment %d no longer exists; edit the export's segments", ex.Name, id)
		}
	}
	return out, nil
}

// emailAttributes are the e-mail attributes of the exports that send to
// connection id: where a profile of that brand keeps its address.
func (a *App) emailAttributes(ctx context.Context, connectionID int64) ([]string, error) {
	exs, err := a.Store.ExportsForConnection(ctx, connectionID)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range exs {
		if !slices.Contains(out, e.Mapping.Email) {
			out = append(out, e.Mapping.Email)
		}
	}
	return out, nil
}

// SyncResult is what one check of a connection's unsubscribes did.
type SyncResult = readback.SyncResult

// syncOutageLimit bounds how long a check waits out an Omnisend outage:
// it runs before each system refresh, which must not wait for Omnisend.
const syncOutageLimit = 2 * time.Minute

// SyncUnsubscribes asks connection name's Omnisend brand for the contacts
// that changed since the last check (every unsubscribed contact on the
// first check, and on v3) and writes their e-mail statuses onto the
// profiles (readback.WriteStatuses), then records where it started.
func (a *App) SyncUnsubscribes(ctx context.Context, name string) (SyncResult, error) {
	conn, err := a.Store.GetConnection(ctx, name)
	if err != nil {
		return SyncResult{}, fmt.Errorf("connection %q: %w", name, err)
	}
	res := SyncResult{Connection: conn.Name}
	attrs, err := a.emailAttributes(ctx, conn.ID)
	if err != nil || len(attrs) == 0 {
		return res, err // no export: no profile to write onto
	}
	started := a.Now()
	since, ok, err := a.Store.UnsubscribeCheckpoint(ctx, conn.ID)
	if err != nil {
		return res, err
	}
	if ok && conn.Dialect != omnisend.DialectV3 {
		res.Since = since
	}
	client, err := a.connectionClient(ctx, conn, "sync-"+strconv.FormatInt(conn.ID, 10), omnisend.RetryConfig{OutageLimit: syncOutageLimit})
	if err != nil {
		return res, err
	}
	var requests atomic.Int64
	counted := omnisend.WithAttemptHook(ctx, func(context.Context) error {
		requests.Add(1)
		return nil
	})
	statuses, err := readback.CheckStatuses(counted, client, readback.CheckOptions{Since: res.Since})
	res.Requests, res.Statuses = int(requests.Load()), len(statuses)
	if err != nil {
		return res, fmt.Errorf("connection %q: %w", conn.Name, err)
	}
	for _, s := range statuses {
		if s.Status == omnisend.StatusUnsubscribed {
			res.Unsubscribed++
		}
	}
	if res.Profiles, err = readback.WriteStatuses(ctx, a.Store, statuses, attrs, a.Now()); err != nil {
		return res, err
	}
	if err := a.Store.SetUnsubscribeCheckpoint(ctx, conn.ID, started); err != nil {
		return res, err
	}
	a.Logger.Info("readback: unsubscribes checked", "connection", conn.Name, "since", res.Since,
		"requests", res.Requests, "unsubscribed", res.Unsubscribed, "profiles_updated", res.Profiles.Updated)
	return res, nil
}

// SyncAllUnsubscribes checks every connection (SyncUnsubscribes); the
// system refresh runs it before it refreshes the segments. A connection
// that fails does not stop the others: the errors are joined.
func (a *App) SyncAllUnsubscribes(ctx context.Context) error {
	conns, err := a.Store.ListConnections(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, c := range conns {
		if _, err := a.SyncUnsubscribes(ctx, strconv.FormatInt(c.ID, 10)); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// connectionClient builds a client of conn's brand, sharing the process's
// rate budget (as share) and metrics, retrying as retry says (its outage
// limit at most the configured one).
func (a *App) connectionClient(ctx context.Context, conn connection.Connection, share string, retry omnisend.RetryConfig) (*omnisend.Client, error) {
	key, err := a.Connections.Key(ctx, conn)
	if err != nil {
		return nil, fmt.Errorf("connection %q: %w", conn.Name, err)
	}
	retry.OutageLimit = min(max(retry.OutageLimit, time.Second), a.outageLimit())
	c, err := omnisend.New(omnisend.Config{
		BaseURL: conn.BaseURL, Dialect: conn.Dialect, APIKey: key, BrandID: conn.BrandID,
		Budget: a.Metrics.Budget(a.budget()), Share: share, Logger: a.Logger,
		HTTPClient: &http.Client{Transport: a.Metrics.Transport(a.transport())},
		Retry:      retry,
		Clock:      a.Omnisend.Clock, Timeout: a.Omnisend.Timeout,
	})
	if err != nil {
		return nil, fmt.Errorf("connection %q: %w", conn.Name, err)
	}
	return c, nil
}

// outageLimit is the configured outage limit, or the client's default.
func (a *App) outageLimit() time.Duration {
	if a.Omnisend.OutageLimit > 0 {
		return a.Omnisend.OutageLimit
	}
	return omnisend.DefaultOutageLimit
}

var _ readback.State = store.Store(nil)
