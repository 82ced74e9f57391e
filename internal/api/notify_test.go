package api_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/notify"
	"segbridge/internal/omnisend"
	"segbridge/internal/store"
)

const apiHookSecret = "api-hook-secret-Hq7Zp2Lm9Wc"

// notifyRoutes are the table's rows for the notification routes: reading
// channels is open to every signed-in user; rules, the history and every
// change are for admins.
func notifyRoutes() []route {
	return []route{
		{method: "GET", path: "/notifications/channels", want: anyone, req: fixed("GET", "/notifications/channels", nil)},
		{method: "GET", path: "/notifications/channels/{name}", want: anyone, req: func(f *fixture, _ string) request {
			f.notifyChannel("Ops")
			return request{method: "GET", path: "/notifications/channels/Ops"}
		}},
		{method: "POST", path: "/notifications/channels", want: admins.with(201), req: func(f *fixture, role string) request {
			return request{method: "POST", path: "/notifications/channels", body: map[string]any{"name": "New " + role, "kind": "webhook",
				"url": f.sandbox.URL + "/hook", "secret": apiHookSecret}}
		}},
		{method: "DELETE", path: "/notifications/channels/{name}", want: admins.with(204), req: func(f *fixture, role string) request {
			f.notifyChannel("Gone " + role)
			return request{method: "DELETE", path: "/notifications/channels/" + esc("Gone "+role)}
		}},
		{method: "POST", path: "/notifications/channels/{name}/test", want: admins, req: func(f *fixture, _ string) request {
			f.notifyChannel("Ops")
			return request{method: "POST", path: "/notifications/channels/Ops/test"}
		}},
		{method: "GET", path: "/notifications/rules", want: admins, req: fixed("GET", "/notifications/rules", nil)},
		{method: "POST", path: "/notifications/rules", want: admins.with(201), req: fixed("POST", "/notifications/rules",
			map[string]any{"kind": "run_slow", "duration": "45m", "export": "Shared Export"})},
		{method: "DELETE", path: "/notifications/rules/{id}", want: admins.with(204), req: func(f *fixture, _ string) request {
			r, err := f.a.Notify.CreateRule(f.ctx, notify.RuleDraft{Kind: notify.RuleRunHeld})
			require.NoError(f.t, err)
			return request{method: "DELETE", path: fmt.Sprintf("/notifications/rules/%d", r.ID)}
		}},
		{method: "GET", path: "/notifications/deliveries", want: admins, req: fixed("GET", "/notifications/deliveries?limit=5", nil)},
	}
}

// notifyChannel makes sure a webhook channel named name exists.
func (f *fixture) notifyChannel(name string) {
	f.t.Helper()
	_, err := f.a.Notify.CreateChannel(f.ctx, notify.ChannelDraft{
		Name: name, Kind: notify.KindWebhook, URL: omnisend.NewSecret(f.sandbox.URL + "/hook"), Secret: omnisend.NewSecret(apiHookSecret)})
	if !errors.Is(err, store.ErrConflict) {
		require.NoError(f.t, err)
	}
}

// TestNotificationsAPI: an admin adds channels of each kind (secrets
// write-only), a bad one is a 422 naming the field, a test is delivered
// and signed, rules are added and listed by name, and the history shows
// the attempt; no response shows a secret.
func TestNotificationsAPI(t *testing.T) {
	onEachEngine(t, func(t *testing.T, dbURL string) {
		f := setup(t, dbURL)
		var got []*http.Request
		var bodies [][]byte
		rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			got, bodies = append(got, r), append(bodies, b)
			w.WriteHeader(http.StatusAccepted)
		}))
		t.Cleanup(rc.Close)
		var all strings.Builder
		post := func(path string, body any, want int) map[string]any {
			t.Helper()
			res := f.do("admin", request{method: "POST", path: path, body: body})
			all.Write(res.body)
			require.Equal(t, want, res.status, string(res.body))
			var m map[string]any
			_ = json.Unmarshal(res.body, &m)
			return m
		}
		hook := post("/notifications/channels", map[string]any{"name": "Ops", "kind": "webhook", "events": "alerts,lifecycle",
			"url": rc.URL + "/in?token=qtok-api-123", "secret": apiHookSecret}, 201)
		require.Equal(t, rc.URL+"/in (query hidden)", hook["target"])
		require.Equal(t, "alerts,lifecycle", hook["events"])
		require.Equal(t, "new", hook["status"])
		post("/notifications/channels", map[string]any{"name": "Chat", "kind": "slack", "url": rc.URL + "/services/T1/B2/slackpath-xyz"}, 201)
		mail := post("/notifications/channels", map[string]any{"name": "Mail", "kind": "email", "smtp": map[string]any{
			"host": "smtp.example.com", "starttls": true, "user": "u", "password": "smtp-api-pw-987", "from": "a@example.com", "to": []string{"b@example.com"}}}, 201)
		require.Equal(t, float64(587), mail["smtp"].(map[string]any)["port"])
		bad := post("/notifications/channels", map[string]any{"name": "Short", "kind": "webhook", "url": rc.URL, "secret": "short-secret"}, 422)
		require.Contains(t, fmt.Sprint(bad["errors"]), "body.secret")
		post("/notifications/channels", map[string]any{"name": "ops", "kind": "slack", "url": rc.URL}, 409)

		res := post("/notifications/channels/Ops/test", nil, 200)
		require.Equal(t, true, res["ok"], res)
		require.Equal(t, float64(202), res["code"])
		require.Len(t, got, 1)
		require.NoError(t, notify.Verify([]byte(apiHookSecret), got[0].Header.Get(notify.SignatureHeader), bodies[0], time.Now()))

		rule := post("/notifications/rules", map[string]any{"kind": "contacts_rejected", "percent": 5, "channel": "Ops", "export": "Shared Export"}, 201)
		require.Equal(t, "Shared Export", rule["export"])
		require.Equal(t, "Ops", rule["channel"])
		require.Equal(t, "above 5 %", rule["threshold"])
		bad = post("/notifications/rules", map[string]any{"kind": "members_changed"}, 422)
		require.Contains(t, fmt.Sprint(bad["errors"]), "body.percent")
		post("/notifications/rules", map[string]any{"kind": "run_failed", "export": "Nope"}, 404)

		var rules []map[string]any
		lr := f.do("admin", request{method: "GET", path: "/notifications/rules"})
		require.NoError(t, json.Unmarshal(lr.body, &rules))
		require.Len(t, rules, 4, "the three defaults and the new one")
		var ds []map[string]any
		lr = f.do("admin", request{method: "GET", path: "/notifications/deliveries?channel=Ops"})
		all.Write(lr.body)
		require.NoError(t, json.Unmarshal(lr.body, &ds))
		require.Len(t, ds, 1)
		require.Equal(t, "delivered", ds[0]["status"])
		require.Equal(t, "test", ds[0]["event"])
		require.Len(t, ds[0]["history"], 1)
		lr = f.do("viewer", request{method: "GET", path: "/notifications/channels"})
		all.Write(lr.body)
		require.Equal(t, http.StatusOK, lr.status)
		require.Contains(t, string(lr.body), `"status":"ok"`)
		for _, s := range []string{apiHookSecret, "qtok-api-123", "slackpath-xyz", "smtp-api-pw-987"} {
			require.NotContains(t, all.String(), s)
			require.NotContains(t, f.logs.String(), s)
		}
		audit := f.do("admin", request{method: "GET", path: "/audit"})
		require.Contains(t, string(audit.body), `"action":"notify.channel.create"`)
		require.Contains(t, string(audit.body), `"actor":"admin@example.com"`)
	})
}
