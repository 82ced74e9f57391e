package run

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The removal brake. Once the plan's counts are known, the run's figures
// are checked against the export's thresholds (Target.Brake): a run that
// would untag too large a share of the export's contacts, skips too many
// of its members, or whose members fell too far against the export's last
// successful run still sends its adds and updates (and tag ops), but
// stops before its untag step with status held and a message naming the
// thresholds and the figures. Someone allowed to run the export then
// approves the untags (Approve: the same run continues at its untag step,
// worked by a job like any run) or discards them (Discard: they are
// skipped, the contacts keep their tags, the run ends). While a run of an
// export is held, the export starts no other run (Start gives a
// *HeldError), so a new plan cannot carry the held untags over unapproved.

// Brake is a run's thresholds; percentages of BrakeOff turn theirs off.
// (Its fields are those of export.Brake, which converts to it.)
type Brake struct {
	// UntagPercent and UntagMin: hold when the untags are more than
	// UntagPercent % of the export's contacts and more than UntagMin.
	UntagPercent int `json:"untag_percent"`
	UntagMin     int `json:"untag_min"`
	// SkipPercent: hold when more than SkipPercent % of the members are
	// skipped.
	SkipPercent int `json:"skip_percent"`
	// DropPercent: hold when the members fell by more than DropPercent %
	// against the export's last successful run.
	DropPercent int `json:"drop_percent"`
}

// BrakeOff is the percentage that turns a threshold off.
const BrakeOff = 100

// Decision is what was decided about a held run's untags.
type Decision string

// Decisions.
const (
	DecisionApproved  Decision = "approved"
	DecisionDiscarded Decision = "discarded"
)

// ReasonDiscarded marks the untags of a held run that were discarded.
const ReasonDiscarded = "discarded"

// Hold is what the removal brake decided for a run.
type Hold struct {
	// Reason names the thresholds the plan crossed, with the figures (""
	// when the brake let the run through).
	Reason string
	// Decision, By and At say who decided what, and when ("" until then).
	Decision Decision
	By       string
	At       time.Time
}

// Waiting reports whether the run's untags wait for a decision.
func (h Hold) Waiting() bool { return h.Reason != "" && h.Decision == "" }

// ErrNotHeld is returned (wrapped) by a decision on a run that is not held.
var ErrNotHeld = errors.New("the run is not held")

// HeldError says that an export cannot start a run while one is held.
type HeldError struct{ RunID int64 }

func (e *HeldError) Error() string {
	return fmt.Sprintf("run %d of the export is held by its removal brake: approve or discard its untags first", e.RunID)
}

// brakeFigures are the plan's counts the brake looks at.
type brakeFigures struct {
	members, skipped, untags, state int
}

func (p *planner) figures() brakeFigures {
	return brakeFigures{members: p.members, skipped: p.skipped, untags: p.untags, state: p.state}
}

// brake checks the plan's figures against t.Brake and records on r the
// thresholds crossed (none: the run goes on as usual). A run with nothing
// to untag is not held: its message notes what the brake found.
func (e *Executor) brake(ctx context.Context, r *Run, t Target, f brakeFigures) error {
	r.Hold = Hold{}
	last, err := e.lastSucceeded(ctx, *r)
	if err != nil {
		return fmt.Errorf("removal brake: %w", err)
	}
	crossed := t.Brake.crossed(f, last)
	if len(crossed) == 0 {
		return nil
	}
	if f.untags == 0 {
		// Nothing to hold: the run goes on, and says what it found.
		r.Message = "removal brake: " + strings.Join(crossed, "; ") + "; nothing to untag, so nothing was held"
		return nil
	}
	r.Hold.Reason = "held: " + strings.Join(crossed, "; ")
	e.cfg.Logger.Info("run: the removal brake holds the untags", "run", r.ID, "reason", r.Hold.Reason)
	return nil
}

// brakeLookback is how many of the export's latest runs the brake looks
// through for the last successful one.
const brakeLookback = 50

// lastSucceeded returns the export's latest successful run before r (zero
// when there is none).
func (e *Executor) lastSucceeded(ctx context.Context, r Run) (Run, error) {
	runs, err := e.cfg.Store.ListRuns(ctx, r.ExportID, brakeLookback)
	if err != nil {
		return Run{}, err
	}
	for _, old := range runs {
		if old.ID < r.ID && old.Status == StatusSucceeded {
			return old, nil
		}
	}
	return Run{}, nil
}

// weighsUntags says whether untags could cross the untag threshold,
// which depends on the size of the export's state: more than the
// threshold's minimum, with the threshold on.
func (b Brake) weighsUntags(untags int) bool {
	return b.UntagPercent < BrakeOff && untags > b.UntagMin
}

// untagsCrossBelow is the size of the export's state from which untags
// no longer cross the untag threshold (0 when every size crosses): a
// count of the state may stop there.
func (b Brake) untagsCrossBelow(untags int) int {
	if b.UntagPercent <= 0 {
		return 0
	}
	return int((int64(untags)*100 + int64(b.UntagPercent) - 1) / int64(b.UntagPercent))
}

