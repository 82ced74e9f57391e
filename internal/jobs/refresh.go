package jobs

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/riverqueue/river"

	"segbridge/internal/export"
	"segbridge/internal/run"
	"segbridge/internal/segment"
	"segbridge/internal/store"
)

// SystemRefreshArgs is the scheduled system refresh.
type SystemRefreshArgs struct{}

// Kind implements river.JobArgs.
func (SystemRefreshArgs) Kind() string { return "segbridge_system_refresh" }

type refreshWorker struct {
	river.WorkerDefaults[SystemRefreshArgs]
	c *Client
}

// Work implements river.Worker.
func (w *refreshWorker) Work(ctx context.Context, _ *river.Job[SystemRefreshArgs]) error {
	_, err := w.c.Refresh(ctx)
	return err
}

// Refresh is the system refresh: it re-evaluates every segment, then
// queues a run (trigger "refresh") of every active, attached export that
// runs after each refresh and has no run in progress, and enqueues a job
// for each. It is recorded in the store's system refreshes.
func (c *Client) Refresh(ctx context.Context) (store.SystemRefresh, error) {
	st, log := c.cfg.Store, c.cfg.Logger
	rec := store.SystemRefresh{StartedAt: c.cfg.Now(), Status: store.RefreshRunning}
	id, err := st.StartRefresh(ctx, rec.StartedAt)
	if err != nil {
		return rec, err
	}
	rec.ID = id
	log.Info("jobs: system refresh starting", "refresh", id)
	skipped, err := c.refreshAll(ctx, &rec)
	rec.FinishedAt, rec.Status, rec.Message = c.cfg.Now(), store.RefreshSucceeded, skipped
	if err != nil {
		rec.Status, rec.Message = store.RefreshFailed, err.Error()
	}
	if ferr := st.FinishRefresh(context.WithoutCancel(ctx), rec); ferr != nil {
		return rec, errors.Join(err, ferr)
	}
	log.Info("jobs: system refresh ended", "refresh", id, "status", rec.Status,
		"segments", rec.Segments, "runs", rec.Runs, "message", rec.Message)
	return rec, err
}

// refreshAll does the work of Refresh and says which exports it skipped
// (and whether Omnisend's unsubscribes could not all be read back).
func (c *Client) refreshAll(ctx context.Context, rec *store.SystemRefresh) (string, error) {
	note := c.syncUnsubscribes(ctx)
	skipped, err := c.refreshSegmentsAndRun(ctx, rec)
	if note != "" && skipped != "" {
		return note + "; " + skipped, err
	}
	return note + skipped, err
}

// syncUnsubscribes runs Config.Unsubscribes and words its failure.
func (c *Client) syncUnsubscribes(ctx context.Context) string {
	if c.cfg.Unsubscribes == nil {
		return ""
	}
	if err := c.cfg.Unsubscribes(ctx); err != nil {
		c.cfg.Logger.Warn("jobs: unsubscribes not read back", "error", err)
		return "unsubscribes not read back: " + strings.Join(strings.Fields(err.Error()), " ")
	}
	return ""
}

// refreshSegmentsAndRun refreshes every segment and starts the runs.
func (c *Client) refreshSegmentsAndRun(ctx context.Context, rec *store.SystemRefresh) (string, error) {
	segs, err := c.cfg.Store.ListSegments(ctx)
	if err != nil {
		return "", fmt.Errorf("list segments: %w", err)
	}
	for _, seg := range segs {
		if _, err := segment.Refresh(ctx, c.cfg.Store, seg, c.cfg.Now()); err != nil {
			return "", fmt.Errorf("refresh segment %q: %w", seg.Name, err)
		}
		rec.Segments++
	}
	exports, err := c.cfg.Store.ListExports(ctx)
	if err != nil {
		return "", fmt.Errorf("list exports: %w", err)
	}
	var skipped []string
	for _, ex := range exports {
		if !ex.Active || ex.Detached() || ex.Schedule.Kind != export.ScheduleRefresh {
			continue
		}
		why, err := c.startRun(ctx, ex.ID, ex.Name, run.TriggerRefresh)
		if err != nil {
			return "", err
		}
		if why != "" {
			skipped = append(skipped, fmt.Sprintf("%q %s", ex.Name, why))
			continue
		}
		rec.Runs++
	}
	if len(skipped) == 0 {
		return "", nil
	}
	return "skipped: " + strings.Join(skipped, ", "), nil
}
