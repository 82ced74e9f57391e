package service

import (
	"context"
	"errors"
	"fmt"

	"segbridge/internal/export"
	"segbridge/internal/user"
)

// System queues the system refresh (every segment re-evaluated, then the
// exports that follow it run) and would change its schedule.
type System struct{ *core }

// RefreshNow queues a system refresh now, as the schedule would; a
// worker (in this process or another) works it. It returns the queued
// job's id.
func (s *System) RefreshNow(ctx context.Context, p user.Principal) (int64, error) {
	if err := allow(p, SystemRefresh, Subject{}); err != nil {
		return 0, err
	}
	if s.cfg.Jobs == nil {
		return 0, Unavailable("the job queue is not open in this process")
	}
	job, err := s.cfg.Jobs.EnqueueRefresh(ctx)
	if err != nil {
		return 0, Unavailable("the system refresh could not be queued; try again").because(err)
	}
	s.record(ctx, p, SystemRefresh, "system refresh", fmt.Sprintf("queued (job %d)", job.ID))
	return job.ID, nil
}

// SetSchedule checks a new schedule for the system refresh (a 5-field
// cron expression in a time zone, default UTC). Storing it is not
// supported yet: the schedule is process configuration (serve and worker
// --refresh-schedule and --time-zone), which every process must be
// restarted with, so a valid schedule is refused as unsupported with the
// flags to use, and nothing is recorded.
func (s *System) SetSchedule(ctx context.Context, p user.Principal, cron, timeZone string) (export.Schedule, error) {
	if err := allow(p, SystemSchedule, Subject{}); err != nil {
		return export.Schedule{}, err
	}
	sc := export.Schedule{Kind: export.ScheduleCron, Cron: cron, TimeZone: timeZone}.WithDefaults()
	if err := sc.Validate(); err != nil {
		var fe *export.FieldError
		if errors.As(err, &fe) {
			field := "schedule"
			if fe.Field == "schedule.time_zone" {
				field = "time_zone"
			}
			return sc, Invalid(field, "%s", fe.Msg).because(err)
		}
		return sc, err
	}
	return sc, Unsupported("the refresh schedule is process configuration for now: "+
		"restart segbridge serve (and every segbridge worker) with --refresh-schedule %q --time-zone %s", sc.Cron, sc.TimeZone)
}
