package service_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"segbridge/internal/service"
)

// TestSystemRefresh: only admins queue the system refresh (one audit
// entry each time) or change its schedule, which is checked and then
// refused as unsupported: it is process configuration.
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

	_, err = b.svc.System.SetSchedule(b.ctx, b.admin, "61 * * * *", "")
	require.Equal(t, "schedule", requireKindOf(t, service.KindInvalid, err).Field())
	_, err = b.svc.System.SetSchedule(b.ctx, b.admin, "30 1 * * *", "Mars/Olympus")
	require.Equal(t, "time_zone", requireKindOf(t, service.KindInvalid, err).Field())
	sc, err := b.svc.System.SetSchedule(b.ctx, b.admin, "30 1 * * *", "Europe/Prague")
	e := requireKindOf(t, service.KindUnsupported, err)
	require.Equal(t, "Europe/Prague", sc.TimeZone)
	require.Contains(t, e.Msg, `--refresh-schedule "30 1 * * *" --time-zone Europe/Prague`)
	require.Empty(t, b.entries(service.SystemSchedule), "nothing changed, nothing recorded")
}
