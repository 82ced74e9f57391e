package storetest

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/notify"
	"segbridge/internal/run"
	"segbridge/internal/store"
)

// runNotify is the notify.Storage part of the suite: channels, rules,
// conditions, the outbox and deliveries.
func runNotify(t *testing.T, newStore NewStore) {
	t.Run("Channels", func(t *testing.T) { testNotifyChannels(t, newStore) })
	t.Run("DefaultRulesAndRules", func(t *testing.T) { testNotifyRules(t, newStore) })
	t.Run("OutboxAndConditions", func(t *testing.T) { testNotifyOutbox(t, newStore) })
	t.Run("Lease", func(t *testing.T) { testNotifyLease(t, newStore) })
	t.Run("Deliveries", func(t *testing.T) { testNotifyDeliveries(t, newStore) })
	t.Run("HeldRunRoundTrip", func(t *testing.T) { testNotifyHeldRun(t, newStore) })
}

func webhookChannel(name string, now time.Time) notify.Channel {
	return notify.Channel{Name: name, Kind: notify.KindWebhook, Events: notify.Events{Alerts: true, Lifecycle: true},
		Target: "https://hooks.example.com/segbridge", CreatedAt: now, UpdatedAt: now}
}

func testNotifyChannels(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	var sealedFor int64
	seal := func(id int64) ([]byte, error) {
		sealedFor = id
		return []byte("sealed-" + strconv.FormatInt(id, 10)), nil
	}
	c, err := b.st.CreateNotifyChannel(b.ctx, webhookChannel("Ops Hook", b.now), seal)
	require.NoError(t, err)
	require.Positive(t, c.ID)
	require.Equal(t, c.ID, sealedFor, "sealed for the new row's id")
	require.Equal(t, "Ops Hook", c.Name)
	require.Equal(t, notify.Events{Alerts: true, Lifecycle: true}, c.Events)
	require.True(t, c.CreatedAt.Equal(b.now))
	require.Equal(t, "new", c.Health.Status())

	mail := notify.Channel{Name: "Mail", Kind: notify.KindEmail, Events: notify.Events{Alerts: true}, Target: "smtp:587 → a@example.com",
		SMTP:      notify.SMTP{Host: "smtp.example.com", Port: 587, StartTLS: true, User: "u", From: "segbridge@example.com", To: []string{"a@example.com", "b@example.com"}},
		CreatedAt: b.now, UpdatedAt: b.now}
	m, err := b.st.CreateNotifyChannel(b.ctx, mail, seal)
	require.NoError(t, err)
	require.Equal(t, mail.SMTP, m.SMTP)

	_, err = b.st.CreateNotifyChannel(b.ctx, webhookChannel("ops hook", b.now), seal)
	require.ErrorIs(t, err, store.ErrConflict, "names are unique case-insensitively")

	got, err := b.st.GetNotifyChannel(b.ctx, "OPS HOOK")
	require.NoError(t, err)
	require.Equal(t, c, got)
	got, err = b.st.GetNotifyChannel(b.ctx, strconv.FormatInt(c.ID, 10))
	require.NoError(t, err)
	require.Equal(t, c.ID, got.ID)
	_, err = b.st.GetNotifyChannel(b.ctx, "nope")
	require.ErrorIs(t, err, store.ErrNotFound)

	sealed, err := b.st.NotifyChannelSecret(b.ctx, c.ID)
	require.NoError(t, err)
	require.Equal(t, "sealed-"+strconv.FormatInt(c.ID, 10), string(sealed))

	all, err := b.st.ListNotifyChannels(b.ctx)
	require.NoError(t, err)
	require.Equal(t, []string{"Mail", "Ops Hook"}, []string{all[0].Name, all[1].Name}, "by name")

	require.NoError(t, b.st.DeleteNotifyChannel(b.ctx, c.ID))
	require.ErrorIs(t, b.st.DeleteNotifyChannel(b.ctx, c.ID), store.ErrNotFound)
	_, err = b.st.NotifyChannelSecret(b.ctx, c.ID)
	require.ErrorIs(t, err, store.ErrNotFound, "the sealed secrets go with the channel")
}

