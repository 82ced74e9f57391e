// Package run is the export run pipeline: plan (diff the export's segments
// against what Omnisend is known to hold), send batches, confirm their
// results, add tags through the tag endpoints (when the connection tags
// that way), untag leavers, finish (fold confirmed results into the export's
// state). Every step is checkpointed in the store, so a run that stops at
// any point — a crash, a kill, a deploy — resumes where it stopped without
// losing anything or sending more than the batch that was in flight.
package run

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Status is where a run is in its life.
type Status string

// Run statuses. Queued and Running are active; Held waits for someone to
// approve or discard the untags the removal brake held (see brake.go);
// the rest are final.
const (
	StatusQueued    Status = "queued"
	StatusRunning   Status = "running"
	StatusHeld      Status = "held"
	StatusSucceeded Status = "succeeded"
	StatusFailed    Status = "failed"
	StatusCancelled Status = "cancelled"
)

// Final reports whether a run in status s will not change any more.
func (s Status) Final() bool {
	return s == StatusSucceeded || s == StatusFailed || s == StatusCancelled
}

// Executable reports whether an executor works a run in status s (queued
// or running): a held run waits for a decision, a final one is done.
func (s Status) Executable() bool { return s == StatusQueued || s == StatusRunning }

// Step is a run's checkpoint: the step to do next.
type Step string

// Steps in order.
const (
	StepPlan    Step = "plan"
	StepSend    Step = "send"
	StepConfirm Step = "confirm"
	// StepTag adds tags through the tag endpoints (Target.TagEndpoints).
	StepTag    Step = "tag"
	StepUntag  Step = "untag"
	StepFinish Step = "finish"
	StepDone   Step = "done"
)

// Trigger says what started a run.
type Trigger string

// Triggers.
const (
	TriggerManual   Trigger = "manual"
	TriggerRefresh  Trigger = "refresh"
	TriggerSchedule Trigger = "schedule"
)

// Run is one execution of an export.
type Run struct {
	ID       int64
	ExportID int64
	Trigger  Trigger
	Status   Status
	Step     Step
	// Message explains a failure or cancellation.
	Message         string
	CancelRequested bool
	QueuedAt        time.Time
	StartedAt       time.Time // zero until started
	FinishedAt      time.Time // zero until final
	// Requests counts the Omnisend API requests the run made: each is
	// counted in the store before it is sent, so the count stays exact
	// across crashes, resumptions and rescues.
	Requests int
	Counts   Counts
	// LeaseOwner is the executor working the run and LeaseUntil when its
	// lease ends unless renewed ("" and zero when none holds it).
	LeaseOwner string
	LeaseUntil time.Time
	// Hold is what the removal brake decided for the run, and what was
	// decided about it.
	Hold Hold
	// Plan is how the run planned: in full or changes only, and why
	// (asked for with Full).
	Plan PlanInfo
	// StartedBy is the id of the signed-in user who started the run by
	// hand (0: the scheduler, a system refresh or the command line's local
	// operator). While it works, the run stops at its next batch once that
	// user may no longer run the export.
	StartedBy int64
}

// Stale reports whether r is running with no live executor: its process
// stopped without finishing it (killed, crashed, or its machine gone).
func (r Run) Stale(now time.Time) bool {
	return r.Status == StatusRunning && (r.LeaseOwner == "" || !r.LeaseUntil.After(now))
}

// Counts summarise a run's contacts.
type Counts struct {
	// Members is the number of profiles in the export's segments.
	Members   int `json:"members"`
	Added     int `json:"added"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	Untagged  int `json:"untagged"`
	// Kept counts leavers left tagged because the export keeps leavers.
	Kept int `json:"kept"`
	// Skipped and Failed count contacts by reason.
	Skipped map[string]int `json:"skipped,omitempty"`
	Failed  map[string]int `json:"failed,omitempty"`
	// SkippedUnchanged counts, by reason, the members of Skipped that a
	// changes-only plan skipped as the plans before it did, without reading
	// them (they have not changed since): their skip ops are those of the
	// runs that decided them, not this run's.
	SkippedUnchanged map[string]int `json:"skipped_unchanged,omitempty"`
	// Dropped counts the members sent (or unchanged) with something the
	// mapping could not send, by reason: a field whose value could not be
	// typed ("phone", "country", ...), or a consent status held back
	// ("consent", "consent_date", "consent_future_date": dated later than
	// the run). The plan counts them.
	Dropped map[string]int `json:"dropped,omitempty"`
	// StepMillis is the time spent in each step (milliseconds), summed over
	// resumptions; kept with the counts.
	StepMillis map[Step]int64 `json:"step_ms,omitempty"`
}

// SkippedTotal and FailedTotal add up the reasons.
func (c Counts) SkippedTotal() int { return sum(c.Skipped) }

// SkippedUnchangedTotal adds up SkippedUnchanged.
func (c Counts) SkippedUnchangedTotal() int { return sum(c.SkippedUnchanged) }

// withUnchangedSkips adds the members skipped as before without an op
// (SkippedUnchanged) to counts made from ops.
func (c Counts) withUnchangedSkips(m map[string]int) Counts {
	if len(m) == 0 {
		return c
	}
	c.SkippedUnchanged = m
	for reason, n := range m {
		c.Skipped = addReason(c.Skipped, reason, n)
	}
	return c
}

// FailedTotal adds up the failure reasons.
func (c Counts) FailedTotal() int { return sum(c.Failed) }

// ReasonsText lists counts by reason in name order, zeros left out
// ("invalid_email 2, missing_email 5").
func ReasonsText(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k, n := range m {
		if n != 0 {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// ErrActiveRun is returned (wrapped) when an export already has an active run.
var ErrActiveRun = errors.New("the export already has a run in progress")

// OpGroup is a count of ops sharing kind, status, reason and newness.
type OpGroup struct {
	Kind   OpKind
	Status OpStatus
	Reason string
	New    bool
	N      int
}

// AddGroup counts a group of ops into c.
func (c *Counts) AddGroup(g OpGroup) {
	switch {
	case g.Status == OpSkipped:
		c.Skipped = addReason(c.Skipped, g.Reason, g.N)
	case g.Status == OpFailed:
		c.Failed = addReason(c.Failed, g.Reason, g.N)
	case g.Status != OpOK:
	case g.Kind == OpUpsert && g.New:
		c.Added += g.N
	case g.Kind == OpUpsert:
		c.Updated += g.N
	case g.Kind == OpUntag:
		c.Untagged += g.N
	}
}

func addReason(m map[string]int, reason string, n int) map[string]int {
	if m == nil {
		m = map[string]int{}
	}
	m[reason] += n
	return m
}
