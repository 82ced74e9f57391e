package app_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/app"
	"segbridge/internal/notify"
	"segbridge/internal/omnisend"
	"segbridge/internal/omnisend/sandbox"
	"segbridge/internal/run"
	"segbridge/internal/server"
	"segbridge/internal/user"
)

const notifyHookSecret = "whsec-app-test-0123456789"

// hookReceiver records what a webhook channel is sent; with hang set it
// never answers (until the client gives up).
type hookReceiver struct {
	srv  *httptest.Server
	hang bool
	mu   sync.Mutex
	got  [][]byte
}

func newHookReceiver(t *testing.T, hang bool) *hookReceiver {
	h := &hookReceiver{hang: hang}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.got = append(h.got, body)
		h.mu.Unlock()
		if h.hang {
			<-r.Context().Done()
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hookReceiver) bodies() [][]byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([][]byte(nil), h.got...)
}

func (e *e2e) webhookChannel(name, url string, events notify.Events) {
	e.t.Helper()
	_, err := e.a.Notify.CreateChannel(e.ctx, notify.ChannelDraft{Name: name, Kind: notify.KindWebhook,
		Events: events, URL: omnisend.NewSecret(url), Secret: omnisend.NewSecret(notifyHookSecret)})
	require.NoError(e.t, err)
}

// TestHangingReceiverDoesNotDelayRun (acceptance 1): a real run against
// the sandbox, with a webhook channel that takes every lifecycle event
// and alert and never answers (the deliverer holds each request for its
// 30 s timeout), takes about as long as the same run without
// notifications: the deliverer was hanging while the run worked.
func TestHangingReceiverDoesNotDelayRun(t *testing.T) {
	t.Parallel()
	var hook *hookReceiver
	timed := func(withHook bool) time.Duration {
		e := newE2EWith(t, "", 2000, sandbox.FaultConfig{}, func(cfg *app.Config, _ string) string {
			cfg.Notifications.Timeout = 30 * time.Second
			cfg.Notifications.PollInterval = 10 * time.Millisecond
			return ""
		})
		if withHook {
			hook = newHookReceiver(t, true)
			e.webhookChannel("Hanging", hook.srv.URL, notify.Events{Alerts: true, Lifecycle: true})
			stop := e.a.Notify.Start(e.ctx)
			t.Cleanup(stop) // cancels the hanging requests
		}
		start := time.Now()
		e.run()
		took := time.Since(start)
		if withHook {
			require.NotEmpty(t, hook.bodies(), "the receiver was already holding a delivery while the run worked")
		}
		return took
	}
	base := timed(false)
	hung := timed(true)
	t.Logf("2,000-profile run without notifications %s, with a hanging receiver %s", base.Round(time.Millisecond), hung.Round(time.Millisecond))
	require.Less(t, hung, 2*base+3*time.Second, "the run does not wait for deliveries (a wait would be 30 s)")
	var first notify.Notification
	require.NoError(t, json.Unmarshal(hook.bodies()[0], &first))
	require.Equal(t, "run.queued", first.Event)
}