func testNotifyRules(t *testing.T, newStore NewStore) {
	f := setupExports(t, newStore)
	rules, err := f.st.ListNotifyRules(f.ctx)
	require.NoError(t, err)
	var kinds []notify.RuleKind
	for _, r := range rules {
		kinds = append(kinds, r.Kind)
		require.Zero(t, r.ExportID, "defaults watch every export")
		require.Zero(t, r.ChannelID, "defaults notify every channel")
	}
	require.Equal(t, []notify.RuleKind{notify.RuleRunFailed, notify.RuleRunHeld, notify.RuleKeyRejected}, kinds, "the defaults from the first start")

	e, err := f.st.CreateExport(f.ctx, f.export("Weekly", 0))
	require.NoError(t, err)
	c, err := f.st.CreateNotifyChannel(f.ctx, webhookChannel("Hook", f.now), func(int64) ([]byte, error) { return []byte("x"), nil })
	require.NoError(t, err)
	r, err := f.st.CreateNotifyRule(f.ctx, notify.Rule{Kind: notify.RuleContactsRejected, ExportID: e.ID, ChannelID: c.ID,
		Percent: 12.5, Count: 40, CreatedAt: f.now})
	require.NoError(t, err)
	slow, err := f.st.CreateNotifyRule(f.ctx, notify.Rule{Kind: notify.RuleRunSlow, Duration: 90 * time.Minute, CreatedAt: f.now})
	require.NoError(t, err)
	_, err = f.st.CreateNotifyRule(f.ctx, notify.Rule{Kind: notify.RuleRunFailed, ExportID: 9999, CreatedAt: f.now})
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = f.st.CreateNotifyRule(f.ctx, notify.Rule{Kind: notify.RuleRunFailed, ChannelID: 9999, CreatedAt: f.now})
	require.ErrorIs(t, err, store.ErrNotFound)

	rules, err = f.st.ListNotifyRules(f.ctx)
	require.NoError(t, err)
	require.Len(t, rules, 5)
	require.Equal(t, r, rules[3])
	require.Equal(t, slow, rules[4])

	require.NoError(t, f.st.DeleteExport(f.ctx, e.ID))
	rules, err = f.st.ListNotifyRules(f.ctx)
	require.NoError(t, err)
	require.Len(t, rules, 4, "a rule on a removed export goes with it")
	require.NoError(t, f.st.DeleteNotifyRule(f.ctx, slow.ID))
	require.ErrorIs(t, f.st.DeleteNotifyRule(f.ctx, slow.ID), store.ErrNotFound)
}

