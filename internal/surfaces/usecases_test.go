package surfaces_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/notify"
	"segbridge/internal/omnisend"
	"segbridge/internal/run"
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

// olga is a fourth user, a viewer, whom the user use cases change.
const olga = "olga@example.com"

// addOlga adds olga as the stage of a use case.
func addOlga(f *fixture) {
	u, err := f.a.Users.Add(f.ctx, olga, password, user.RoleViewer)
	require.NoError(f.t, err)
	f.ids[olga] = u.ID
}

// queueRun queues a run of the export named, as the stage of a cancel.
func queueRun(name string) func(f *fixture) {
	return func(f *fixture) {
		r, err := f.a.Store.CreateRun(f.ctx, f.ids[name], run.TriggerManual, time.Now())
		require.NoError(f.t, err)
		f.ids["run"] = r.ID
	}
}

// holdRun makes a run of the export named held by the removal brake, as
// the stage of an approve or a discard.
func holdRun(name string) func(f *fixture) {
	return func(f *fixture) {
		queueRun(name)(f)
		r, err := f.a.Store.GetRun(f.ctx, f.ids["run"])
		require.NoError(f.t, err)
		r.Status, r.Step, r.StartedAt = run.StatusHeld, run.StepUntag, time.Now()
		r.Hold.Reason = "held: would untag 300 of 1,000 confirmed contacts (30 %, threshold 10 % and 100)"
		require.NoError(f.t, f.a.Store.SaveRun(f.ctx, r))
	}
}

// failedRun makes an ended run of the export named with failed contacts,
// as the stage of a retry.
func failedRun(name string) func(f *fixture) {
	return func(f *fixture) {
		queueRun(name)(f)
		r, err := f.a.Store.GetRun(f.ctx, f.ids["run"])
		require.NoError(f.t, err)
		r.Status, r.Step, r.StartedAt, r.FinishedAt = run.StatusSucceeded, run.StepDone, time.Now(), time.Now()
		r.Counts.Failed = map[string]int{run.ReasonRejected: 2}
		require.NoError(f.t, f.a.Store.SaveRun(f.ctx, r))
	}
}

// onRun performs a use case on the stage's run.
func onRun(do func(f *fixture, role user.Role, id string) outcome) iface {
	return func(f *fixture, role user.Role) outcome { return do(f, role, fmt.Sprint(f.ids["run"])) }
}

// exportForm posts the web UI's new export form for connection conn.
func exportForm(conn string) iface {
	return func(f *fixture, role user.Role) outcome {
		return f.webPost(f.web[role], "/exports", url.Values{"name": {"New export"}, "connection": {fmt.Sprint(f.ids[conn])},
			"segment": {fmt.Sprint(f.ids["Free seg"])}, "map_email": {"email"}, "leave": {"untag"}, "schedule": {"manual"},
			"cap": {"5000"}, "active": {"yes"}})
	}
}

