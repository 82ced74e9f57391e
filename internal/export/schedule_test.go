package export

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseSchedule(t *testing.T) {
	t.Parallel()
	s, err := ParseSchedule("refresh", "")
	require.NoError(t, err)
	require.Equal(t, Schedule{Kind: ScheduleRefresh}, s)
	s, err = ParseSchedule("manual", "")
	require.NoError(t, err)
	require.Equal(t, "manual", s.String())
	s, err = ParseSchedule("cron:0 3 * * *", "Europe/Prague")
	require.NoError(t, err)
	require.Equal(t, Schedule{Kind: ScheduleCron, Cron: "0 3 * * *", TimeZone: "Europe/Prague"}, s)
	require.Equal(t, "cron 0 3 * * * (Europe/Prague)", s.String())
	s, err = ParseSchedule("cron:@daily", "")
	require.NoError(t, err)
	require.Equal(t, "UTC", s.TimeZone, "a cron schedule defaults to UTC")

	for in, field := range map[[2]string]string{
		{"hourly", ""}:                     "schedule",
		{"manual", "Europe/Prague"}:        "schedule",
		{"cron:", ""}:                      "schedule.cron",
		{"cron:0 3 * *", ""}:               "schedule.cron",
		{"cron:61 * * * *", ""}:            "schedule.cron",
		{"cron:0 0 3 * * *", ""}:           "schedule.cron",
		{"cron:@every 5m", ""}:             "schedule.cron",
		{"cron:TZ=UTC 0 3 * * *", ""}:      "schedule.cron",
		{"cron:0 3 * * *", "Mars/Olympus"}: "schedule.time_zone",
		{"cron:0 3 * * *", "Local"}:        "schedule.time_zone",
	} {
		_, err := ParseSchedule(in[0], in[1])
		var fe *FieldError
		require.ErrorAs(t, err, &fe, "%v", in)
		require.Equal(t, field, fe.Field, "%v: %v", in, err)
	}
}

func TestNextRun(t *testing.T) {
	t.Parallel()
	prague, err := time.LoadLocation("Europe/Prague")
	require.NoError(t, err)
	s := Schedule{Kind: ScheduleCron, Cron: "0 3 * * *", TimeZone: "Europe/Prague"}
	after := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	next := s.NextRun(after)
	require.True(t, next.Equal(time.Date(2026, 11, 29, 3, 0, 0, 0, prague)), "next: %v", next)
	require.True(t, next.Equal(time.Date(2026, 11, 29, 2, 0, 0, 0, time.UTC)), "03:00 CET is 02:00 UTC")

	summer := s.NextRun(time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC))
	require.True(t, summer.Equal(time.Date(2026, 7, 2, 1, 0, 0, 0, time.UTC)), "03:00 CEST is 01:00 UTC: %v", summer)

	weekly := Schedule{Kind: ScheduleCron, Cron: "30 6 * * 1", TimeZone: "UTC"}
	require.Equal(t, time.Monday, weekly.NextRun(after).Weekday())
	require.True(t, weekly.NextRun(after).After(after))

	require.True(t, Schedule{Kind: ScheduleRefresh}.NextRun(after).IsZero())
	require.True(t, Schedule{Kind: ScheduleManual}.NextRun(after).IsZero())
	require.True(t, Schedule{Kind: ScheduleCron, Cron: "bad", TimeZone: "UTC"}.NextRun(after).IsZero())
	require.True(t, Schedule{Kind: ScheduleCron, Cron: "0 0 30 2 *", TimeZone: "UTC"}.NextRun(after).IsZero(), "never fires")
}

func TestNextRunIsInTheScheduleTimeZone(t *testing.T) {
	t.Parallel()
	s := Schedule{Kind: ScheduleCron, Cron: "0 3 * * *", TimeZone: "Europe/Prague"}
	next := s.NextRun(time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC))
	require.Equal(t, "2026-11-29 03:00 CET", next.Format("2006-01-02 15:04 MST"))
}
