package service_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"segbridge/internal/service"
)

// TestSystemRefresh: only admins queue the system refresh (one audit
// entry each time) or change its schedule, which is checked (both fields
// named at once), stored and recorded once.
func TestSystemRefresh(t *testing.T) { miscOnEachEngine(t, testSystemRefresh) }

func testSystemRefresh(t *testing.T, b *miscBundle) {
	for _, p := range []struct{ who, want string }{{"contributor", "contributor"}, {"viewer", "viewer"}} {
		pr := b.contributor
		if p.who == "viewer" {
			pr = b.viewer
		}
		_, err := b.svc.System.RefreshNow(b.ctx, pr)
		e := requireKindOf(t, service.KindForbidden, err)
		require.Contains(t, e.Msg, "only admins may queue the system refresh; you ("+p.want+"@example.com) are a "+p.want)
		_, err = b.svc.System.SetSchedule(b.ctx, pr, "30 1 * * *", "")
		requireKindOf(t, service.KindForbidden, err)
	}
	require.Empty(t, b.entries(service.SystemRefresh))

	id, err := b.svc.System.RefreshNow(b.ctx, b.admin)
	require.NoError(t, err)
	require.Positive(t, id)
	es := b.entries(service.SystemRefresh)
	require.Len(t, es, 1)
	require.Equal(t, "admin@example.com", es[0].Actor)

	in, err := b.svc.System.Schedule(b.ctx)
	require.NoError(t, err)
	require.False(t, in.Stored, "none stored: the configured one is in force")
	require.Equal(t, "0 2 * * *", in.Schedule.Cron)

	_, err = b.svc.System.SetSchedule(b.ctx, b.admin, "61 * * * *", "")
	require.Equal(t, "schedule", requireKindOf(t, service.KindInvalid, err).Field())
	_, err = b.svc.System.SetSchedule(b.ctx, b.admin, "30 1 * * *", "Mars/Olympus")
	require.Equal(t, "time_zone", requireKindOf(t, service.KindInvalid, err).Field())
	_, err = b.svc.System.SetSchedule(b.ctx, b.admin, "every day", "Mars/Olympus")
	e := requireKindOf(t, service.KindInvalid, err)
	require.Len(t, e.Fields, 2, "both bad fields at once")
	require.Contains(t, e.Msg, `unknown time zone "Mars/Olympus"`)
	require.Empty(t, b.entries(service.SystemSchedule), "nothing changed, nothing recorded")

	sc, err := b.svc.System.SetSchedule(b.ctx, b.admin, " 30 1 * * * ", "Europe/Prague")
	require.NoError(t, err)
	require.Equal(t, "30 1 * * *", sc.Cron)
	in, err = b.svc.System.Schedule(b.ctx)
	require.NoError(t, err)
	require.True(t, in.Stored)
	require.Equal(t, "30 1 * * *", in.Schedule.Cron)
	require.Equal(t, "Europe/Prague", in.Schedule.TimeZone)
	require.Equal(t, "admin@example.com", in.UpdatedBy)
	es = b.entries(service.SystemSchedule)
	require.Len(t, es, 1)
	require.Equal(t, "30 1 * * * in Europe/Prague", es[0].Detail)
}