func testNotifyOutbox(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	ri := &notify.RunInfo{ID: 7, ExportID: 3, Trigger: "manual", Status: "held", Message: "brake", QueuedAt: b.now,
		Counts: notify.RunCounts{Members: 10, FailedReasons: map[string]int{"rejected": 2}}}
	added, err := b.st.AddNotifyEvent(b.ctx, notify.Event{Kind: notify.EventRunEnded, Key: "run:7:ended", Run: ri, At: b.now})
	require.NoError(t, err)
	require.True(t, added)
	added, err = b.st.AddNotifyEvent(b.ctx, notify.Event{Kind: notify.EventRunEnded, Key: "run:7:ended", Run: ri, At: b.now})
	require.NoError(t, err)
	require.False(t, added, "one event per key")
	src := &notify.SourceInfo{Name: "crm", Failed: true, Message: "timeout"}
	_, err = b.st.AddNotifyEvent(b.ctx, notify.Event{Kind: notify.EventSourceFailed, Key: "source:crm:1", Source: src, At: b.now.Add(time.Second)})
	require.NoError(t, err)

	evs, err := b.st.PendingNotifyEvents(b.ctx, 10)
	require.NoError(t, err)
	require.Len(t, evs, 2)
	require.Equal(t, notify.EventRunEnded, evs[0].Kind)
	require.Equal(t, ri, evs[0].Run)
	require.True(t, evs[0].At.Equal(b.now))
	require.Equal(t, src, evs[1].Source)
	require.Less(t, evs[0].ID, evs[1].ID)

	rules, err := b.st.ListNotifyRules(b.ctx)
	require.NoError(t, err)
	c, err := b.st.CreateNotifyChannel(b.ctx, webhookChannel("Hook", b.now), func(int64) ([]byte, error) { return []byte("x"), nil })
	require.NoError(t, err)
	cond := notify.Condition{RuleID: rules[1].ID, Subject: "export:3", Firing: true, Since: b.now, RunID: 7}
	gone := notify.Condition{RuleID: 999_999, Subject: "export:3", Firing: true, Since: b.now}
	d := delivery(c.ID, "ntf_000000000000000000000001", b.now)
	lost := delivery(999_999, "ntf_000000000000000000000002", b.now)
	require.NoError(t, b.st.ApplyNotifyEvent(b.ctx, evs[0].ID, []notify.Condition{cond, gone}, []notify.Delivery{d, lost}, b.now))
	require.NoError(t, b.st.ApplyNotifyEvent(b.ctx, evs[0].ID, []notify.Condition{cond}, []notify.Delivery{delivery(c.ID, "ntf_000000000000000000000003", b.now)}, b.now),
		"applying an event again adds nothing")

	conds, err := b.st.NotifyConditions(b.ctx, "export:3")
	require.NoError(t, err)
	require.Len(t, conds, 1, "a condition of a removed rule is dropped")
	require.Equal(t, cond.RuleID, conds[0].RuleID)
	require.True(t, conds[0].Firing)
	require.Equal(t, int64(7), conds[0].RunID)
	cond.Firing, cond.Since, cond.RunID = false, b.now.Add(time.Hour), 8
	require.NoError(t, b.st.ApplyNotifyEvent(b.ctx, evs[1].ID, []notify.Condition{cond}, nil, b.now))
	conds, err = b.st.NotifyConditions(b.ctx, "export:3")
	require.NoError(t, err)
	require.False(t, conds[0].Firing)
	require.True(t, conds[0].Since.Equal(b.now.Add(time.Hour)))

	evs, err = b.st.PendingNotifyEvents(b.ctx, 10)
	require.NoError(t, err)
	require.Empty(t, evs)
	ds, err := b.st.ListNotifyDeliveries(b.ctx, notify.DeliveryFilter{})
	require.NoError(t, err)
	require.Len(t, ds, 1, "one delivery: the channel-less one is dropped, the repeat is not added")
	require.Equal(t, d.NotificationID, ds[0].NotificationID)
	require.Equal(t, "Hook", ds[0].Channel)
	require.JSONEq(t, string(d.Payload), string(ds[0].Payload))
}

func delivery(channelID int64, id string, now time.Time) notify.Delivery {
	return notify.Delivery{ChannelID: channelID, NotificationID: id, Event: "run.held", Summary: "held", RunID: 7,
		Payload: []byte(`{"id":"` + id + `"}`), Status: notify.DeliveryPending, MaxAttempts: 3, NextAttempt: now, CreatedAt: now}
}

