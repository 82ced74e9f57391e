package run

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"segbridge/internal/omnisend"
	"segbridge/internal/profile"
)

// Target is what a run needs of its export, resolved when the run starts
// or resumes: who the members are, how each becomes a contact, and the
// client of the export's Omnisend connection.
type Target struct {
	// Members streams the export's members (segments already refreshed)
	// with the tags of the export's segments each belongs to, by profile id.
	Members func(ctx context.Context, fn func(p profile.Profile, tags []string) error) error
	// Map turns a member into its desired contact, or gives a skip reason.
	Map func(p profile.Profile, tags []string) (Desired, string)
	// TagEndpoints tags through the tag endpoints instead of the upsert
	// (the connection's tagging "endpoints"): Map leaves the tags out of the
	// contact it sends (Desired.Hash still covers them), and the tags a
	// contact must gain are added with POST /contacts/tags once the batch
	// carrying its upsert is confirmed — BaseTags and all its segment tags
	// when it is new to the export or unsure, the segment tags it gained
	// otherwise. Tags the merchant or other integrations set survive even
	// where Omnisend's upsert replaces a contact's tags.
	TagEndpoints bool
	// BaseTags are the tags every exported contact carries besides its
	// segment tags (the source tag), added with TagEndpoints.
	BaseTags []string
	// KeepLeavers leaves members who left every segment tagged.
	KeepLeavers bool
	// Brake holds the run's untags past its thresholds (see brake.go).
	Brake Brake
	// Cap fails the plan when the export has more members.
	Cap    int
	Client *omnisend.Client
	// Check, if set, is asked between batches and steps whether the run
	// may go on; its error stops the run with its message (the export's
	// connection was removed meanwhile). What was confirmed is kept.
	Check func(ctx context.Context) error
	// Signature sums up everything that decides the contacts sent besides
	// the profiles and their membership (mapping, tags, segments, consent
	// policy, tagging): a plan made with another signature gives a full
	// plan (see incremental.go).
	Signature string
	// Changes, if set, lets a run plan changes only.
	Changes Changes
	// Refreshed is when the run's segments were refreshed (the time the
	// refresh recorded their joins and leaves at; zero: not refreshed).
	Refreshed time.Time

	progress *tracker // set by Execute
}

// Resolver resolves an export's Target. Its errors fail the run with their
// message (a removed connection, a revoked key, a deleted segment).
type Resolver interface {
	Resolve(ctx context.Context, r Run) (Target, error)
}

// Config configures an Executor.
type Config struct {
	Store    Store
	Resolver Resolver
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Logger (default: discard).
	Logger *slog.Logger
	// PollInterval is the wait between rounds of batch status checks
	// (default 2 s). Every check costs rate budget.
	PollInterval time.Duration
	// PlanChunk is how many members are mapped and written at a time
	// (default 1000).
	PlanChunk int
	// OnEnd, if set, is called with every run that reaches a final status
	// (succeeded, failed or cancelled) or is held by the removal brake,
	// after it is saved.
	OnEnd func(Run)
	// Lease is how long an executor's hold on a run lasts unless renewed
	// (it renews every third of it): a run whose process was killed can
	// be taken over that long after (default DefaultLease, 30 s).
	Lease time.Duration
	// Owner names this executor in leases (default NewOwner()).
	Owner string
}

// WithDefaults fills unset fields.
func (c Config) WithDefaults() Config {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.PollInterval <= 0 {
		c.PollInterval = 2 * time.Second
	}
	if c.PlanChunk <= 0 {
		c.PlanChunk = 1000
	}
	if c.Lease <= 0 {
		c.Lease = DefaultLease
	}
	if c.Owner == "" {
		c.Owner = NewOwner()
	}
	return c
}

// Validate reports a missing dependency.
func (c Config) Validate() error {
	switch {
	case c.Store == nil:
		return errors.New("run: Config.Store is required")
	case c.Resolver == nil:
		return errors.New("run: Config.Resolver is required")
	}
	return nil
}