// TestHeldRunAndRevokedKeyEndToEnd (acceptance 2): on a real
// installation with the default rules, a run saved as held and a run
// whose key Omnisend revokes (a real 401 from the pipeline) each give
// exactly one notification per channel; its link opens the run's page in
// the web UI of the server at the public URL.
func TestHeldRunAndRevokedKeyEndToEnd(t *testing.T) {
	onEachEngine(t, func(t *testing.T, dbURL string) {
		var handler http.Handler
		web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
		t.Cleanup(web.Close)
		e := newE2EWith(t, dbURL, 100, sandbox.FaultConfig{}, func(cfg *app.Config, _ string) string {
			cfg.Notifications.PublicURL = web.URL
			cfg.PasswordCost = 4
			return ""
		})
		srv, err := server.New(server.Config{App: e.a})
		require.NoError(t, err)
		handler = srv.Handler()
		_, err = e.a.Users.Add(e.ctx, "admin@example.com", "correct horse battery staple", user.RoleAdmin)
		require.NoError(t, err)
		hookA, hookB := newHookReceiver(t, false), newHookReceiver(t, false)
		e.webhookChannel("Ops", hookA.srv.URL, notify.Events{Alerts: true})
		e.webhookChannel("Data team", hookB.srv.URL, notify.Events{Alerts: true})
		flush := func() { require.NoError(t, e.a.Notify.Flush(e.ctx)) }

		e.run()
		flush()
		require.Empty(t, hookA.bodies(), "a successful run is no news")

		r, err := e.a.Store.CreateRun(e.ctx, e.export.ID, run.TriggerManual, time.Now())
		require.NoError(t, err)
		r.Status, r.Step, r.Message = run.StatusHeld, run.StepUntag, "held by the removal brake: 80 of 100 contacts would be untagged"
		r.Hold.Reason = "held: would untag 80 of 100 confirmed contacts"
		r.StartedAt, r.FinishedAt = time.Now(), time.Now()
		require.NoError(t, e.a.Store.SaveRun(e.ctx, r), "saved through the store, as the brake does")
		flush()
		// A held run blocks its export: its untags (none here) are discarded.
		_, _, err = e.a.Services.Runs.Discard(e.ctx, brakeAdmin, r.ID)
		require.NoError(t, err)
		flush()

		revoked := e.revocableKey()
		e.churn() // something to send
		revoked.Store(true)
		bad := e.runToEnd()
		require.Equal(t, run.StatusFailed, bad.Status)
		flush()
		again := e.runToEnd()
		require.Equal(t, run.StatusFailed, again.Status)
		flush()

		for _, hook := range []*hookReceiver{hookA, hookB} {
			got := hook.bodies()
			require.Len(t, got, 3, "one for the held run, one for its recovery once discarded, one for the revoked key; none for the second failure")
			var held, recovered, key notify.Notification
			require.NoError(t, json.Unmarshal(got[0], &held))
			require.NoError(t, json.Unmarshal(got[1], &recovered))
			require.NoError(t, json.Unmarshal(got[2], &key))
			require.Equal(t, "run_held", recovered.Alerts[0].Rule.Kind)
			require.Equal(t, r.ID, recovered.Run.ID)
			require.Contains(t, recovered.Run.Message, "untags discarded")
			require.Equal(t, r.ID, held.Run.ID)
			require.Equal(t, "run_held", held.Alerts[0].Rule.Kind)
			require.Equal(t, bad.ID, key.Run.ID)
			var kinds []string
			for _, a := range key.Alerts {
				kinds = append(kinds, a.Rule.Kind)
			}
			require.Equal(t, []string{"run_failed", "key_rejected"}, kinds)
			require.Contains(t, key.Run.Message, "401")
			require.Equal(t, fmt.Sprintf("%s/runs/%d", web.URL, r.ID), held.URL)
			require.Equal(t, fmt.Sprintf("%s/runs/%d", web.URL, bad.ID), key.URL)
		}

		// The links open the runs for a signed-in user.
		jar, _ := cookiejar.New(nil)
		browser := &http.Client{Jar: jar}
		req, err := http.NewRequest(http.MethodPost, web.URL+"/login", strings.NewReader(url.Values{
			"email": {"admin@example.com"}, "password": {"correct horse battery staple"}, "next": {"/exports"}}.Encode()))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", web.URL)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		res, err := browser.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		for _, want := range []struct {
			id     int64
			status string
		}{{r.ID, "succeeded"}, {bad.ID, "failed"}} { // the held run was discarded
			res, err := browser.Get(fmt.Sprintf("%s/runs/%d", web.URL, want.id))
			require.NoError(t, err)
			page, _ := io.ReadAll(res.Body)
			res.Body.Close()
			require.Equal(t, http.StatusOK, res.StatusCode)
			require.Contains(t, string(page), fmt.Sprintf("Run %d", want.id))
			require.Contains(t, string(page), `id="run-status" class="status s-`+want.status+`"`)
		}
	})
}
