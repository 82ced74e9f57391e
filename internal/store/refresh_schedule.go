package store

import (
	"context"
	"time"
)

// RefreshSchedule is the system refresh's schedule as an admin stored it.
// A zero Cron means none is stored: each process's configured schedule
// (serve/worker --refresh-schedule and --time-zone, or their defaults)
// applies until one is.
type RefreshSchedule struct {
	Cron      string
	TimeZone  string
	UpdatedAt time.Time // zero when none is stored
	UpdatedBy string
	// LastFiredAt is the latest firing of the schedule a process claimed
	// (ClaimRefreshFiring); zero before the first.
	LastFiredAt time.Time
}

// Stored reports whether an admin stored a schedule.
func (s RefreshSchedule) Stored() bool { return s.Cron != "" }

// RefreshSchedules stores the system refresh's schedule.
type RefreshSchedules interface {
	// GetRefreshSchedule returns the stored schedule (the zero value, no
	// error, when none is stored and none has fired).
	GetRefreshSchedule(ctx context.Context) (RefreshSchedule, error)
	// SetRefreshSchedule stores s's Cron, TimeZone, UpdatedAt and
	// UpdatedBy, keeping LastFiredAt.
	SetRefreshSchedule(ctx context.Context, s RefreshSchedule) error
	// ClaimRefreshFiring records that the firing at fire queues a refresh
	// and reports whether this call claimed it: false when a firing at or
	// after fire was claimed already (by this or another process).
	ClaimRefreshFiring(ctx context.Context, fire time.Time) (bool, error)
}
