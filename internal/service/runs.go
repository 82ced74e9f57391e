package service

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"segbridge/internal/export"
	"segbridge/internal/readback"
	"segbridge/internal/run"
	"segbridge/internal/store"
	"segbridge/internal/user"
)

// Runs starts and cancels export runs and verifies exports against
// Omnisend. It only creates, queues and records runs: the workers (or
// the caller, in process) execute them.
type Runs struct {
	*core
	exports *Exports
}

// StartOptions tune Runs.Start.
type StartOptions struct {
	// Resume resumes the export's interrupted run (its job is released
	// for a worker) instead of starting a new one.
	Resume bool
	// NoJob creates the run without queuing its job: the caller executes
	// it in this process (the demo does, with run.Executor.Execute).
	NoJob bool
	// Full makes the new run check every member (a full plan) instead of
	// only what changed since the export's last run.
	Full bool
}

// Started is a run Runs.Start started (or resumed).
type Started struct {
	Run    run.Run
	Export export.Export
	// JobID is the job that works the run (0 with NoJob).
	JobID int64
	// Resumed says that Run is the export's interrupted run, resumed.
	Resumed bool
}

// Start queues a manual run of the export nameOrID names: one run per
// export at a time, so an export with a run in progress is a conflict
// (wrapping run.ErrActiveRun; Started.Run is then the run in progress) —
// a run whose process died is failed and continued by the new run.
func (s *Runs) Start(ctx context.Context, p user.Principal, nameOrID string, opt StartOptions) (Started, error) {
	e, err := s.exports.writable(ctx, p, RunStart, nameOrID)
	if err != nil {
		return Started{}, err
	}
	st, err := s.start(ctx, p, e, opt)
	if err != nil {
		return st, err
	}
	s.record(ctx, p, RunStart, e.Name, startDetail(st))
	return st, nil
}

// Retry starts a run of the export of run id, an ended run with failed
// contacts, to send them again. It is an ordinary changes-only run: a
// contact that failed is not in the export's confirmed state (or is
// unsure there), so the plan sends it again — exactly the failed
// contacts, and whatever changed since. The export must have no run in
// progress.
func (s *Runs) Retry(ctx context.Context, p user.Principal, id int64, opt StartOptions) (Started, error) {
	r, e, err := s.runOf(ctx, p, RunRetry, id)
	if err != nil {
		return Started{Export: e}, err
	}
	if !r.Status.Final() {
		return Started{Export: e}, Conflict("run %d has not ended (%s): its failed contacts can be retried once it has", r.ID, r.Status)
	}
	failed := r.Counts.FailedTotal()
	if failed == 0 {
		return Started{Export: e}, Conflict("run %d has no failed contacts to retry", r.ID)
	}
	opt.Resume = false
	st, err := s.start(ctx, p, e, opt)
	if err != nil {
		return st, err
	}
	s.record(ctx, p, RunRetry, e.Name, fmt.Sprintf("%s retries the %s failed contacts of run %d", startDetail(st), export.Count(failed), r.ID))
	return st, nil
}

// start starts (or resumes) a run of e, unaudited: Start and Retry audit.
func (s *Runs) start(ctx context.Context, p user.Principal, e export.Export, opt StartOptions) (Started, error) {
	var err error
	st := Started{Export: e}
	if e.Detached() {
		return st, Conflict("export %q cannot run: %s; attach it to a connection first", e.Name, e.DetachedText())
	}
	cur, active, err := s.activeRun(ctx, e.ID)
	if err != nil {
		return st, err
	}
	now := s.now()
	if active {
		st.Run = cur // in a conflict, the run in progress
	}
	switch {
	case active && cur.Status == run.StatusHeld:
		return st, Conflict("export %q has run %d held by its removal brake (%s): approve or discard its untags first",
			e.Name, cur.ID, cur.Hold.Reason).because(&run.HeldError{RunID: cur.ID})
	case active && cur.Status == run.StatusRunning && !cur.Stale(now):
		return st, Conflict("export %q has run %d in progress (step %s), worked by %s (its lease runs until %s); wait for it to end, or cancel it",
			e.Name, cur.ID, cur.Step, cur.LeaseOwner, cur.LeaseUntil.Local().Format(time.DateTime)).because(run.ErrActiveRun)
	case active && opt.Resume:
		st.Run, st.Resumed = cur, true
	case active && cur.Status == run.StatusQueued:
		return st, Conflict("export %q has run %d queued: a worker runs it, or resume it here, or cancel it", e.Name, cur.ID).because(run.ErrActiveRun)
	case opt.Resume:
		return st, Conflict("export %q has no interrupted run to resume", e.Name)
	default:
		// A stale run (its process died) is failed and continued by the
		// new run.
		st.Run, err = run.Start(ctx, s.st, e.ID, run.TriggerManual, now)
		var held *run.HeldError
		if errors.As(err, &held) {
			return st, Conflict("export %q has run %d held by its removal brake: approve or discard its untags first", e.Name, held.RunID).because(err)
		}
		if errors.Is(err, run.ErrActiveRun) {
			return st, Conflict("export %q has a run in progress; wait for it to end, or cancel it", e.Name).because(err)
		}
		if err != nil {
			return st, fmt.Errorf("start a run of export %q: %w", e.Name, err)
		}
		if opt.Full {
			st.Run.Plan.Full = true
			if err := s.st.SetRunPlan(ctx, st.Run.ID, st.Run.Plan); err != nil {
				return st, fmt.Errorf("start a run of export %q: %w", e.Name, err)
			}
		}
		if p.UserID != 0 { // the run stops once its starter may no longer run the export
			if err := s.st.SetRunStarter(ctx, st.Run.ID, p.UserID); err != nil {
				return st, fmt.Errorf("start a run of export %q: %w", e.Name, err)
			}
			st.Run.StartedBy = p.UserID
		}
	}
	if !opt.NoJob {
		if st.JobID, err = s.queue(ctx, st, opt.Resume); err != nil {
			return st, err
		}
	}
	return st, nil
}

