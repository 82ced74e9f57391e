package service_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"segbridge/internal/notify"
	"segbridge/internal/omnisend"
	"segbridge/internal/service"
	"segbridge/internal/store"
)

// TestNotifyRoles: only admins change notifications or send a test;
// nothing is written or recorded for the others.
func TestNotifyRoles(t *testing.T) { miscOnEachEngine(t, testNotifyRoles) }

func testNotifyRoles(t *testing.T, b *miscBundle) {
	c, err := b.svc.Notify.CreateChannel(b.ctx, b.admin, hookDraft("Ops", "https://hooks.example.com/x"))
	require.NoError(t, err)
	for _, p := range []struct {
		name string
		err  func() error
	}{
		{"create channel", func() error {
			_, err := b.svc.Notify.CreateChannel(b.ctx, b.contributor, hookDraft("Other", "https://hooks.example.com/y"))
			return err
		}},
		{"remove channel", func() error { _, err := b.svc.Notify.RemoveChannel(b.ctx, b.contributor, c.Name); return err }},
		{"test channel", func() error { _, err := b.svc.Notify.TestChannel(b.ctx, b.viewer, c.Name); return err }},
		{"create rule", func() error {
			_, err := b.svc.Notify.CreateRule(b.ctx, b.contributor, notify.RuleDraft{Kind: notify.RuleRunFailed})
			return err
		}},
		{"remove rule", func() error { return b.svc.Notify.RemoveRule(b.ctx, b.viewer, 1) }},
	} {
		e := requireKindOf(t, service.KindForbidden, p.err())
		require.Contains(t, e.Msg, "only admins may", p.name)
	}
	require.Contains(t, requireKindOf(t, service.KindForbidden, func() error {
		_, err := b.svc.Notify.CreateChannel(b.ctx, b.contributor, hookDraft("Other", "https://hooks.example.com/y"))
		return err
	}()).Msg, "only admins may create notification channels; you (contributor@example.com) are a contributor")
	cs, err := b.a.Notify.Channels(b.ctx)
	require.NoError(t, err)
	require.Len(t, cs, 1)
	rules, err := b.a.Notify.Rules(b.ctx)
	require.NoError(t, err)
	require.Len(t, rules, 3, "the defaults")
	for _, a := range []service.Action{service.NotifyChannelRemove, service.NotifyChannelTest, service.NotifyRuleCreate, service.NotifyRuleRemove} {
		require.Empty(t, b.entries(a), a)
	}
	require.Len(t, b.entries(service.NotifyChannelCreate), 1)
}

// TestNotifyAudit: every change is one audit entry by its actor (notify
// itself records none), and notify's errors come back typed.
func TestNotifyAudit(t *testing.T) { miscOnEachEngine(t, testNotifyAudit) }

func testNotifyAudit(t *testing.T, b *miscBundle) {
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	t.Cleanup(hook.Close)

	c, err := b.svc.Notify.CreateChannel(b.ctx, b.admin, hookDraft("Ops", hook.URL+"/hook"))
	require.NoError(t, err)
	_, err = b.svc.Notify.CreateChannel(b.ctx, b.admin, hookDraft("ops", hook.URL+"/hook"))
	require.Equal(t, `a channel named "ops" already exists`, requireKindOf(t, service.KindConflict, err).Msg)
	_, err = b.svc.Notify.CreateChannel(b.ctx, b.admin, hookDraft("Bad", "ftp://example.com"))
	e := requireKindOf(t, service.KindInvalid, err)
	require.Equal(t, "url", e.Field())
	var fe *notify.FieldError
	require.ErrorAs(t, err, &fe, "notify's field error is kept")

	at, err := b.svc.Notify.TestChannel(b.ctx, b.admin, c.Name)
	require.NoError(t, err)
	require.True(t, at.OK, at.Error)
	_, err = b.svc.Notify.TestChannel(b.ctx, b.admin, "Nope")
	require.Equal(t, `no notification channel named "Nope"`, requireKindOf(t, service.KindNotFound, err).Msg)
	require.ErrorIs(t, err, store.ErrNotFound)

	r, err := b.svc.Notify.CreateRule(b.ctx, b.admin, notify.RuleDraft{Kind: notify.RuleContactsRejected, Percent: 5, Channel: "Ops"})
	require.NoError(t, err)
	_, err = b.svc.Notify.CreateRule(b.ctx, b.admin, notify.RuleDraft{Kind: notify.RuleRunFailed, Export: "Nope"})
	e = requireKindOf(t, service.KindNotFound, err)
	require.Equal(t, "export", e.Field())
	require.Equal(t, `no export named "Nope"`, e.Msg)
	_, err = b.svc.Notify.CreateRule(b.ctx, b.admin, notify.RuleDraft{Kind: notify.RuleRunFailed, Channel: "Nope"})
	require.Equal(t, "channel", requireKindOf(t, service.KindNotFound, err).Field())
	_, err = b.svc.Notify.CreateRule(b.ctx, b.admin, notify.RuleDraft{Kind: notify.RuleRunSlow})
	require.Equal(t, "duration", requireKindOf(t, service.KindInvalid, err).Field())

	require.NoError(t, b.svc.Notify.RemoveRule(b.ctx, b.admin, r.ID))
	err = b.svc.Notify.RemoveRule(b.ctx, b.admin, r.ID)
	require.Contains(t, requireKindOf(t, service.KindNotFound, err).Msg, "no rule")
	_, err = b.svc.Notify.RemoveChannel(b.ctx, b.admin, c.Name)
	require.NoError(t, err)

	for action, want := range map[service.Action]string{
		service.NotifyChannelCreate: "Ops",
		service.NotifyChannelTest:   "Ops",
		service.NotifyRuleCreate:    "rule " + itoa(r.ID),
		service.NotifyRuleRemove:    "rule " + itoa(r.ID),
		service.NotifyChannelRemove: "Ops",
	} {
		es := b.entries(action)
		require.Len(t, es, 1, "exactly one %s entry", action)
		require.Equal(t, "admin@example.com", es[0].Actor, action)
		require.Equal(t, want, es[0].Target, action)
	}
	require.Contains(t, b.entries(service.NotifyChannelTest)[0].Detail, "delivered (answer 204)")
	require.Equal(t, "contacts_rejected above 5 %; every export → Ops", b.entries(service.NotifyRuleCreate)[0].Detail)
	require.Empty(t, b.entries("notify.test"), "the old action name is gone")
}

func hookDraft(name, url string) notify.ChannelDraft {
	return notify.ChannelDraft{Name: name, Kind: notify.KindWebhook, URL: omnisend.NewSecret(url),
		Secret: omnisend.NewSecret("0123456789abcdef-service-test")}
}

func itoa(id int64) string { return strconv.FormatInt(id, 10) }
