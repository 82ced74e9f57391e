package store

import (
	"context"
	"encoding/json"
	"time"

	"segbridge/internal/run"
)

// Refresh statuses.
const (
	RefreshRunning   = "running"
	RefreshSucceeded = "succeeded"
	RefreshFailed    = "failed"
	// RefreshHeld: a source returned no rows or fewer than half of last
	// time's; nothing was removed and no export ran. An admin releases
	// the refresh (the rows are removed and it goes on) or discards it.
	RefreshHeld = "held"
	// RefreshDiscarded: a held refresh an admin discarded.
	RefreshDiscarded = "discarded"
)

// SystemRefresh is one system refresh: every source read, their rows
// unified into profiles, every segment re-evaluated, then a run queued for
// every active export that runs after each refresh.
type SystemRefresh struct {
	ID         int64
	StartedAt  time.Time
	FinishedAt time.Time // zero while running
	// Status is one of the Refresh statuses.
	Status string
	// Message explains a failure or a hold (or lists what was skipped).
	Message string
	// Segments and Runs count the segments refreshed and the runs queued.
	Segments int
	Runs     int
	// Steps are the refresh's steps in order, with counts, timings and
	// errors.
	Steps []RefreshStep
	// Held are the sources whose removals wait for an admin.
	Held []HeldSource
	// RunIDs are the runs this refresh queued (not stored).
	RunIDs []int64
}

// RefreshStep is one step of a refresh ("sources", "source NAME",
// "unify", "segments", "exports").
type RefreshStep struct {
	Name       string         `json:"name"`
	StartedAt  time.Time      `json:"started_at"`
	FinishedAt time.Time      `json:"finished_at"`
	Counts     map[string]int `json:"counts,omitempty"`
	Error      string         `json:"error,omitempty"`
	Note       string         `json:"note,omitempty"`
}

// CountsText lists the step's counts in name order, zeros left out
// ("rows 20000, sources 2").
func (s RefreshStep) CountsText() string { return run.ReasonsText(s.Counts) }

// HeldSource is a source whose rows not seen by read Gen wait to be
// removed.
type HeldSource struct {
	SourceID int64  `json:"source_id"`
	Name     string `json:"name"`
	Gen      int64  `json:"gen"`
	Rows     int    `json:"rows"`
	LastRows int    `json:"last_rows"`
}

// EncodeSteps is the stored form of a refresh's steps and held sources.
func EncodeSteps(r SystemRefresh) (steps, held string) {
	s, _ := json.Marshal(nonNil(r.Steps))
	h, _ := json.Marshal(nonNil(r.Held))
	return string(s), string(h)
}

// DecodeSteps reads EncodeSteps's form into r.
func DecodeSteps(r *SystemRefresh, steps, held string) error {
	if err := json.Unmarshal([]byte(steps), &r.Steps); err != nil {
		return err
	}
	if err := json.Unmarshal([]byte(held), &r.Held); err != nil {
		return err
	}
	if len(r.Steps) == 0 {
		r.Steps = nil
	}
	if len(r.Held) == 0 {
		r.Held = nil
	}
	return nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// Refreshes records the system refreshes for display.
type Refreshes interface {
	// StartRefresh records a refresh that starts at now and returns its id.
	StartRefresh(ctx context.Context, now time.Time) (int64, error)
	// FinishRefresh stores r's end: finished time, status, message,
	// counts, steps and held sources.
	FinishRefresh(ctx context.Context, r SystemRefresh) error
	// ListRefreshes returns the latest refreshes, newest first (limit 0: 20).
	ListRefreshes(ctx context.Context, limit int) ([]SystemRefresh, error)
	// GetRefresh returns refresh id.
	GetRefresh(ctx context.Context, id int64) (SystemRefresh, error)
	RefreshSchedules
}