// useCases lists every state-changing use case with the interfaces that
// offer it.
func useCases() []useCase {
	cases := []useCase{
		{name: "create a segment", action: "segment.create", allowed: writers,
			cli: cliDo("segment", "create", "New seg", "--rule", "p.orders > 2"),
			api: apiDo(http.MethodPost, "/segments", map[string]any{"name": "New seg", "rule": "p.orders > 2"}),
			web: webDo("/segments", url.Values{"name": {"New seg"}, "rule": {"p.orders > 2"}, "action": {"save"}})},
		{name: "import profiles", action: "profiles.import", allowed: writers,
			cli: func(f *fixture, role user.Role) outcome {
				return f.cliRun(role, "", "import", "profiles", f.file("more.csv", newProfiles), "--id", "id")
			},
			api: apiDo(http.MethodPost, "/profiles/import?id=id", []byte(newProfiles)),
			web: func(f *fixture, role user.Role) outcome {
				return f.webUpload(f.web[role], "/profiles/import", url.Values{"id": {"id"}}, "more.csv", newProfiles)
			}},
		{name: "queue the system refresh", action: "system.refresh", allowed: admins,
			api: apiDo(http.MethodPost, "/system/refresh/run", nil)},
		{name: "change the system refresh's schedule", action: "system.schedule", allowed: admins,
			cli: cliDo("system", "refresh-schedule", "set", "0 3 * * *", "--time-zone", "Europe/Prague"),
			api: apiDo(http.MethodPut, "/system/refresh", map[string]any{"schedule": "0 3 * * *", "time_zone": "Europe/Prague"}),
			web: webDo("/settings/system/schedule", url.Values{"schedule": {"0 3 * * *"}, "time_zone": {"Europe/Prague"}})},
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
		{name: "add a connection", action: "connection.create", allowed: admins, cli: addConnectionCLI(user.RoleAdmin),
			api: addConnectionAPI(user.RoleAdmin), web: addConnectionWeb(user.RoleAdmin)},
		{name: "add a connection whose export user is no admin", action: "connection.create", allowed: nil,
			cli: addConnectionCLI(user.RoleContributor), api: addConnectionAPI(user.RoleContributor), web: addConnectionWeb(user.RoleContributor)},
		{name: "change a connection", action: "connection.update", allowed: admins,
			cli: cliDo("connection", "update", "Shared", "--access", "admins"),
			api: apiDo(http.MethodPatch, "/connections/Shared", map[string]any{"access": "admins"}),
			web: webDoID("/admin/connections/{id}", "Shared", url.Values{"access": {"admins"}})},
		{name: "change a connection's dialect (checked with Omnisend first)", action: "connection.update", allowed: admins,
			cli: cliDo("connection", "update", "Shared", "--dialect", "v3"),
			api: apiDo(http.MethodPatch, "/connections/Shared", map[string]any{"dialect": "v3"}),
			web: webDoID("/admin/connections/{id}", "Shared", url.Values{"dialect": {"v3"}})},
		{name: "check a connection's key", action: "connection.check", allowed: admins,
			cli: cliDo("connection", "check", "Shared"),
			api: apiDo(http.MethodPost, "/connections/Shared/check", nil),
			web: webDoID("/admin/connections/{id}/check", "Shared", url.Values{})},
		{name: "remove a connection", action: "connection.remove", allowed: admins,
			cli: cliDo("connection", "remove", "Shared", "--yes"),
			api: apiDo(http.MethodDelete, "/connections/Shared", nil),
			web: webDoID("/admin/connections/{id}/remove", "Shared", url.Values{})},
		{name: "read a connection's unsubscribes back", action: "connection.sync_unsubscribes", allowed: admins,
			cli: cliDo("connection", "sync-unsubscribes", "Shared"),
			api: apiDo(http.MethodPost, "/connections/Shared/sync-unsubscribes", nil),
			web: webDoID("/admin/connections/{id}/sync-unsubscribes", "Shared", url.Values{})},

		{name: "add a user", action: "user.add", allowed: admins,
			cli: func(f *fixture, role user.Role) outcome {
				return f.cliRun(role, "a long new password\n", "user", "add", "new@example.com", "--role", "viewer", "--password-stdin")
			},
			api: apiDo(http.MethodPost, "/users", map[string]any{"email": "new@example.com", "password": "a long new password", "role": "viewer"}),
			web: webDo("/admin/users", url.Values{"email": {"new@example.com"}, "password": {"a long new password"}, "role": {"viewer"}})},
		{name: "change a user's role", action: "user.set_role", allowed: admins, prepare: addOlga,
			cli: cliDo("user", "set-role", olga, "contributor"),
			api: apiDo(http.MethodPatch, "/users/"+olga, map[string]any{"role": "contributor"}),
			web: webDoID("/admin/users/{id}/role", olga, url.Values{"role": {"contributor"}})},
		{name: "remove a user", action: "user.remove", allowed: admins, prepare: addOlga,
			cli: cliDo("user", "remove", olga),
			api: apiDo(http.MethodDelete, "/users/"+olga, nil),
			web: webDoID("/admin/users/{id}/remove", olga, url.Values{})},
		{name: "set one's own password", action: "user.set_password", allowed: all,
			cli: func(f *fixture, role user.Role) outcome {
				return f.cliRun(role, "another long password\n", "user", "set-password", emails[role], "--password-stdin")
			},
			api: func(f *fixture, role user.Role) outcome {
				return f.apiCall(role, http.MethodPatch, "/users/"+emails[role], map[string]any{"password": "another long password"})
			},
			web: webDo("/account/password", url.Values{"current": {password}, "password": {"another long password"}, "repeat": {"another long password"}})},
		{name: "set another user's password", action: "user.set_password", allowed: admins, prepare: addOlga,
			cli: func(f *fixture, role user.Role) outcome {
				return f.cliRun(role, "another long password\n", "user", "set-password", olga, "--password-stdin")
			},
			api: apiDo(http.MethodPatch, "/users/"+olga, map[string]any{"password": "another long password"}),
			web: webDoID("/admin/users/{id}/password", olga, url.Values{"password": {"another long password"}})},
		{name: "create one's own token", action: "token.create", allowed: all,
			cli: func(f *fixture, role user.Role) outcome {
				return f.cliRun(role, "", "token", "create", "mine", "--user", emails[role])
			},
			api: apiDo(http.MethodPost, "/tokens", map[string]any{"name": "mine"}),
			web: webDo("/tokens", url.Values{"name": {"mine"}})},
		{name: "create another user's token", action: "token.create", allowed: admins, prepare: addOlga,
			cli: cliDo("token", "create", "hers", "--user", olga)},
		{name: "revoke one's own token", action: "token.revoke", allowed: all,
			cli: func(f *fixture, role user.Role) outcome {
				return f.cliRun(role, "", "token", "revoke", fmt.Sprint(f.token(emails[role])))
			},
			api: func(f *fixture, role user.Role) outcome {
				return f.apiCall(role, http.MethodDelete, fmt.Sprintf("/tokens/%d", f.token(emails[role])), nil)
			},
			web: func(f *fixture, role user.Role) outcome {
				return f.webPost(f.web[role], fmt.Sprintf("/tokens/%d/revoke", f.token(emails[role])), url.Values{})
			}},
		{name: "revoke another user's token", action: "token.revoke", allowed: admins, prepare: addOlga,
			cli: func(f *fixture, role user.Role) outcome {
				return f.cliRun(role, "", "token", "revoke", fmt.Sprint(f.token(olga)))
			},
			api: func(f *fixture, role user.Role) outcome {
				return f.apiCall(role, http.MethodDelete, fmt.Sprintf("/tokens/%d", f.token(olga)), nil)
			},
			web: func(f *fixture, role user.Role) outcome {
				return f.webPost(f.web[role], fmt.Sprintf("/tokens/%d/revoke", f.token(olga)), url.Values{})
			}},

		{name: "delete an unused segment", action: "segment.delete", allowed: writers,
			cli: cliDo("segment", "delete", "Free seg"),
			api: apiDo(http.MethodDelete, "/segments/free-seg", nil),
			web: webDo("/segments/free-seg/delete", url.Values{})},
	}
	cases = append(cases, sourceUseCases()...) // sources_test.go
	cases = append(cases, onConnection("a shared connection", "Shared", writers)...)
	return append(cases, onConnection("an admin-only connection", "Private", admins)...)
}

