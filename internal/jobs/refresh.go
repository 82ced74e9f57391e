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
	c.refreshing.Lock()
	defer c.refreshing.Unlock()
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
	if len(rec.Held) > 0 {
		rec.Status = store.RefreshHeld
	}
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
	held, err := c.readSources(ctx, rec)
	if err != nil || held != "" {
		return joinNotes(note, held), err
	}
	if err := c.unify(ctx, rec); err != nil {
		return note, err
	}
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
	step := store.RefreshStep{Name: "segments", StartedAt: c.cfg.Now(), Counts: map[string]int{}}
	for _, seg := range segs {
		res, err := segment.Refresh(ctx, c.cfg.Store, seg, c.cfg.Now())
		if err != nil {
			step.Error, step.FinishedAt = fmt.Sprintf("segment %q could not be refreshed", seg.Name), c.cfg.Now()
			rec.Steps = append(rec.Steps, step)
			return "", fmt.Errorf("refresh segment %q: %w", seg.Name, err)
		}
		rec.Segments++
		step.Counts["segments"]++
		step.Counts["joined"] += res.Joined
		step.Counts["left"] += res.Left
	}
	step.FinishedAt = c.cfg.Now()
	rec.Steps = append(rec.Steps, step)
	exStep := store.RefreshStep{Name: "exports", StartedAt: c.cfg.Now(), Counts: map[string]int{}}
	defer func() {
		exStep.FinishedAt, exStep.Counts["runs"] = c.cfg.Now(), rec.Runs
		rec.Steps = append(rec.Steps, exStep)
	}()
	exports, err := c.cfg.Store.ListExports(ctx)
	if err != nil {
		return "", fmt.Errorf("list exports: %w", err)
	}
	var skipped []string
	for _, ex := range exports {
		if !ex.Active || ex.Detached() || ex.Schedule.Kind != export.ScheduleRefresh {
			continue
		}
		r, why, err := c.startRun(ctx, ex.ID, ex.Name, run.TriggerRefresh)
		if err != nil {
			exStep.Error = fmt.Sprintf("export %q: a run could not be started", ex.Name)
			return "", err
		}
		if why != "" {
			skipped = append(skipped, fmt.Sprintf("%q %s", ex.Name, why))
			continue
		}
		rec.Runs++
		rec.RunIDs = append(rec.RunIDs, r.ID)
	}
	if len(skipped) == 0 {
		return "", nil
	}
	exStep.Note = "skipped: " + strings.Join(skipped, ", ")
	return "skipped: " + strings.Join(skipped, ", "), nil
}
