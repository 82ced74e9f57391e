package surfaces_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"segbridge/internal/notify"
	"segbridge/internal/omnisend"
	"segbridge/internal/user"
)

// iface is one interface's way to perform a use case; nil when the
// interface does not offer it.
type iface func(f *fixture, role user.Role) outcome

// useCase is one state-changing use case, the roles that may perform it
// and how each interface performs it.
type useCase struct {
	name   string
	action string // its audit action
	// prepare, when set, readies the fixture (as the stage, not through
	// the interfaces).
	prepare func(f *fixture)
	// allowed are the roles that may perform it.
	allowed []user.Role
	cli     iface
	api     iface
	web     iface
}

var (
	admins  = []user.Role{user.RoleAdmin}
	writers = []user.Role{user.RoleAdmin, user.RoleContributor}
	all     = []user.Role{user.RoleAdmin, user.RoleContributor, user.RoleViewer}
)

func cliDo(args ...string) iface {
	return func(f *fixture, role user.Role) outcome { return f.cliRun(role, "", args...) }
}

func apiDo(method, path string, body any) iface {
	return func(f *fixture, role user.Role) outcome { return f.apiCall(role, method, path, body) }
}

func webDo(path string, form url.Values) iface {
	return func(f *fixture, role user.Role) outcome { return f.webPost(f.web[role], path, form) }
}

// webDoID posts to a path with the id of the fixture object name in
// place of {id}.
func webDoID(path, name string, form url.Values) iface {
	return func(f *fixture, role user.Role) outcome {
		return f.webPost(f.web[role], strings.Replace(path, "{id}", fmt.Sprint(f.ids[name]), 1), form)
	}
}

// newProfiles is a small CSV to import.
const newProfiles = "id,email,orders\nN1,n1@example.com,4\nN2,n2@example.com,0\n"

// hookSecret signs the fixture's webhook channel.
const hookSecret = "a-webhook-secret-of-some-length"

// addChannel adds the webhook channel "ops" as the stage of a use case.
func addChannel(f *fixture) {
	c, err := f.a.Services.Notify.CreateChannel(f.ctx, user.Principal{Role: user.RoleAdmin, Via: "cli", Actor: "stage"},
		notify.ChannelDraft{Name: "ops", Kind: notify.KindWebhook, Events: notify.Events{Alerts: true},
			URL: omnisend.NewSecret(f.hookURL), Secret: omnisend.NewSecret(hookSecret)})
	require.NoError(f.t, err)
	f.ids["ops"] = c.ID
}

// useCases lists every state-changing use case with the interfaces that
// offer it.
func useCases() []useCase {
	return []useCase{
		{name: "create a segment", action: "segment.create", allowed: writers,
			cli: cliDo("segment", "create", "New seg", "--rule", "p.orders > 2"),
			api: apiDo(http.MethodPost, "/segments", map[string]any{"name": "New seg", "rule": "p.orders > 2"}),
			web: webDo("/segments", url.Values{"name": {"New seg"}, "rule": {"p.orders > 2"}, "action": {"save"}})},
		{name: "change a segment on a shared connection", action: "segment.update", allowed: writers,
			cli: cliDo("segment", "update", "Shared seg", "--rule", "p.orders > 3"),
			api: apiDo(http.MethodPatch, "/segments/shared-seg", map[string]any{"rule": "p.orders > 3"})},
		{name: "change a segment that feeds an admin-only connection", action: "segment.update", allowed: admins,
			cli: cliDo("segment", "update", "Private seg", "--rule", "true"),
			api: apiDo(http.MethodPatch, "/segments/private-seg", map[string]any{"rule": "true"})},
		{name: "refresh a segment on a shared connection", action: "segment.refresh", allowed: writers,
			cli: cliDo("segment", "refresh", "Shared seg"),
			api: apiDo(http.MethodPost, "/segments/shared-seg/refresh", nil),
			web: webDo("/segments/shared-seg/refresh", url.Values{})},
		{name: "refresh a segment that feeds an admin-only connection", action: "segment.refresh", allowed: admins,
			cli: cliDo("segment", "refresh", "Private seg"),
			api: apiDo(http.MethodPost, "/segments/private-seg/refresh", nil),
			web: webDo("/segments/private-seg/refresh", url.Values{})},
		{name: "import profiles", action: "profiles.import", allowed: writers,
			cli: func(f *fixture, role user.Role) outcome {
				return f.cliRun(role, "", "import", "profiles", f.file("more.csv", newProfiles), "--id", "id")
			},
			api: apiDo(http.MethodPost, "/profiles/import?id=id", []byte(newProfiles))},
		{name: "queue the system refresh", action: "system.refresh", allowed: admins,
			api: apiDo(http.MethodPost, "/system/refresh/run", nil)},
		{name: "add a notification channel", action: "notify.channel.create", allowed: admins,
			cli: func(f *fixture, role user.Role) outcome {
				return f.cliRun(role, "", "notify", "channel", "create", "ops", "--webhook", f.hookURL, "--secret-file", f.file("hook.secret", hookSecret))
			},
			api: func(f *fixture, role user.Role) outcome {
				return f.apiCall(role, http.MethodPost, "/notifications/channels", map[string]any{"name": "ops", "kind": "webhook", "url": f.hookURL, "secret": hookSecret})
			},
			web: func(f *fixture, role user.Role) outcome {
				return f.webPost(f.web[role], "/settings/notifications/channels", url.Values{"name": {"ops"}, "kind": {"webhook"},
					"url": {f.hookURL}, "secret": {hookSecret}, "alerts": {"yes"}})
			}},
		{name: "test a notification channel", action: "notify.channel.test", allowed: admins, prepare: addChannel,
			cli: cliDo("notify", "test", "ops"),
			api: apiDo(http.MethodPost, "/notifications/channels/ops/test", nil),
			web: webDoID("/settings/notifications/channels/{id}/test", "ops", url.Values{})},
		{name: "remove a notification channel", action: "notify.channel.remove", allowed: admins, prepare: addChannel,
			cli: cliDo("notify", "channel", "remove", "ops", "--yes"),
			api: apiDo(http.MethodDelete, "/notifications/channels/ops", nil),
			web: webDoID("/settings/notifications/channels/{id}/remove", "ops", url.Values{})},
		{name: "add a notification rule", action: "notify.rule.create", allowed: admins,
			cli: cliDo("notify", "rule", "create", "run_slow", "--duration", "45m"),
			api: apiDo(http.MethodPost, "/notifications/rules", map[string]any{"kind": "run_slow", "duration": "45m"}),
			web: webDo("/settings/notifications/rules", url.Values{"kind": {"run_slow"}, "duration": {"45m"}})},
		{name: "remove a notification rule", action: "notify.rule.remove", allowed: admins,
			cli: cliDo("notify", "rule", "remove", "1"),
			api: apiDo(http.MethodDelete, "/notifications/rules/1", nil),
			web: webDo("/settings/notifications/rules/1/remove", url.Values{})},
		{name: "delete an unused segment", action: "segment.delete", allowed: writers,
			cli: cliDo("segment", "delete", "Free seg"),
			api: apiDo(http.MethodDelete, "/segments/free-seg", nil)},
	}
}

