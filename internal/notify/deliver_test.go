package notify_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/notify"
	"segbridge/internal/run"
)

// TestSignatureVerifiesByTheDocumentedAlgorithm (acceptance 1): the
// X-Segbridge-Signature header is t=<unix seconds>,v1=<hex of
// HMAC-SHA256(secret, "<t>.<body>")>, recomputed here from that sentence
// alone; notify.Verify agrees and refuses a changed body, another secret
// and an old timestamp.
func TestSignatureVerifiesByTheDocumentedAlgorithm(t *testing.T) {
	t.Parallel()
	b := setup(t, "", nil)
	rc := newReceiver(t)
	hook := b.webhook("Hook", rc.srv.URL+"/in?token=abc", notify.Events{Alerts: true})
	a, err := b.svc.Test(b.ctx, "Hook")
	require.NoError(t, err)
	require.True(t, a.OK, a.Error)
	require.Equal(t, 200, a.Code)
	got := rc.requests()
	require.Len(t, got, 1)
	body, h := got[0].body, got[0].header
	b.schema.validate(t, body)
	require.Equal(t, "application/json", h.Get("Content-Type"))
	require.Equal(t, "test", h.Get("X-Segbridge-Event"))
	require.Equal(t, payloadOf(t, body).ID, h.Get("X-Segbridge-Delivery"))

	sig := h.Get("X-Segbridge-Signature")
	parts := strings.Split(sig, ",")
	require.Len(t, parts, 2, sig)
	ts, ok := strings.CutPrefix(parts[0], "t=")
	require.True(t, ok, sig)
	v1, ok := strings.CutPrefix(parts[1], "v1=")
	require.True(t, ok, sig)
	require.Equal(t, strconv.FormatInt(b.clock.Now().Unix(), 10), ts, "the timestamp is the injected clock's")
	m := hmac.New(sha256.New, []byte(hookSecret))
	m.Write([]byte(ts + "." + string(body)))
	require.Equal(t, hex.EncodeToString(m.Sum(nil)), v1)

	require.NoError(t, notify.Verify([]byte(hookSecret), sig, body, b.clock.Now()))
	require.ErrorIs(t, notify.Verify([]byte(hookSecret), sig, append(body, ' '), b.clock.Now()), notify.ErrBadSignature)
	require.ErrorIs(t, notify.Verify([]byte("another secret of some length"), sig, body, b.clock.Now()), notify.ErrBadSignature)
	require.ErrorIs(t, notify.Verify([]byte(hookSecret), sig, body, b.clock.Now().Add(6*time.Minute)), notify.ErrBadSignature)
	require.Equal(t, "http://"+rc.srv.Listener.Addr().String()+"/in (query hidden)", hook.Target, "the query may hold a token")
}

// TestRetriedAfter500 (acceptance 1): a receiver that answers 500 and
// then 200 gets the message on the retry, after the backoff on the
// injected clock, with the same id and body; the history keeps both
// attempts and their answers.
func TestRetriedAfter500(t *testing.T) {
	t.Parallel()
	b := setup(t, "", nil)
	rc := newReceiver(t, 500, 200)
	hook := b.webhook("Hook", rc.srv.URL, notify.Events{Alerts: true})
	b.endRun(failed("boom"))
	require.Len(t, rc.requests(), 1)
	ds := b.deliveries(hook)
	require.Len(t, ds, 1)
	require.Equal(t, notify.DeliveryPending, ds[0].Status)
	require.Equal(t, 1, ds[0].Attempts)
	require.Equal(t, b.clock.Now().Add(30*time.Second), ds[0].NextAttempt, "the first retry waits Retry.BaseDelay")
	require.Contains(t, ds[0].LastError, "answered HTTP 500")

	b.flush()
	b.clock.Advance(29 * time.Second)
	b.flush()
	require.Len(t, rc.requests(), 1, "not before the backoff")
	b.clock.Advance(time.Second)
	b.flush()
	got := rc.requests()
	require.Len(t, got, 2)
	require.Equal(t, got[0].body, got[1].body, "the same notification")
	require.Equal(t, got[0].header.Get("X-Segbridge-Delivery"), got[1].header.Get("X-Segbridge-Delivery"))
	require.NoError(t, notify.Verify([]byte(hookSecret), got[1].header.Get(notify.SignatureHeader), got[1].body, b.clock.Now()))

	ds = b.deliveries(hook)
	require.Equal(t, notify.DeliveryDelivered, ds[0].Status)
	require.Len(t, ds[0].History, 2)
	require.Equal(t, 500, ds[0].History[0].Code)
	require.Equal(t, `{"ok":false}`, ds[0].History[0].Response)
	require.False(t, ds[0].History[0].OK)
	require.Equal(t, 200, ds[0].History[1].Code)
	require.True(t, ds[0].History[1].OK)
	c, err := b.svc.Channel(b.ctx, "Hook")
	require.NoError(t, err)
	require.Equal(t, "ok", c.Health.Status())
}

