package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"segbridge/internal/export"
	"segbridge/internal/run"
)

// CronCheckArgs is the periodic check for the system refresh's schedule
// and for exports and sources whose own cron schedule is due.
type CronCheckArgs struct{}

// Kind implements river.JobArgs.
func (CronCheckArgs) Kind() string { return "segbridge_cron_check" }

type cronCheckWorker struct {
	river.WorkerDefaults[CronCheckArgs]
	c *Client
}

// Work implements river.Worker.
func (w *cronCheckWorker) Work(ctx context.Context, _ *river.Job[CronCheckArgs]) error {
	_, refreshErr := w.c.CheckRefresh(ctx)
	if _, err := w.c.CheckCron(ctx); err != nil {
		return errors.Join(refreshErr, err)
	}
	_, err := w.c.CheckSourceCron(ctx)
	return errors.Join(refreshErr, err)
}

// CheckCron queues a run (trigger "schedule") of every active, attached
// export on a cron schedule that is due, and returns how many it queued.
// An export is due when its schedule fired after its latest run was
// queued (or, with no run yet, after it was last saved), so each firing
// starts one run, and a missed firing (no worker was up) starts one run,
// not one per firing missed. An export with a run in progress is skipped.
func (c *Client) CheckCron(ctx context.Context) (int, error) {
	exports, err := c.cfg.Store.ListExports(ctx)
	if err != nil {
		return 0, fmt.Errorf("cron check: list exports: %w", err)
	}
	now, queued := c.cfg.Now(), 0
	for _, ex := range exports {
		if !ex.Active || ex.Detached() || ex.Schedule.Kind != export.ScheduleCron {
			continue
		}
		due, err := c.due(ctx, ex, now)
		if err != nil || !due {
			if err != nil {
				return queued, err
			}
			continue
		}
		_, why, err := c.startRun(ctx, ex.ID, ex.Name, run.TriggerSchedule)
		if err != nil {
			return queued, err
		}
		if why == "" {
			queued++
		}
	}
	return queued, nil
}

// due reports whether ex's cron schedule fired since its latest run.
func (c *Client) due(ctx context.Context, ex export.Export, now time.Time) (bool, error) {
	since := ex.UpdatedAt
	runs, err := c.cfg.Store.ListRuns(ctx, ex.ID, 1)
	if err != nil {
		return false, fmt.Errorf("cron check: export %q: %w", ex.Name, err)
	}
	if len(runs) > 0 && runs[0].QueuedAt.After(since) {
		since = runs[0].QueuedAt
	}
	next := ex.Schedule.NextRun(since)
	return !next.IsZero() && !next.After(now), nil
}
