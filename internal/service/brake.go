package service

import (
	"context"
	"errors"
	"fmt"

	"segbridge/internal/audit"
	"segbridge/internal/export"
	"segbridge/internal/run"
	"segbridge/internal/user"
)

// Approve approves the untags the removal brake held in run id: the same
// run continues at its untag step, worked by a job like any run (a
// process killed meanwhile leaves it resumable). Who may run the export
// may approve; a run that is not held is a conflict.
func (s *Runs) Approve(ctx context.Context, p user.Principal, id int64) (Started, error) {
	r, e, err := s.heldRun(ctx, p, RunApprove, id)
	st := Started{Run: r, Export: e}
	if err != nil {
		return st, err
	}
	held := 0
	if pr, err := s.st.RunProgress(ctx, id); err == nil {
		held = pr.Untags - pr.Untagged
	}
	if st.Run, err = run.Approve(ctx, s.st, id, audit.Actor(p), s.now()); err != nil {
		return st, s.decisionError(r, err)
	}
	if st.JobID, err = s.queue(ctx, Started{Run: st.Run, Export: e, Resumed: true}, true); err != nil {
		return st, fmt.Errorf("run %d was approved but its job was not queued (resume it with: segbridge export run %q --resume): %w", r.ID, e.Name, err)
	}
	s.record(ctx, p, RunApprove, e.Name, fmt.Sprintf("run %d: %s untags approved (job %d)", r.ID, export.Count(held), st.JobID))
	return st, nil
}

// Discard discards the untags the removal brake held in run id: they are
// skipped (reason "discarded"), the contacts keep their tags, and the run
// ends. Who may run the export may discard; a run that is not held is a
// conflict.
func (s *Runs) Discard(ctx context.Context, p user.Principal, id int64) (run.Run, export.Export, error) {
	r, e, err := s.heldRun(ctx, p, RunDiscard, id)
	if err != nil {
		return r, e, err
	}
	done, err := run.Discard(ctx, s.st, id, audit.Actor(p), s.now())
	if err != nil {
		return r, e, s.decisionError(r, err)
	}
	s.record(ctx, p, RunDiscard, e.Name, fmt.Sprintf("run %d: %s untags discarded", r.ID, export.Count(done.Counts.Skipped[run.ReasonDiscarded])))
	return done, e, nil
}

// heldRun finds run id for a decision by p (action a) and checks that it
// is held.
func (s *Runs) heldRun(ctx context.Context, p user.Principal, a Action, id int64) (run.Run, export.Export, error) {
	r, e, err := s.runOf(ctx, p, a, id)
	if err != nil {
		return r, e, err
	}
	if r.Status != run.StatusHeld || r.Hold.Reason == "" {
		return r, e, s.decisionError(r, run.ErrNotHeld)
	}
	if r.Hold.Decision == run.DecisionDiscarded && a == RunApprove {
		return r, e, Conflict("run %d's untags are being discarded (by %s); they cannot be approved", r.ID, r.Hold.By)
	}
	return r, e, nil
}

// decisionError says why a decision on r was refused.
func (s *Runs) decisionError(r run.Run, err error) error {
	if !errors.Is(err, run.ErrNotHeld) {
		return err
	}
	if r.Hold.Decision != "" {
		return Conflict("run %d is not held: its untags were already %s by %s", r.ID, r.Hold.Decision, r.Hold.By).because(err)
	}
	return Conflict("run %d is not held by the removal brake (it is %s): there is nothing to approve or discard", r.ID, r.Status).because(err)
}