// onConnection are the use cases on what connection conn sends ("Shared"
// or "Private"): its segment ("<conn> seg") and its export ("<conn>
// export"), which allowed may change, and a new export to it.
func onConnection(where, conn string, allowed []user.Role) []useCase {
	seg, slug, exp := conn+" seg", strings.ToLower(conn)+"-seg", conn+" export"
	escaped := url.PathEscape(exp)
	return []useCase{
		{name: "change a segment that feeds " + where, action: "segment.update", allowed: allowed,
			cli: cliDo("segment", "update", seg, "--rule", "p.orders > 3"),
			api: apiDo(http.MethodPatch, "/segments/"+slug, map[string]any{"rule": "p.orders > 3"}),
			web: webDo("/segments/"+slug, url.Values{"rule": {"p.orders > 3"}, "action": {"save"}})},
		{name: "refresh a segment that feeds " + where, action: "segment.refresh", allowed: allowed,
			cli: cliDo("segment", "refresh", seg),
			api: apiDo(http.MethodPost, "/segments/"+slug+"/refresh", nil),
			web: webDo("/segments/"+slug+"/refresh", url.Values{})},
		{name: "create an export on " + where, action: "export.create", allowed: allowed,
			cli: cliDo("export", "create", "New export", "--connection", conn, "--segment", "Free seg", "--map", "email=email", "--schedule", "manual"),
			api: apiDo(http.MethodPost, "/exports", map[string]any{"name": "New export", "connection": conn, "segments": []string{"Free seg"},
				"mapping": map[string]string{"email": "email"}, "schedule": map[string]string{"kind": "manual"}}),
			web: exportForm(conn)},
		{name: "change an export on " + where, action: "export.update", allowed: allowed,
			cli: cliDo("export", "update", exp, "--cap", "5000"),
			api: apiDo(http.MethodPatch, "/exports/"+escaped, map[string]any{"profile_cap": 5000}),
			web: func(f *fixture, role user.Role) outcome {
				return f.webPost(f.web[role], fmt.Sprintf("/exports/%d/edit", f.ids[exp]), url.Values{"name": {exp},
					"connection": {fmt.Sprint(f.ids[conn])}, "segment": {fmt.Sprint(f.ids[seg])}, "map_email": {"email"},
					"leave": {"untag"}, "schedule": {"manual"}, "cap": {"5000"}, "active": {"yes"}})
			}},
		{name: "remove an export on " + where, action: "export.delete", allowed: allowed,
			cli: cliDo("export", "remove", exp, "--yes"),
			api: apiDo(http.MethodDelete, "/exports/"+escaped, nil),
			web: webDoID("/exports/{id}/remove", exp, url.Values{})},
		{name: "run an export on " + where, action: "run.start", allowed: allowed,
			cli: cliDo("export", "run", exp, "--no-wait"),
			api: apiDo(http.MethodPost, "/exports/"+escaped+"/run", nil),
			web: webDoID("/exports/{id}/run", exp, url.Values{})},
		{name: "cancel a run on " + where, action: "run.cancel", allowed: allowed, prepare: queueRun(exp),
			cli: cliDo("export", "cancel", exp),
			api: func(f *fixture, role user.Role) outcome {
				return f.apiCall(role, http.MethodPost, fmt.Sprintf("/runs/%d/cancel", f.ids["run"]), nil)
			},
			web: webDoID("/exports/{id}/cancel", exp, url.Values{})},
		{name: "approve a held run on " + where, action: "run.approve", allowed: allowed, prepare: holdRun(exp),
			cli: onRun(func(f *fixture, role user.Role, id string) outcome {
				return f.cliRun(role, "", "export", "approve", id, "--no-wait")
			}),
			api: onRun(func(f *fixture, role user.Role, id string) outcome {
				return f.apiCall(role, http.MethodPost, "/runs/"+id+"/approve", nil)
			}),
			web: onRun(func(f *fixture, role user.Role, id string) outcome {
				return f.webPost(f.web[role], "/runs/"+id+"/approve", url.Values{})
			})},
		{name: "discard a held run on " + where, action: "run.discard", allowed: allowed, prepare: holdRun(exp),
			cli: onRun(func(f *fixture, role user.Role, id string) outcome {
				return f.cliRun(role, "", "export", "discard", id)
			}),
			api: onRun(func(f *fixture, role user.Role, id string) outcome {
				return f.apiCall(role, http.MethodPost, "/runs/"+id+"/discard", nil)
			}),
			web: onRun(func(f *fixture, role user.Role, id string) outcome {
				return f.webPost(f.web[role], "/runs/"+id+"/discard", url.Values{})
			})},
		{name: "retry a run's failed contacts on " + where, action: "run.retry", allowed: allowed, prepare: failedRun(exp),
			cli: onRun(func(f *fixture, role user.Role, id string) outcome {
				return f.cliRun(role, "", "export", "retry", id, "--no-wait")
			}),
			api: onRun(func(f *fixture, role user.Role, id string) outcome {
				return f.apiCall(role, http.MethodPost, "/runs/"+id+"/retry", nil)
			}),
			web: onRun(func(f *fixture, role user.Role, id string) outcome {
				return f.webPost(f.web[role], "/runs/"+id+"/retry", url.Values{})
			})},
		{name: "verify an export on " + where, action: "export.verify", allowed: allowed,
			cli: cliDo("export", "verify", exp),
			api: apiDo(http.MethodPost, "/exports/"+escaped+"/verify", map[string]any{}),
			web: webDoID("/exports/{id}/verify", exp, url.Values{})},
	}
}