// TestFailingChannelMarkedAndStillRetried: a receiver that keeps
// answering 503 marks its channel failing after FailingAfter attempts;
// it is still retried (backoff doubling up to MaxDelay) and the first
// success clears it. A 404 is not retried.
func TestFailingChannelMarkedAndStillRetried(t *testing.T) {
	t.Parallel()
	b := setup(t, "", func(c *notify.Config) {
		c.Retry = notify.Retry{MaxAttempts: 6, BaseDelay: 10 * time.Second, MaxDelay: 40 * time.Second}
	})
	rc := newReceiver(t, 503, 503, 503, 503, 200)
	b.webhook("Hook", rc.srv.URL, notify.Events{Alerts: true})
	b.endRun(failed("boom"))
	health := func() notify.Health {
		c, err := b.svc.Channel(b.ctx, "Hook")
		require.NoError(t, err)
		return c.Health
	}
	for i, wait := range []time.Duration{10 * time.Second, 20 * time.Second} {
		require.False(t, health().Failing, "after %d attempts", i+1)
		b.clock.Advance(wait)
		b.flush()
	}
	require.Len(t, rc.requests(), 3)
	h := health()
	require.True(t, h.Failing)
	require.Equal(t, "failing", h.Status())
	require.Equal(t, 3, h.Failures)
	require.Contains(t, h.LastError, "answered HTTP 503")
	b.clock.Advance(40 * time.Second)
	b.flush()
	require.Len(t, rc.requests(), 4, "a failing channel is still retried")
	b.clock.Advance(39 * time.Second)
	b.flush()
	require.Len(t, rc.requests(), 4, "the delay is capped at MaxDelay, not shorter")
	b.clock.Advance(time.Second)
	b.flush()
	require.Len(t, rc.requests(), 5)
	require.Equal(t, "ok", health().Status(), "a success clears it")

	gone := newReceiver(t, 404)
	c404 := b.webhook("Gone", gone.srv.URL, notify.Events{Alerts: true})
	b.endRun(succeeded)
	b.endRun(failed("boom again"))
	b.endRun(succeeded)
	b.clock.Advance(time.Hour)
	b.flush()
	ds := b.deliveries(c404)
	require.Len(t, ds, 2, "the new failure and its recovery (not the recovery of the failure from before it)")
	for _, d := range ds {
		require.Equal(t, notify.DeliveryFailed, d.Status, "a 404 is not retried")
		require.Equal(t, 1, d.Attempts)
		require.Contains(t, d.LastError, "refused the notification (HTTP 404)")
	}
	require.Len(t, gone.requests(), 2)
}

// TestHangingReceiverTimesOut: an attempt at a receiver that never
// answers ends at the timeout and is retried later; recording a run's
// end while it hangs takes no longer than usual.
func TestHangingReceiverTimesOut(t *testing.T) {
	t.Parallel()
	b := setup(t, "", func(c *notify.Config) { c.Timeout = 300 * time.Millisecond })
	rc := newReceiver(t)
	rc.hang = true
	hook := b.webhook("Hook", rc.srv.URL, notify.Events{Alerts: true, Lifecycle: true})
	start := time.Now()
	b.endRun(failed("boom"))
	took := time.Since(start)
	require.Less(t, took, 3*time.Second, "the flush gives up at the timeout")
	ds := b.deliveries(hook)
	require.NotEmpty(t, ds)
	for _, d := range ds {
		require.Equal(t, notify.DeliveryPending, d.Status)
		require.Contains(t, d.LastError, "no answer from")
		require.Contains(t, d.LastError, "within 300ms")
	}

	// Recording events never waits for deliveries.
	r, err := b.st.CreateRun(b.ctx, b.export.ID, run.TriggerManual, b.clock.Now())
	require.NoError(t, err)
	stop := b.svc.Start(b.ctx)
	defer stop()
	start = time.Now()
	for range 20 {
		b.svc.RunQueued(b.ctx, r)
		r.Status = run.StatusRunning
		b.svc.RunSaved(b.ctx, r)
	}
	require.Less(t, time.Since(start), time.Second, "recording 40 events while the receiver hangs")
}