func testNotifyLease(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	ok, err := b.st.AcquireNotifyLease(b.ctx, "events", "a", b.now, time.Minute)
	require.NoError(t, err)
	require.True(t, ok)
	ok, err = b.st.AcquireNotifyLease(b.ctx, "events", "b", b.now.Add(30*time.Second), time.Minute)
	require.NoError(t, err)
	require.False(t, ok, "a's lease is live")
	ok, err = b.st.AcquireNotifyLease(b.ctx, "events", "a", b.now.Add(50*time.Second), time.Minute)
	require.NoError(t, err)
	require.True(t, ok, "a renews")
	ok, err = b.st.AcquireNotifyLease(b.ctx, "events", "b", b.now.Add(2*time.Minute), time.Minute)
	require.NoError(t, err)
	require.True(t, ok, "b takes over once a's lease ran out")
	ok, err = b.st.AcquireNotifyLease(b.ctx, "events", "a", b.now.Add(2*time.Minute), time.Minute)
	require.NoError(t, err)
	require.False(t, ok)
}

func testNotifyDeliveries(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	none := func(int64) ([]byte, error) { return []byte("x"), nil }
	c1, err := b.st.CreateNotifyChannel(b.ctx, webhookChannel("One", b.now), none)
	require.NoError(t, err)
	c2, err := b.st.CreateNotifyChannel(b.ctx, webhookChannel("Two", b.now), none)
	require.NoError(t, err)
	later := delivery(c1.ID, "ntf_00000000000000000000000b", b.now.Add(time.Minute))
	later.NextAttempt = b.now.Add(time.Minute)
	ds := []notify.Delivery{delivery(c1.ID, "ntf_00000000000000000000000a", b.now), later, delivery(c2.ID, "ntf_00000000000000000000000c", b.now)}
	_, err = b.st.AddNotifyEvent(b.ctx, notify.Event{Kind: notify.EventRunQueued, Key: "k", Run: &notify.RunInfo{ID: 1}, At: b.now})
	require.NoError(t, err)
	evs, err := b.st.PendingNotifyEvents(b.ctx, 1)
	require.NoError(t, err)
	require.NoError(t, b.st.ApplyNotifyEvent(b.ctx, evs[0].ID, nil, ds, b.now))

	claim := notify.Claim{Owner: "p1", Now: b.now, Until: b.now.Add(5 * time.Minute), Limit: 10, Skip: []int64{c2.ID}}
	got, err := b.st.ClaimNotifyDeliveries(b.ctx, claim)
	require.NoError(t, err)
	require.Len(t, got, 1, "due, and not on a skipped channel")
	require.Equal(t, "ntf_00000000000000000000000a", got[0].NotificationID)
	require.Equal(t, "p1", got[0].ClaimedBy)
	again, err := b.st.ClaimNotifyDeliveries(b.ctx, notify.Claim{Owner: "p2", Now: b.now, Until: b.now.Add(5 * time.Minute), Limit: 10})
	require.NoError(t, err)
	require.Len(t, again, 1, "the claimed one is not handed out again")
	require.Equal(t, c2.ID, again[0].ChannelID)

	// A failed attempt, then another: the channel is failing from 2 on.
	first := got[0]
	for i := 1; i <= 2; i++ {
		next := first
		next.Attempts, next.Status, next.NextAttempt, next.LastError = i, notify.DeliveryPending, b.now.Add(time.Duration(i)*time.Minute), "HTTP 500"
		require.NoError(t, b.st.RecordNotifyAttempt(b.ctx, notify.Attempt{DeliveryID: first.ID, At: b.now, Duration: 3 * time.Millisecond,
			Code: 500, Response: "oops", Error: "answered HTTP 500"}, next, 2))
		ch, err := b.st.GetNotifyChannel(b.ctx, "One")
		require.NoError(t, err)
		require.Equal(t, i, ch.Health.Failures)
		require.Equal(t, i >= 2, ch.Health.Failing, "attempt %d", i)
		require.Equal(t, "answered HTTP 500", ch.Health.LastError)
	}
	got, err = b.st.ClaimNotifyDeliveries(b.ctx, notify.Claim{Owner: "p1", Now: b.now.Add(2 * time.Minute), Until: b.now.Add(3 * time.Minute), Limit: 10})
	require.NoError(t, err)
	require.Len(t, got, 2, "the retry and the later one are due; the recorded attempt released the claim")
	require.Equal(t, first.ID, got[1].ID, "due first: the later one was due at +1m, the retry at +2m")
	done := got[1]
	done.Attempts, done.Status, done.FinishedAt, done.LastError = 3, notify.DeliveryDelivered, b.now.Add(2*time.Minute), ""
	require.NoError(t, b.st.RecordNotifyAttempt(b.ctx, notify.Attempt{DeliveryID: first.ID, At: b.now.Add(2 * time.Minute), Code: 200, OK: true}, done, 2))
	ch, err := b.st.GetNotifyChannel(b.ctx, "One")
	require.NoError(t, err)
	require.False(t, ch.Health.Failing, "a success clears it")
	require.Zero(t, ch.Health.Failures)
	require.True(t, ch.Health.LastSuccessAt.Equal(b.now.Add(2*time.Minute)))

	hist, err := b.st.ListNotifyDeliveries(b.ctx, notify.DeliveryFilter{ChannelID: c1.ID})
	require.NoError(t, err)
	require.Len(t, hist, 2)
	require.Equal(t, first.ID, hist[1].ID, "newest first")
	require.Equal(t, notify.DeliveryDelivered, hist[1].Status)
	require.Equal(t, 3, hist[1].Attempts)
	require.Len(t, hist[1].History, 3)
	require.Equal(t, 500, hist[1].History[0].Code)
	require.Equal(t, "oops", hist[1].History[0].Response)
	require.Equal(t, 3*time.Millisecond, hist[1].History[0].Duration)
	require.True(t, hist[1].History[2].OK)
	page, err := b.st.ListNotifyDeliveries(b.ctx, notify.DeliveryFilter{Before: hist[0].ID, Limit: 1})
	require.NoError(t, err)
	require.Len(t, page, 1)
	require.Less(t, page[0].ID, hist[0].ID)

	n, err := b.st.PruneNotify(b.ctx, b.now.Add(time.Hour))
	require.NoError(t, err)
	require.Equal(t, 2, n, "the processed event and the finished delivery")
	hist, err = b.st.ListNotifyDeliveries(b.ctx, notify.DeliveryFilter{})
	require.NoError(t, err)
	require.Len(t, hist, 2, "pending ones stay")

	test := delivery(c2.ID, "ntf_00000000000000000000000d", b.now)
	test.ClaimedBy, test.ClaimedUntil, test.MaxAttempts = "cli", b.now.Add(time.Minute), 1
	test, err = b.st.AddNotifyDelivery(b.ctx, test)
	require.NoError(t, err)
	require.Positive(t, test.ID)
	require.NoError(t, b.st.DeleteNotifyChannel(b.ctx, c2.ID))
	hist, err = b.st.ListNotifyDeliveries(b.ctx, notify.DeliveryFilter{})
	require.NoError(t, err)
	require.Len(t, hist, 1, "a removed channel's history goes with it")
}

// testNotifyHeldRun saves a run as held (the removal brake's status) and
// reads it back: the notification rules read runs so.
func testNotifyHeldRun(t *testing.T, newStore NewStore) {
	f := setupRuns(t, newStore)
	r := f.newRun(t)
	r.Status, r.Step, r.Message = run.StatusHeld, run.StepDone, "held: 600 removals, over the brake"
	r.StartedAt, r.FinishedAt = f.now, f.now.Add(time.Minute)
	require.NoError(t, f.rs.SaveRun(f.ctx, r))
	got, err := f.rs.GetRun(f.ctx, r.ID)
	require.NoError(t, err)
	require.Equal(t, run.StatusHeld, got.Status)
	require.Equal(t, r.Message, got.Message)
	_, err = f.rs.CreateRun(f.ctx, f.exp, run.TriggerManual, f.now)
	require.ErrorIs(t, err, run.ErrActiveRun, "a held run blocks its export's next run until it is decided")
}