func startDetail(st Started) string {
	d := fmt.Sprintf("run %d", st.Run.ID)
	if st.Resumed {
		d += " resumed"
	}
	if st.Run.Plan.Full {
		d += " with a full check"
	}
	if st.JobID != 0 {
		return d + fmt.Sprintf(" (job %d)", st.JobID)
	}
	return d + " (in process)"
}

// queue queues st's run for the workers. A new run whose job cannot be
// queued is failed with the reason, so that it does not block the export.
func (s *Runs) queue(ctx context.Context, st Started, resume bool) (int64, error) {
	if s.cfg.Queue == nil {
		return 0, errors.New("service: runs: no job queue configured")
	}
	job, err := s.cfg.Queue(ctx, st.Run.ID, resume)
	if err == nil {
		return job, nil
	}
	if !st.Resumed {
		r := st.Run
		r.Status, r.Step, r.Message, r.FinishedAt = run.StatusFailed, run.StepDone, "could not queue the run: "+err.Error(), s.now()
		err = errors.Join(err, s.st.SaveRun(context.WithoutCancel(ctx), r))
	}
	return 0, fmt.Errorf("queue run %d of export %q: %w", st.Run.ID, st.Export.Name, err)
}

// activeRun returns the export's run in progress, if any.
func (s *Runs) activeRun(ctx context.Context, exportID int64) (run.Run, bool, error) {
	runs, err := s.st.ListRuns(ctx, exportID, 5)
	if err != nil {
		return run.Run{}, false, err
	}
	for _, r := range runs {
		if !r.Status.Final() {
			return r, true, nil
		}
	}
	return run.Run{}, false, nil
}

// Cancel asks the run in progress of the export nameOrID names to stop at
// its next checkpoint (nothing Omnisend confirmed is lost).
func (s *Runs) Cancel(ctx context.Context, p user.Principal, nameOrID string) (run.Run, error) {
	e, err := s.exports.writable(ctx, p, RunCancel, nameOrID)
	if err != nil {
		return run.Run{}, err
	}
	cur, active, err := s.activeRun(ctx, e.ID)
	if err != nil {
		return cur, err
	}
	if !active {
		return cur, Conflict("export %q has no run in progress", e.Name)
	}
	if cur.Status == run.StatusHeld {
		return cur, Conflict("export %q has no run in progress: run %d is held by the removal brake; discard its untags instead", e.Name, cur.ID)
	}
	return s.cancel(ctx, p, e, cur)
}

// CancelRun asks run id to stop at its next checkpoint. A run of an
// export p may not see is not found.
func (s *Runs) CancelRun(ctx context.Context, p user.Principal, id int64) (run.Run, export.Export, error) {
	r, e, err := s.runOf(ctx, p, RunCancel, id)
	if err != nil {
		return r, e, err
	}
	if r.Status == run.StatusHeld {
		return r, e, Conflict("run %d is held by the removal brake, not in progress: discard its untags instead", r.ID)
	}
	if r.Status.Final() {
		return r, e, Conflict("run %d already ended (%s)", r.ID, r.Status)
	}
	r, err = s.cancel(ctx, p, e, r)
	return r, e, err
}