// TestLifecycle: a channel with lifecycle events gets every run queued,
// started (once, however often a working run is saved) and ended, with
// counts; a held run is run.held.
func TestLifecycle(t *testing.T) {
	t.Parallel()
	b := setup(t, "", nil)
	rc := newReceiver(t)
	hook := b.webhook("Scheduler", rc.srv.URL, notify.Events{Lifecycle: true})
	r, err := b.st.CreateRun(b.ctx, b.export.ID, run.TriggerRefresh, b.clock.Now())
	require.NoError(t, err)
	b.svc.RunQueued(b.ctx, r)
	r.Status, r.StartedAt = run.StatusRunning, b.clock.Now()
	for _, step := range []run.Step{run.StepPlan, run.StepSend, run.StepConfirm} {
		r.Step = step
		require.NoError(t, b.st.SaveRun(b.ctx, r))
		b.svc.RunSaved(b.ctx, r)
	}
	r.Status, r.Step, r.FinishedAt = run.StatusSucceeded, run.StepDone, b.clock.Now().Add(90*time.Second)
	r.Counts = run.Counts{Members: 120, Added: 100, Updated: 10, Unchanged: 5, Skipped: map[string]int{run.ReasonInvalidEmail: 5}}
	require.NoError(t, b.st.FinishRun(b.ctx, r))
	b.svc.RunSaved(b.ctx, r)
	b.svc.RunEnded(b.ctx, r) // OnEnd too: still one
	b.flush()
	b.endRun(held)
	b.endRun(failed("boom"))

	var events []string
	for _, d := range b.deliveries(hook) {
		events = append(events, d.Event)
	}
	require.Equal(t, []string{"run.queued", "run.started", "run.finished", "run.queued", "run.held", "run.queued", "run.failed"}, events,
		"no alerts: the channel takes lifecycle events only")
	fin := payloadOf(t, b.deliveries(hook)[2].Payload)
	require.Equal(t, notify.TypeLifecycle, fin.Type)
	require.Equal(t, 100, fin.Run.Counts.Added)
	require.Equal(t, 5, fin.Run.Counts.Skipped)
	require.Equal(t, map[string]int{run.ReasonInvalidEmail: 5}, fin.Run.Counts.SkippedReasons)
	require.InDelta(t, 90, *fin.Run.DurationSeconds, 0.001)
	require.Equal(t, "refresh", fin.Run.Trigger)
	require.Contains(t, fin.Text, "finished; 120 members: 100 added, 10 updated")
	for i, got := range rc.requests() {
		b.schema.validate(t, got.body)
		if i > 0 {
			require.Greater(t, payloadOf(t, got.body).Sequence, payloadOf(t, rc.requests()[i-1].body).Sequence, "sequence increases")
		}
	}
}

// TestEventsBeforeAChannelAreNotSentToIt: a channel added after an event
// happened (its events still in the outbox: no deliverer was running)
// does not get it.
func TestEventsBeforeAChannelAreNotSentToIt(t *testing.T) {
	t.Parallel()
	b := setup(t, "", nil)
	r, err := b.st.CreateRun(b.ctx, b.export.ID, run.TriggerManual, b.clock.Now())
	require.NoError(t, err)
	b.svc.RunQueued(b.ctx, r)
	r.Status, r.Message = run.StatusFailed, "boom"
	require.NoError(t, b.st.SaveRun(b.ctx, r))
	b.svc.RunEnded(b.ctx, r)
	b.clock.Advance(time.Minute)
	rc := newReceiver(t)
	hook := b.webhook("Late", rc.srv.URL, notify.Events{Alerts: true, Lifecycle: true})
	b.flush()
	require.Empty(t, b.deliveries(hook))
	b.endRun(succeeded)
	var events []string
	for _, d := range b.deliveries(hook) {
		events = append(events, d.Event)
	}
	require.Equal(t, []string{"run.queued", "run.finished"}, events, "not the failure from before it, nor its recovery")
	b.endRun(failed("boom again"))
	events = events[:0]
	for _, d := range b.deliveries(hook)[2:] {
		events = append(events, d.Event)
	}
	require.Equal(t, []string{"run.queued", "alert", "run.failed"}, events, "a new failure it is told")
}
