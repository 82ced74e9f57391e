package jobs

import (
	"time"

	"segbridge/internal/export"
)

// Schedule is a cron schedule in its time zone as a River periodic
// schedule.
type Schedule struct {
	s export.Schedule
}

// Next implements river.PeriodicSchedule.
func (s Schedule) Next(after time.Time) time.Time { return s.s.NextRun(after) }