// TestUseCasesAnswerAlikeEverywhere drives each use case through every
// interface that offers it as each role, each time on a fresh fixture:
// the roles the permission table allows succeed everywhere and leave
// exactly one audit entry naming them; the others are refused everywhere
// and leave none.
func TestUseCasesAnswerAlikeEverywhere(t *testing.T) {
	t.Parallel()
	for _, uc := range useCases() {
		for _, in := range []struct {
			name string
			do   iface
		}{{"cli", uc.cli}, {"api", uc.api}, {"web", uc.web}} {
			if in.do == nil {
				continue
			}
			t.Run(uc.name+"/"+in.name, func(t *testing.T) {
				t.Parallel()
				for _, role := range all {
					f := setup(t)
					if uc.prepare != nil {
						uc.prepare(f)
					}
					o := in.do(f, role)
					entries := f.audits(uc.action)
					if !slicesContains(uc.allowed, role) {
						require.False(t, o.ok, "%s as %s must be refused", uc.name, role)
						require.Contains(t, []int{1, http.StatusForbidden, http.StatusNotFound}, o.status, "%s as %s: %s", uc.name, role, o.msg)
						require.Empty(t, entries, "a refused %s leaves no audit entry", uc.action)
						continue
					}
					require.True(t, o.ok, "%s as %s: status %d: %s", uc.name, role, o.status, o.msg)
					require.Len(t, entries, 1, "%s as %s: one %s audit entry", uc.name, role, uc.action)
					require.Equal(t, emails[role], entries[0].Actor)
				}
			})
		}
	}
}

func slicesContains(rs []user.Role, r user.Role) bool {
	for _, x := range rs {
		if x == r {
			return true
		}
	}
	return false
}

// TestCLIActsAsTheLocalOperator: without --as the CLI acts as an admin
// named after the operating system's user and host in the audit log.
func TestCLIActsAsTheLocalOperator(t *testing.T) {
	t.Parallel()
	f := setup(t)
	o := f.cliRun("", "", "segment", "create", "Operator seg", "--rule", "p.orders > 5")
	require.True(t, o.ok, o.msg)
	entries := f.audits("segment.create")
	require.Len(t, entries, 1)
	require.True(t, strings.HasPrefix(entries[0].Actor, "cli:") && strings.Contains(entries[0].Actor, "@"), entries[0].Actor)
	o = f.cliRun("", "", "--as", "nobody@example.com", "segment", "refresh", "Free seg")
	require.False(t, o.ok)
	require.Contains(t, o.msg, `--as "nobody@example.com": no such user`)
}