// Executor executes runs step by step.
type Executor struct {
	cfg Config
}

// NewExecutor checks cfg and returns an Executor.
func NewExecutor(cfg Config) (*Executor, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Executor{cfg: cfg}, nil
}

// errCancelled stops a run whose cancellation was requested.
var errCancelled = errors.New("cancelled on request")

// Execute runs (or resumes) run id until it is final, or until ctx ends,
// which leaves it resumable where it stopped. One executor works a run at
// a time: Execute takes the run's lease first, and a live lease of
// another executor gives a *LeaseError without touching the run.
func (e *Executor) Execute(ctx context.Context, id int64) (Run, error) {
	st := e.cfg.Store
	r, err := st.GetRun(ctx, id)
	if err != nil || !r.Status.Executable() {
		return r, err // final, or held for a decision
	}
	owner := e.cfg.Owner
	if err := st.AcquireLease(ctx, id, owner, e.cfg.Now(), e.cfg.Lease); err != nil {
		return r, err
	}
	defer func() { _ = st.ReleaseLease(context.WithoutCancel(ctx), id, owner) }()
	if r, err = st.GetRun(ctx, id); err != nil || !r.Status.Executable() {
		return r, err // it ended (or was held) between the first look and the lease
	}
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	ctx = omnisend.WithAttemptHook(ctx, func(ctx context.Context) error {
		return st.AddRequests(context.WithoutCancel(ctx), id, 1)
	})
	r, err = e.execute(ctx, stop, r, owner)
	if cur, gerr := st.GetRun(context.WithoutCancel(ctx), id); gerr == nil {
		r.Requests = cur.Requests
	}
	if err != nil && errors.Is(context.Cause(ctx), ErrLeaseLost) {
		err = fmt.Errorf("run %d: %w", id, ErrLeaseLost)
	}
	return r, err
}

func (e *Executor) execute(ctx context.Context, stop context.CancelCauseFunc, r Run, owner string) (Run, error) {
	r.Status = StatusRunning
	if r.StartedAt.IsZero() {
		r.StartedAt = e.cfg.Now()
	}
	if err := e.cfg.Store.SaveRun(ctx, r); err != nil {
		return r, err
	}
	t, err := e.cfg.Resolver.Resolve(ctx, r)
	if err != nil {
		return e.end(ctx, r, err)
	}
	if t.progress, err = e.startTracking(ctx, r); err != nil {
		return e.end(ctx, r, err)
	}
	hbDone := make(chan struct{})
	hbCtx, hbStop := context.WithCancel(ctx)
	go func() { defer close(hbDone); e.heartbeat(hbCtx, stop, r.ID, owner, &t) }()
	defer func() {
		hbStop()
		<-hbDone
		// Whatever happened, the run no longer waits for Omnisend.
		t.progress.setWaiting(context.WithoutCancel(ctx), time.Time{}, "")
	}()
	for r.Step != StepDone && r.Status != StatusHeld {
		if err := e.checkCancel(ctx, &r, t); err != nil {
			return e.end(ctx, r, err)
		}
		started, step := e.cfg.Now(), r.Step
		err := e.step(ctx, &r, t)
		if r.Counts.StepMillis == nil {
			r.Counts.StepMillis = map[Step]int64{}
		}
		r.Counts.StepMillis[step] += e.cfg.Now().Sub(started).Milliseconds()
		if err != nil {
			return e.end(ctx, r, err)
		}
		if err := e.cfg.Store.SaveRun(ctx, r); err != nil {
			return r, err
		}
		if err := t.progress.save(ctx); err != nil {
			return r, err
		}
	}
	if r.Status == StatusHeld {
		e.cfg.Logger.Info("run held by the removal brake", "run", r.ID, "message", r.Message)
		e.ended(r)
	}
	return r, nil
}

