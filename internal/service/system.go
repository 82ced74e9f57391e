package service

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"segbridge/internal/audit"
	"segbridge/internal/export"
	"segbridge/internal/jobs"
	"segbridge/internal/store"
	"segbridge/internal/user"
)

// System queues the system refresh (every segment re-evaluated, then the
// exports that follow it run) and keeps its schedule.
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

// Schedule returns the system refresh's schedule in force: the stored
// one, or (until an admin stores one) this process's configured one
// (serve/worker --refresh-schedule and --time-zone, default "0 2 * * *"
// in UTC).
func (s *System) Schedule(ctx context.Context) (jobs.RefreshScheduleInForce, error) {
	configured := export.Schedule{Kind: export.ScheduleCron, Cron: jobs.DefaultRefreshSchedule, TimeZone: jobs.DefaultTimeZone}
	if s.cfg.Jobs != nil {
		configured = s.cfg.Jobs.ConfiguredRefreshSchedule()
	}
	return jobs.ScheduleInForce(ctx, s.st, configured)
}

// SetSchedule stores a new schedule for the system refresh: a 5-field
// cron expression in a time zone (an IANA name; default UTC). Every
// process reads it on its next cron check (each minute) and follows it
// from then on, without a restart; it wins over the processes'
// --refresh-schedule and --time-zone.
func (s *System) SetSchedule(ctx context.Context, p user.Principal, cron, timeZone string) (export.Schedule, error) {
	if err := allow(p, SystemSchedule, Subject{}); err != nil {
		return export.Schedule{}, err
	}
	cron, timeZone = strings.TrimSpace(cron), strings.TrimSpace(timeZone)
	sc := export.Schedule{Kind: export.ScheduleCron, Cron: cron, TimeZone: timeZone}.WithDefaults()
	var bad []FieldProblem
	// Each field is checked on its own, so both are named when both are wrong.
	switch {
	case len(sc.Cron) > 200:
		bad = append(bad, FieldProblem{Field: "schedule", Msg: "too long: a cron expression has 5 short fields, such as 0 2 * * *"})
	default:
		if err := (export.Schedule{Kind: export.ScheduleCron, Cron: sc.Cron, TimeZone: "UTC"}).Validate(); err != nil {
			bad = append(bad, FieldProblem{Field: "schedule", Msg: scheduleMsg(err)})
		}
	}
	switch {
	case len(sc.TimeZone) > 100:
		bad = append(bad, FieldProblem{Field: "time_zone", Msg: "too long: want an IANA name such as Europe/Prague"})
	default:
		if err := (export.Schedule{Kind: export.ScheduleCron, Cron: "0 2 * * *", TimeZone: sc.TimeZone}).Validate(); err != nil {
			bad = append(bad, FieldProblem{Field: "time_zone", Msg: scheduleMsg(err)})
		}
	}
	if len(bad) > 0 {
		return sc, InvalidFields(bad...)
	}
	if err := s.st.SetRefreshSchedule(ctx, store.RefreshSchedule{Cron: sc.Cron, TimeZone: sc.TimeZone,
		UpdatedAt: s.cfg.Now(), UpdatedBy: audit.Actor(p)}); err != nil {
		return sc, err
	}
	s.record(ctx, p, SystemSchedule, "system refresh schedule", fmt.Sprintf("%s in %s", sc.Cron, sc.TimeZone))
	return sc, nil
}

func scheduleMsg(err error) string {
	var fe *export.FieldError
	if errors.As(err, &fe) {
		return fe.Msg
	}
	return err.Error()
}
