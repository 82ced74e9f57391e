package export

import (
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// ScheduleKind says when an export runs by itself.
type ScheduleKind string

const (
	// ScheduleRefresh runs the export after every scheduled system refresh
	// (segments are re-evaluated first). The default.
	ScheduleRefresh ScheduleKind = "refresh"
	// ScheduleCron runs it on its own cron schedule in its own time zone.
	ScheduleCron ScheduleKind = "cron"
	// ScheduleManual runs it only on demand.
	ScheduleManual ScheduleKind = "manual"
)

// DefaultTimeZone is the time zone of a cron schedule that names none.
const DefaultTimeZone = "UTC"

// Schedule is when an export runs by itself. Cron and TimeZone are set only
// for ScheduleCron.
type Schedule struct {
	Kind ScheduleKind `json:"kind"`
	// Cron is a standard 5-field expression (minute hour day-of-month month
	// day-of-week) or a descriptor such as @daily.
	Cron string `json:"cron,omitempty"`
	// TimeZone is an IANA name such as Europe/Prague.
	TimeZone string `json:"time_zone,omitempty"`
}

// cronParser is robfig/cron's standard 5-field parser with descriptors
// (@daily, @hourly, ...).
func cronParser() cron.Parser {
	return cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)
}

// ParseSchedule reads the CLI form: "refresh", "manual" or "cron:EXPR"
// (timeZone applies to cron only; "" means UTC).
func ParseSchedule(s, timeZone string) (Schedule, error) {
	s = strings.TrimSpace(s)
	if expr, ok := strings.CutPrefix(s, "cron:"); ok {
		sc := Schedule{Kind: ScheduleCron, Cron: strings.TrimSpace(expr), TimeZone: timeZone}.WithDefaults()
		return sc, sc.Validate()
	}
	sc := Schedule{Kind: ScheduleKind(s), TimeZone: timeZone}
	if err := sc.Validate(); err != nil {
		return Schedule{}, err
	}
	return sc, nil
}

// WithDefaults returns s with an unset kind as refresh and an unset time
// zone of a cron schedule as UTC.
func (s Schedule) WithDefaults() Schedule {
	if s.Kind == "" {
		s.Kind = ScheduleRefresh
	}
	if s.Kind == ScheduleCron && s.TimeZone == "" {
		s.TimeZone = DefaultTimeZone
	}
	return s
}

// Validate checks the kind, and for cron the expression and time zone.
func (s Schedule) Validate() error {
	switch s.Kind {
	case ScheduleRefresh, ScheduleManual:
		if s.Cron != "" || s.TimeZone != "" {
			return &FieldError{Field: "schedule", Msg: fmt.Sprintf("a %s schedule takes no cron expression or time zone", s.Kind)}
		}
		return nil
	case ScheduleCron:
		_, err := s.parse()
		return err
	}
	return &FieldError{Field: "schedule", Msg: fmt.Sprintf("%q: want refresh (the default), manual or cron:EXPR", s.Kind)}
}

// parse compiles a cron schedule in its time zone.
func (s Schedule) parse() (cron.Schedule, error) {
	expr := strings.TrimSpace(s.Cron)
	switch {
	case expr == "":
		return nil, &FieldError{Field: "schedule.cron", Msg: "empty cron expression"}
	case strings.HasPrefix(expr, "TZ=") || strings.HasPrefix(expr, "CRON_TZ="):
		return nil, &FieldError{Field: "schedule.cron", Msg: "give the time zone separately (--time-zone), not in the expression"}
	case strings.HasPrefix(expr, "@every"):
		return nil, &FieldError{Field: "schedule.cron", Msg: "@every is not a cron schedule; use a 5-field expression such as 0 * * * *"}
	}
	if s.TimeZone == "" {
		return nil, &FieldError{Field: "schedule.time_zone", Msg: "required for a cron schedule"}
	}
	loc, err := time.LoadLocation(s.TimeZone)
	if err != nil || strings.EqualFold(s.TimeZone, "local") {
		return nil, &FieldError{Field: "schedule.time_zone", Msg: fmt.Sprintf("unknown time zone %q (want an IANA name such as Europe/Prague)", s.TimeZone)}
	}
	sched, err := cronParser().Parse(expr)
	if err != nil {
		return nil, &FieldError{Field: "schedule.cron", Msg: fmt.Sprintf("%q: %v", expr, err)}
	}
	spec, ok := sched.(*cron.SpecSchedule)
	if !ok {
		return nil, &FieldError{Field: "schedule.cron", Msg: fmt.Sprintf("%q is not a cron schedule", expr)}
	}
	spec.Location = loc
	return spec, nil
}

// NextRun returns the first time after `after` at which a cron schedule
// fires, in the schedule's time zone. It is zero for refresh and manual
// schedules, for an invalid schedule, and when the expression never fires
// (such as 0 0 30 2 *).
func (s Schedule) NextRun(after time.Time) time.Time {
	if s.Kind != ScheduleCron {
		return time.Time{}
	}
	sched, err := s.parse()
	if err != nil {
		return time.Time{}
	}
	next := sched.Next(after)
	if next.IsZero() {
		return next
	}
	return next.In(sched.(*cron.SpecSchedule).Location)
}

// String describes the schedule for people.
func (s Schedule) String() string {
	switch s.Kind {
	case ScheduleCron:
		return fmt.Sprintf("cron %s (%s)", s.Cron, s.TimeZone)
	case ScheduleManual:
		return "manual"
	}
	return "after each refresh"
}