func (e *Executor) step(ctx context.Context, r *Run, t Target) error {
	e.cfg.Logger.Debug("run step", "run", r.ID, "step", r.Step)
	switch r.Step {
	case StepPlan:
		return e.plan(ctx, r, t)
	case StepSend:
		return e.send(ctx, r, t)
	case StepConfirm:
		return e.confirm(ctx, r, t)
	case StepTag:
		return e.tag(ctx, r, t)
	case StepUntag:
		if r.Hold.Waiting() {
			return e.hold(ctx, r)
		}
		return e.untag(ctx, r, t)
	case StepFinish:
		return e.finish(ctx, r)
	}
	return fmt.Errorf("run %d: unknown step %q", r.ID, r.Step)
}

// checkCancel stops the run between batches and steps when its
// cancellation was requested or its target no longer holds (Target.Check:
// the export's connection was removed).
func (e *Executor) checkCancel(ctx context.Context, r *Run, t Target) error {
	cur, err := e.cfg.Store.GetRun(ctx, r.ID)
	if err != nil {
		return err
	}
	if cur.CancelRequested {
		return errCancelled
	}
	if t.Check != nil {
		return t.Check(ctx)
	}
	return nil
}

// end makes a run final after err, unless ctx ended: then the run stays
// running, to be resumed.
func (e *Executor) end(ctx context.Context, r Run, err error) (Run, error) {
	if ctx.Err() != nil {
		return r, fmt.Errorf("run %d stopped at step %s (resumable): %w", r.ID, r.Step, ctx.Err())
	}
	r.Status, r.Message = StatusFailed, err.Error()
	if errors.Is(err, errCancelled) {
		r.Status = StatusCancelled
	}
	r.FinishedAt = e.cfg.Now()
	if counts, cerr := e.cfg.Store.CountOps(ctx, r.ID); cerr == nil {
		r.Counts = withPlanCounts(counts, r.Counts)
	}
	if serr := e.cfg.Store.SaveRun(ctx, r); serr != nil {
		return r, errors.Join(err, serr)
	}
	e.cfg.Logger.Warn("run ended", "run", r.ID, "status", r.Status, "message", r.Message)
	e.ended(r)
	return r, nil
}

func (e *Executor) finish(ctx context.Context, r *Run) error {
	counts, err := e.cfg.Store.CountOps(ctx, r.ID)
	if err != nil {
		return err
	}
	r.Counts, r.Status, r.Step, r.FinishedAt = withPlanCounts(counts, r.Counts), StatusSucceeded, StepDone, e.cfg.Now()
	if err := e.cfg.Store.FinishRun(ctx, *r); err != nil {
		return err
	}
	c := r.Counts
	if c.Added+c.Updated+c.Untagged+c.FailedTotal() >= TidyAfter {
		started := e.cfg.Now()
		if err := e.cfg.Store.TidyState(ctx); err != nil {
			// Only the next plan's speed depends on it: autovacuum does
			// the same later.
			e.cfg.Logger.Warn("run: tidy the export state after a large run", "run", r.ID, "error", err)
		} else {
			e.cfg.Logger.Info("run: tidied the export state", "run", r.ID, "took", e.cfg.Now().Sub(started).Round(time.Millisecond))
		}
	}
	e.ended(*r)
	return nil
}

func (e *Executor) ended(r Run) {
	if e.cfg.OnEnd != nil {
		e.cfg.OnEnd(r)
	}
}

// withPlanCounts adds the counts only the plan knows (they are not ops) to
// counts taken from the ops.
func withPlanCounts(fromOps, plan Counts) Counts {
	fromOps.Members, fromOps.Unchanged, fromOps.Kept = plan.Members, plan.Unchanged, plan.Kept
	fromOps.StepMillis = plan.StepMillis
	fromOps.Dropped = plan.Dropped
	return fromOps.withUnchangedSkips(plan.SkippedUnchanged)
}
