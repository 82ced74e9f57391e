package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"segbridge/internal/run"
)

// RunExportArgs is the job that executes one export run.
type RunExportArgs struct {
	RunID int64 `json:"run_id" river:"unique"`
	// Approved marks the job that continues a run whose held untags were
	// approved (the removal brake): the job that worked the run until it
	// was held has completed, and River keeps completed unique jobs, so
	// the continuation needs its own key.
	Approved bool `json:"approved,omitempty" river:"unique"`
}

// Kind implements river.JobArgs.
func (RunExportArgs) Kind() string { return "segbridge_run_export" }

// InsertOpts implements river.JobArgsWithInsertOpts: a run has at most one
// unfinished job, however often it is enqueued (refresh, cron check, CLI,
// several processes).
func (RunExportArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// snoozeAfterStop is how soon a run stopped by its job's timeout or by a
// shutdown is offered to a worker again.
const snoozeAfterStop = time.Second

// runExportWorker executes runs. A run resumes from its last checkpoint, so
// a rescued, retried or snoozed job simply continues it; a run that is
// already final makes the job complete at once.
type runExportWorker struct {
	river.WorkerDefaults[RunExportArgs]
	c *Client
}

// Work implements river.Worker.
func (w *runExportWorker) Work(ctx context.Context, job *river.Job[RunExportArgs]) error {
	log := w.c.cfg.Logger.With("run", job.Args.RunID, "job", job.ID, "attempt", job.Attempt)
	log.Info("jobs: run starting")
	r, err := w.c.cfg.Executor.Execute(ctx, job.Args.RunID)
	var lease *run.LeaseError
	if errors.As(err, &lease) || errors.Is(err, run.ErrLeaseLost) {
		// Another executor works the run: look again once its lease may
		// have run out (it renews it while it lives).
		log.Info("jobs: another executor works the run; looking again later", "error", err)
		wait := snoozeAfterStop
		if lease != nil {
			wait = max(wait, time.Until(lease.Until))
		}
		return river.JobSnooze(wait)
	}
	if err != nil && ctx.Err() != nil {
		// Timeout or shutdown: the run stayed running at its checkpoint.
		// Snoozing does not use up an attempt.
		log.Info("jobs: run stopped at a checkpoint; it continues in a later attempt", "step", r.Step, "reason", ctx.Err())
		return river.JobSnooze(snoozeAfterStop)
	}
	if err != nil {
		// The store failed: River retries with backoff, and the run resumes.
		return fmt.Errorf("run %d: %w", job.Args.RunID, err)
	}
	log.Info("jobs: run ended", "status", r.Status, "message", r.Message)
	return nil
}