// crossed describes each threshold f crosses ("would untag 3,012 of
// 10,040 confirmed contacts (30 %, threshold 10 % and 100)").
func (b Brake) crossed(f brakeFigures, last Run) []string {
	var out []string
	if b.weighsUntags(f.untags) && over(f.untags, f.state, b.UntagPercent) {
		out = append(out, fmt.Sprintf("would untag %s of %s confirmed contacts (%s, threshold %d %% and %s)",
			count(f.untags), count(f.state), percent(f.untags, f.state), b.UntagPercent, count(b.UntagMin)))
	}
	if b.SkipPercent < BrakeOff && f.members > 0 && over(f.skipped, f.members, b.SkipPercent) {
		out = append(out, fmt.Sprintf("%s of %s members skipped (%s, threshold %d %%)",
			count(f.skipped), count(f.members), percent(f.skipped, f.members), b.SkipPercent))
	}
	if drop := last.Counts.Members - f.members; b.DropPercent < BrakeOff && last.ID != 0 && drop > 0 && over(drop, last.Counts.Members, b.DropPercent) {
		out = append(out, fmt.Sprintf("members fell from %s (run %d) to %s (%s fewer, threshold %d %%)",
			count(last.Counts.Members), last.ID, count(f.members), percent(drop, last.Counts.Members), b.DropPercent))
	}
	return out
}

// over reports whether n is more than pct % of of.
func over(n, of, pct int) bool {
	return of > 0 && int64(n)*100 > int64(pct)*int64(of) || of == 0 && n > 0
}

// percent shows n as a share of of: "30 %", "10.4 %".
func percent(n, of int) string {
	if of == 0 {
		return "100 %"
	}
	s := strconv.FormatFloat(float64(n)*100/float64(of), 'f', 1, 64)
	return strings.TrimSuffix(s, ".0") + " %"
}

// count writes n with thousands separators.
func count(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// hold stops a run at its untag step for a decision: its counts so far,
// status held, and a message saying what was held and what to do.
func (e *Executor) hold(ctx context.Context, r *Run) error {
	counts, err := e.cfg.Store.CountOps(ctx, r.ID)
	if err != nil {
		return err
	}
	r.Counts = withPlanCounts(counts, r.Counts)
	r.FinishedAt = e.cfg.Now() // until approved: DecideHold clears it
	r.Status, r.Message = StatusHeld, r.Hold.Reason+"; the adds and updates were sent, the untags wait: approve the run to send them, or discard them"
	return nil
}

// Decider is what Approve and Discard need of a Store.
type Decider interface {
	GetRun(ctx context.Context, id int64) (Run, error)
	DecideHold(ctx context.Context, runID int64, d Decision, by, message string, now time.Time) error
	AbandonOps(ctx context.Context, runID int64, reason, message string) (int, error)
	CountOps(ctx context.Context, runID int64) (Counts, error)
	FinishRun(ctx context.Context, r Run) error
}

// Approve approves the held untags of run id: the run is queued again at
// its untag step (the caller queues its job). A run that is not held
// (or whose untags were discarded) gives ErrNotHeld, wrapped.
func Approve(ctx context.Context, st Decider, id int64, by string, now time.Time) (Run, error) {
	r, err := st.GetRun(ctx, id)
	if err != nil {
		return r, err
	}
	msg := fmt.Sprintf("untags approved by %s (%s)", by, r.Hold.Reason)
	if err := st.DecideHold(ctx, id, DecisionApproved, by, msg, now); err != nil {
		return r, err
	}
	return st.GetRun(ctx, id)
}

// Discard discards the held untags of run id: they are marked skipped
// (ReasonDiscarded), the contacts keep their tags in Omnisend and in the
// export's state, and the run ends as succeeded with a message saying so.
// Discarding again after an interruption finishes the job.
func Discard(ctx context.Context, st Decider, id int64, by string, now time.Time) (Run, error) {
	r, err := st.GetRun(ctx, id)
	if err != nil {
		return r, err
	}
	if err := st.DecideHold(ctx, id, DecisionDiscarded, by, r.Message, now); err != nil {
		return r, err
	}
	if _, err := st.AbandonOps(ctx, id, ReasonDiscarded, "discarded by "+by+" (removal brake)"); err != nil {
		return r, err
	}
	if r, err = st.GetRun(ctx, id); err != nil {
		return r, err
	}
	counts, err := st.CountOps(ctx, id)
	if err != nil {
		return r, err
	}
	n := counts.Skipped[ReasonDiscarded] // also those an interrupted discard marked
	r.Counts = withPlanCounts(counts, r.Counts)
	r.Status, r.Step, r.FinishedAt = StatusSucceeded, StepDone, now
	r.Message = fmt.Sprintf("%s untags discarded by %s: those contacts keep their tags (%s)", count(n), by, r.Hold.Reason)
	if err := st.FinishRun(ctx, r); err != nil {
		return r, err
	}
	return r, nil
}
