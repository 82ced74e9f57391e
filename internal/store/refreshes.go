package store

import (
	"context"
	"time"
)

// Refresh statuses.
const (
	RefreshRunning   = "running"
	RefreshSucceeded = "succeeded"
	RefreshFailed    = "failed"
)

// SystemRefresh is one scheduled system refresh: every segment re-evaluated,
// then a run queued for every active export that runs after each refresh.
type SystemRefresh struct {
	ID         int64
	StartedAt  time.Time
	FinishedAt time.Time // zero while running
	// Status is RefreshRunning, RefreshSucceeded or RefreshFailed.
	Status string
	// Message explains a failure (or lists what was skipped).
	Message string
	// Segments and Runs count the segments refreshed and the runs queued.
	Segments int
	Runs     int
}

// Refreshes records the system refreshes for display.
type Refreshes interface {
	// StartRefresh records a refresh that starts at now and returns its id.
	StartRefresh(ctx context.Context, now time.Time) (int64, error)
	// FinishRefresh stores r's end: finished time, status, message, counts.
	FinishRefresh(ctx context.Context, r SystemRefresh) error
	// ListRefreshes returns the latest refreshes, newest first (limit 0: 20).
	ListRefreshes(ctx context.Context, limit int) ([]SystemRefresh, error)
}
