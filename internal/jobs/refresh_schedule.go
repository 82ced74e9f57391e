package jobs

import (
	"context"
	"fmt"
	"time"

	"segbridge/internal/export"
	"segbridge/internal/store"
)

// RefreshScheduleInForce is the system refresh's schedule that the
// processes follow: the stored one (an admin set it) or, until one is
// stored, the process's configured one.
type RefreshScheduleInForce struct {
	Schedule export.Schedule
	// Stored reports whether it is the stored schedule; UpdatedAt and
	// UpdatedBy say when and by whom it was set.
	Stored    bool
	UpdatedAt time.Time
	UpdatedBy string
	// LastFiredAt is the schedule's latest firing that queued a refresh.
	LastFiredAt time.Time
}

// ConfiguredRefreshSchedule returns this process's configured schedule
// (--refresh-schedule and --time-zone, or their defaults): the default
// until an admin stores one.
func (c *Client) ConfiguredRefreshSchedule() export.Schedule {
	return c.refresh.s
}

// RefreshSchedule returns the schedule in force, read from the store.
func (c *Client) RefreshSchedule(ctx context.Context) (RefreshScheduleInForce, error) {
	return ScheduleInForce(ctx, c.cfg.Store, c.refresh.s)
}

// ScheduleInForce returns the stored schedule, or configured when none is
// stored.
func ScheduleInForce(ctx context.Context, st store.RefreshSchedules, configured export.Schedule) (RefreshScheduleInForce, error) {
	rs, err := st.GetRefreshSchedule(ctx)
	if err != nil {
		return RefreshScheduleInForce{Schedule: configured}, err
	}
	in := RefreshScheduleInForce{Schedule: configured, LastFiredAt: rs.LastFiredAt}
	if rs.Stored() {
		in.Schedule = export.Schedule{Kind: export.ScheduleCron, Cron: rs.Cron, TimeZone: rs.TimeZone}
		in.Stored, in.UpdatedAt, in.UpdatedBy = true, rs.UpdatedAt, rs.UpdatedBy
	}
	return in, nil
}

// CheckRefresh queues a system refresh when the schedule in force fired
// since its last firing that queued one (or since it was stored, or since
// this client opened, whichever is latest), and reports whether it
// queued one. The schedule is read from the store on every check, so a
// schedule an admin stores is followed by every process without a
// restart. Several firings between two checks queue one refresh, not one
// each; firings before this client opened are not made up (as River's
// periodic job did not); a firing claimed by another process queues
// nothing here.
func (c *Client) CheckRefresh(ctx context.Context) (bool, error) {
	in, err := c.RefreshSchedule(ctx)
	if err != nil {
		return false, fmt.Errorf("refresh check: %w", err)
	}
	now := c.cfg.Now()
	since := c.opened
	for _, t := range []time.Time{in.LastFiredAt, in.UpdatedAt} {
		if t.After(since) {
			since = t
		}
	}
	fire := in.Schedule.NextRun(since)
	if fire.IsZero() || fire.After(now) {
		return false, nil
	}
	// The latest firing not after now: missed ones queue one refresh.
	for i := 0; i < 1_000_000; i++ {
		next := in.Schedule.NextRun(fire)
		if next.IsZero() || next.After(now) {
			break
		}
		fire = next
	}
	claimed, err := c.cfg.Store.ClaimRefreshFiring(ctx, fire)
	if err != nil || !claimed {
		return false, err
	}
	if _, err := c.EnqueueRefresh(ctx); err != nil {
		return false, err
	}
	c.cfg.Logger.Info("jobs: scheduled system refresh queued", "cron", in.Schedule.Cron, "time_zone", in.Schedule.TimeZone,
		"stored", in.Stored, "fired", fire)
	return true, nil
}
