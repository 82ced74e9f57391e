package jobs

import (
	"context"
	"errors"
	"fmt"

	"github.com/riverqueue/river/rivertype"

	"segbridge/internal/run"
)

// StartRun queues a run of export exportID and enqueues its job: what every
// interface (the API, the web UI, the scheduled refresh) does to start a
// run. An export with a run in progress gives run.ErrActiveRun (wrapped):
// one run per export at a time (a stale one is continued: see run.Start).
// A run whose job cannot be enqueued is failed with the reason, so it does
// not block the export.
func (c *Client) StartRun(ctx context.Context, exportID int64, trigger run.Trigger) (run.Run, *rivertype.JobRow, error) {
	r, err := run.Start(ctx, c.cfg.Store, exportID, trigger, c.cfg.Now())
	if err != nil {
		return r, nil, err
	}
	job, err := c.Enqueue(ctx, r.ID)
	if err != nil {
		r.Status, r.Step, r.Message, r.FinishedAt = run.StatusFailed, run.StepDone, "could not queue the run: "+err.Error(), c.cfg.Now()
		return r, nil, errors.Join(err, c.cfg.Store.SaveRun(context.WithoutCancel(ctx), r))
	}
	c.cfg.Logger.Info("jobs: run queued", "export", exportID, "run", r.ID, "job", job.ID, "trigger", trigger)
	return r, job, nil
}

// startRun is StartRun for the scheduler: it returns, without an error,
// why it did not start a run ("has a run in progress", "has run N held by
// its removal brake"), or "" when it did.
func (c *Client) startRun(ctx context.Context, exportID int64, name string, trigger run.Trigger) (run.Run, string, error) {
	r, _, err := c.StartRun(ctx, exportID, trigger)
	var held *run.HeldError
	switch {
	case errors.As(err, &held):
		c.cfg.Logger.Info("jobs: export has a run held by its removal brake; not starting another until its untags are approved or discarded",
			"export", name, "run", held.RunID)
		return r, fmt.Sprintf("has run %d held by its removal brake (approve or discard its untags)", held.RunID), nil
	case errors.Is(err, run.ErrActiveRun):
		c.cfg.Logger.Info("jobs: export has a run in progress; not starting another", "export", name)
		return r, "has a run in progress", nil
	case err != nil:
		return r, "", fmt.Errorf("export %q: %w", name, err)
	}
	return r, "", nil
}