// runOf finds run id and its export, checking that p may see the export
// and perform a on it. A run of an export p may not see is not found.
func (s *Runs) runOf(ctx context.Context, p user.Principal, a Action, id int64) (run.Run, export.Export, error) {
	if err := allow(p, a, Subject{}); err != nil {
		return run.Run{}, export.Export{}, err
	}
	r, err := s.st.GetRun(ctx, id)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return r, export.Export{}, err
	}
	var e export.Export
	if err == nil {
		e, err = s.exports.Get(ctx, p, strconv.FormatInt(r.ExportID, 10))
	}
	if _, ok := AsError(err); ok || errors.Is(err, store.ErrNotFound) || err == nil && e.ID != r.ExportID {
		return r, e, NotFound("no run %d of an export you may see", id)
	}
	if err != nil {
		return r, e, err
	}
	return r, e, s.exports.allowOn(ctx, p, a, e)
}

func (s *Runs) cancel(ctx context.Context, p user.Principal, e export.Export, r run.Run) (run.Run, error) {
	err := s.st.RequestCancel(ctx, r.ID)
	if errors.Is(err, store.ErrNotFound) {
		return r, Conflict("run %d already ended", r.ID).because(err)
	}
	if err != nil {
		return r, fmt.Errorf("cancel run %d: %w", r.ID, err)
	}
	s.record(ctx, p, RunCancel, e.Name, fmt.Sprintf("run %d", r.ID))
	if cur, err := s.st.GetRun(ctx, r.ID); err == nil {
		r = cur
	}
	return r, nil
}

// VerifyOptions tune Runs.Verify.
type VerifyOptions struct {
	// Repair marks the drifted contacts in the export's state, so that
	// its next run repairs them; otherwise the verify only reports.
	Repair bool
	// OnEstimate, when set, gets the request cost before anything is
	// asked of Omnisend; an error from it stops the verify.
	OnEstimate func(readback.Estimate) error
	// EstimateOnly stops after the estimate.
	EstimateOnly bool
}

// VerifyResult is what verifying an export found and did.
type VerifyResult struct {
	Export string `json:"export"`
	readback.Report
	// Statuses is what writing Omnisend's unsubscribes back onto the
	// profiles did.
	Statuses readback.WriteResult `json:"unsubscribes"`
}

// Verify reads the contacts carrying the export's tags back from Omnisend
// and compares them with its confirmed state (Config.Verify does the
// reading); the unsubscribes it reads are written onto the profiles, and
// with Repair the drifted contacts are marked for the next run. An export
// with a run in progress is a conflict. Only an estimate is not audited.
func (s *Runs) Verify(ctx context.Context, p user.Principal, nameOrID string, opt VerifyOptions) (VerifyResult, error) {
	e, err := s.exports.writable(ctx, p, ExportVerify, nameOrID)
	if err != nil {
		return VerifyResult{}, err
	}
	if e.Detached() {
		return VerifyResult{}, Conflict("export %q cannot be verified: %s; attach it to a connection first", e.Name, e.DetachedText())
	}
	if cur, active, err := s.activeRun(ctx, e.ID); err != nil {
		return VerifyResult{}, err
	} else if active && cur.Status == run.StatusHeld {
		return VerifyResult{}, Conflict("export %q has run %d held by its removal brake; approve or discard its untags first, then verify", e.Name, cur.ID).because(&run.HeldError{RunID: cur.ID})
	} else if active {
		return VerifyResult{}, Conflict("export %q has run %d in progress; verify it when the run has ended", e.Name, cur.ID).because(run.ErrActiveRun)
	}
	if s.cfg.Verify == nil {
		return VerifyResult{}, errors.New("service: runs: no verifier configured")
	}
	res, err := s.cfg.Verify(ctx, e.Name, opt)
	if errors.Is(err, run.ErrActiveRun) {
		return res, Conflict("export %q has a run in progress; verify it when the run has ended", e.Name).because(err)
	}
	if err != nil {
		return res, err
	}
	switch {
	case opt.EstimateOnly:
	case opt.Repair:
		s.record(ctx, p, ExportVerify, e.Name, fmt.Sprintf("%d findings marked for repair", res.Repaired))
	default:
		s.record(ctx, p, ExportVerify, e.Name, fmt.Sprintf("report only: %d findings", len(res.Findings)))
	}
	return res, nil
}

// MayRun says whether p may run an export that sends to a connection
// only admins may use (adminOnly) or to one contributors may use too: a
// run that works checks it again at every batch for the user who started
// it, so that taking their access away stops it.
func MayRun(p user.Principal, adminOnly bool, connectionName string) error {
	var s Subject
	if adminOnly {
		s.AdminOnly = []string{connectionName}
	}
	return allow(p, RunStart, s)
}
