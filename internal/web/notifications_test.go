package web_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/notify"
	"segbridge/internal/run"
)

const webHookSecret = "web-hook-secret-Lq4Zr8Tx2Wm"

// hookReceiver records webhook bodies; it answers status.
type hookReceiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	bodies [][]byte
	status int
}

func newHookReceiver(t testing.TB, status int) *hookReceiver {
	h := &hookReceiver{status: status}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.bodies = append(h.bodies, b)
		h.mu.Unlock()
		w.WriteHeader(h.status)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hookReceiver) got() [][]byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([][]byte(nil), h.bodies...)
}

// heldRun saves a run of e as held through the store (as the removal
// brake will) and lets the notifications be delivered.
func (b *bundle) heldRun(exportID int64) run.Run {
	b.t.Helper()
	r, err := b.a.Store.CreateRun(b.ctx, exportID, run.TriggerManual, time.Now())
	require.NoError(b.t, err)
	r.Status, r.Step, r.Message = run.StatusHeld, run.StepDone, "held by the removal brake: 120 of 150 contacts would be untagged"
	r.StartedAt, r.FinishedAt = time.Now(), time.Now()
	require.NoError(b.t, b.a.Store.SaveRun(b.ctx, r))
	require.NoError(b.t, b.a.Notify.Flush(b.ctx))
	return r
}

// TestNotificationsPage: an admin adds a channel and a rule with the
// forms, tests the channel and sees the history; a viewer sees the
// channels and their status only, and may change nothing; no page shows
// a secret.
func TestNotificationsPage(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	hook := newHookReceiver(t, http.StatusOK)
	admin := b.login(adminEmail)
	res := admin.post("/settings/notifications/channels", url.Values{"name": {"Ops hook"}, "kind": {"webhook"},
		"alerts": {"yes"}, "url": {hook.srv.URL + "/in?token=qtok-web-555"}, "secret": {webHookSecret}})
	require.Equal(t, http.StatusSeeOther, res.status, res.body)
	page := admin.get("/settings/notifications")
	require.Contains(t, page.body, `Channel &#34;Ops hook&#34; saved`)
	require.Contains(t, page.body, hook.srv.URL+"/in (query hidden)")
	ch, err := b.a.Notify.Channel(b.ctx, "Ops hook")
	require.NoError(t, err)

	res = admin.post("/settings/notifications/channels", url.Values{"name": {"Short"}, "kind": {"webhook"}, "alerts": {"yes"},
		"url": {hook.srv.URL}, "secret": {"too-short"}})
	require.Equal(t, http.StatusBadRequest, res.status)
	besideField(t, res.body, "channel-secret", "want a signing secret of 16 to 4096 characters")
	require.Contains(t, res.body, `value="Short"`, "the form comes back filled in")

	res = admin.post(fmt.Sprintf("/settings/notifications/channels/%d/test", ch.ID), nil)
	require.Equal(t, http.StatusSeeOther, res.status)
	page = admin.get("/settings/notifications")
	require.Contains(t, page.body, "Test notification delivered to &#34;Ops hook&#34; (answer 200")
	require.Len(t, hook.got(), 1)

	res = admin.post("/settings/notifications/rules", url.Values{"kind": {"contacts_rejected"}, "percent": {"12.5"}, "channel": {fmt.Sprint(ch.ID)}})
	require.Equal(t, http.StatusSeeOther, res.status, res.body)
	res = admin.post("/settings/notifications/rules", url.Values{"kind": {"run_slow"}})
	require.Equal(t, http.StatusBadRequest, res.status)
	besideField(t, res.body, "rule-duration", "run_slow wants a duration")
	page = admin.get("/settings/notifications")
	require.Contains(t, page.body, "above 12.5 %")
	require.Contains(t, page.body, `id="deliveries"`)
	require.Contains(t, page.body, "Test notification from segbridge")

	viewer := b.login(viewerEmail)
	vpage := viewer.get("/settings/notifications")
	require.Equal(t, http.StatusOK, vpage.status)
	require.Contains(t, vpage.body, "Ops hook")
	require.NotContains(t, vpage.body, `id="add-channel"`)
	require.NotContains(t, vpage.body, `id="deliveries"`)
	require.NotContains(t, vpage.body, `id="rules"`)
	for _, path := range []string{"/settings/notifications/channels", fmt.Sprintf("/settings/notifications/channels/%d/test", ch.ID),
		fmt.Sprintf("/settings/notifications/channels/%d/remove", ch.ID), "/settings/notifications/rules", "/settings/notifications/rules/1/remove"} {
		res := viewer.post(path, url.Values{"name": {"x"}, "kind": {"run_failed"}})
		require.Equal(t, http.StatusForbidden, res.status, path)
	}
	for _, p := range []string{page.body, vpage.body} {
		require.NotContains(t, p, webHookSecret)
		require.NotContains(t, p, "qtok-web-555")
	}
	res = admin.post(fmt.Sprintf("/settings/notifications/channels/%d/remove", ch.ID), nil)
	require.Equal(t, http.StatusSeeOther, res.status)
	require.Contains(t, admin.get("/settings/notifications").body, `Channel &#34;Ops hook&#34; removed`)
}

// TestNotificationLinkOpensRun: the link in a held run's notification is
// the run's page under the public URL, and it opens.
func TestNotificationLinkOpensRun(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{profiles: 20})
	seg := b.segment("Buyers", `p.orders >= 1`)
	e := b.export("Buyers out", b.connection("Acme", "admins"), seg)
	hook := newHookReceiver(t, http.StatusOK)
	admin := b.login(adminEmail)
	admin.post("/settings/notifications/channels", url.Values{"name": {"Ops"}, "kind": {"webhook"}, "alerts": {"yes"},
		"url": {hook.srv.URL}, "secret": {webHookSecret}})
	r := b.heldRun(e.ID)
	got := hook.got()
	require.Len(t, got, 1)
	var n notify.Notification
	require.NoError(t, json.Unmarshal(got[0], &n))
	require.Equal(t, fmt.Sprintf("%s/runs/%d", notify.DefaultPublicURL, r.ID), n.URL)
	link, err := url.Parse(n.URL)
	require.NoError(t, err)
	page := admin.get(link.Path)
	require.Equal(t, http.StatusOK, page.status)
	require.Contains(t, page.body, fmt.Sprintf("Run %d", r.ID))
	require.True(t, strings.Contains(page.body, `s-held">held`), "the run page shows it held")
}
