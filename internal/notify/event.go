package notify

import (
	"time"

	"segbridge/internal/run"
)

// ended reports whether a run in status s has ended: succeeded, failed,
// cancelled or held.
func ended(s run.Status) bool { return s.Final() || s == run.StatusHeld }

// EventKind is what happened.
type EventKind string

// Event kinds.
const (
	EventRunQueued  EventKind = "run_queued"
	EventRunStarted EventKind = "run_started"
	EventRunEnded   EventKind = "run_ended"
	// EventSourceFailed and EventSourceOK are a source's load failing and
	// succeeding (sources report them; see Service.SourceFailed).
	EventSourceFailed EventKind = "source_failed"
	EventSourceOK     EventKind = "source_ok"
)

// Event is one entry of the outbox: what happened, written when it
// happened and turned into notifications later by the Service's loop.
type Event struct {
	ID   int64
	Kind EventKind
	// Key makes adding an event idempotent: an event whose key is stored
	// already is not added again ("run:12:started").
	Key string
	// Run is the run as it was (run events); Source the source (source
	// events).
	Run    *RunInfo    `json:",omitempty"`
	Source *SourceInfo `json:",omitempty"`
	At     time.Time
}

// RunInfo is a run as notifications show it: the "run" of a payload.
type RunInfo struct {
	ID         int64      `json:"id"`
	ExportID   int64      `json:"export_id"`
	ExportName string     `json:"export_name,omitempty"`
	Trigger    string     `json:"trigger"`
	Status     string     `json:"status"`
	Message    string     `json:"message,omitempty"`
	QueuedAt   time.Time  `json:"queued_at"`
	StartedAt  *time.Time `json:"started_at,omitempty"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
	// DurationSeconds is from start to end (ended runs).
	DurationSeconds *float64  `json:"duration_seconds,omitempty"`
	Requests        int       `json:"requests"`
	Counts          RunCounts `json:"counts"`
	URL             string    `json:"url,omitempty"`
}

// RunCounts are a run's counts; Skipped and Failed are the totals, by
// reason in SkippedReasons and FailedReasons.
type RunCounts struct {
	Members        int            `json:"members"`
	Added          int            `json:"added"`
	Updated        int            `json:"updated"`
	Unchanged      int            `json:"unchanged"`
	Untagged       int            `json:"untagged"`
	Kept           int            `json:"kept"`
	Skipped        int            `json:"skipped"`
	Failed         int            `json:"failed"`
	SkippedReasons map[string]int `json:"skipped_reasons,omitempty"`
	FailedReasons  map[string]int `json:"failed_reasons,omitempty"`
}

// runInfo snapshots r.
func runInfo(r run.Run) *RunInfo {
	c := r.Counts
	ri := &RunInfo{
		ID: r.ID, ExportID: r.ExportID, Trigger: string(r.Trigger), Status: string(r.Status), Message: r.Message,
		QueuedAt: r.QueuedAt.UTC(), Requests: r.Requests,
		Counts: RunCounts{Members: c.Members, Added: c.Added, Updated: c.Updated, Unchanged: c.Unchanged,
			Untagged: c.Untagged, Kept: c.Kept, Skipped: c.SkippedTotal(), Failed: c.FailedTotal(),
			SkippedReasons: c.Skipped, FailedReasons: c.Failed},
	}
	if !r.StartedAt.IsZero() {
		t := r.StartedAt.UTC()
		ri.StartedAt = &t
	}
	if !r.FinishedAt.IsZero() {
		t := r.FinishedAt.UTC()
		ri.FinishedAt = &t
		if ri.StartedAt != nil {
			d := t.Sub(*ri.StartedAt).Seconds()
			ri.DurationSeconds = &d
		}
	}
	return ri
}

// duration is how long the run took (0 when it did not start and end).
func (ri *RunInfo) duration() time.Duration {
	if ri.DurationSeconds == nil {
		return 0
	}
	return time.Duration(*ri.DurationSeconds * float64(time.Second))
}

// SourceInfo is a source as notifications show it.
type SourceInfo struct {
	Name    string `json:"name"`
	Failed  bool   `json:"failed"`
	Message string `json:"message,omitempty"`
}

// Condition is a rule's state for one subject ("export:12",
// "source:crm").
type Condition struct {
	RuleID  int64
	Subject string
	Firing  bool
	// Since is when it last changed, by RunID's run (0: not a run).
	Since time.Time
	RunID int64
}