// addConnectionCLI, addConnectionAPI and addConnectionWeb add the
// connection "New" to the sandbox with the user of exportUser's role as
// its export user.
func addConnectionCLI(exportUser user.Role) iface {
	return func(f *fixture, role user.Role) outcome {
		return f.cliRun(role, sandboxKey, "connection", "create", "New", "--api-key-stdin", "--base-url", f.sbURL,
			"--export-user", emails[exportUser], "--agree-to-notice", "--consent-by", "Ada")
	}
}

func addConnectionAPI(exportUser user.Role) iface {
	return func(f *fixture, role user.Role) outcome {
		return f.apiCall(role, http.MethodPost, "/connections", map[string]any{"name": "New", "api_key": sandboxKey, "base_url": f.sbURL,
			"export_user": emails[exportUser], "agree_to_notice": true})
	}
}

func addConnectionWeb(exportUser user.Role) iface {
	return func(f *fixture, role user.Role) outcome {
		return f.webPost(f.web[role], "/admin/connections", url.Values{"name": {"New"}, "api_key": {sandboxKey}, "base_url": {f.sbURL},
			"export_user": {emails[exportUser]}, "consent": {"yes"}, "access": {"admins"}, "action": {"save"}})
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
						// Forbidden, or not found / invalid where the subject is
						// hidden from the role (an admin-only connection reads as
						// "no connection named … that you may use").
						require.Contains(t, []int{1, http.StatusBadRequest, http.StatusForbidden, http.StatusNotFound, http.StatusUnprocessableEntity},
							o.status, "%s as %s: %s", uc.name, role, o.msg)
						require.NotEmpty(t, o.msg, "a refusal says why")
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
