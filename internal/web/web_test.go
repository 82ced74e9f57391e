package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/audit"
	"segbridge/internal/connection"
	"segbridge/internal/export"
	"segbridge/internal/run"
)

// fixture is an installation with an admin-only and a shared connection,
// an export and a finished run on each.
type fixture struct {
	*bundle
	private, shared       connection.Connection
	privExp, sharedExp    export.Export
	privRun, sharedRun    run.Run
	admin, contrib, viewr *client
}

func newFixture(t *testing.T, dbURL string) *fixture {
	b := setup(t, setupOpts{dbURL: dbURL, profiles: 60})
	seg := b.segment("Buyers", `p.orders >= 1`)
	f := &fixture{bundle: b}
	f.private = b.connection("Private brand", connection.AccessAdmins)
	f.shared = b.connection("Shared brand", connection.AccessContributors)
	f.privExp = b.export("Secret export", f.private, seg)
	f.sharedExp = b.export("Team export", f.shared, seg)
	f.privRun = f.finishedRun(f.privExp)
	f.sharedRun = f.finishedRun(f.sharedExp)
	f.admin, f.contrib, f.viewr = b.login(adminEmail), b.login(contributorEmail), b.login(viewerEmail)
	return f
}

// finishedRun executes a run of e to its end in this goroutine.
func (f *fixture) finishedRun(e export.Export) run.Run {
	f.t.Helper()
	r, err := f.a.Store.CreateRun(f.ctx, e.ID, run.TriggerManual, time.Now())
	require.NoError(f.t, err)
	r, err = f.a.Runs.Execute(f.ctx, r.ID)
	require.NoError(f.t, err)
	require.Equal(f.t, run.StatusSucceeded, r.Status, r.Message)
	return r
}

// TestPagesByRole opens every page as every role (and signed out).
func TestPagesByRole(t *testing.T) {
	onEachEngine(t, func(t *testing.T, dbURL string) {
		f := newFixture(t, dbURL)
		const see, login = http.StatusSeeOther, -1
		cases := []struct {
			path                         string
			anon, admin, contrib, viewer int
		}{
			{"/login", 200, see, see, see},
			{"/", login, see, see, see},
			{"/exports", login, 200, 200, 200},
			{"/exports/new", login, 200, 200, 403},
			{fmt.Sprintf("/exports/%d", f.sharedExp.ID), login, 200, 200, 200},
			{fmt.Sprintf("/exports/%d", f.privExp.ID), login, 200, 404, 404},
			{"/exports/999999", login, 404, 404, 404},
			{fmt.Sprintf("/runs/%d", f.sharedRun.ID), login, 200, 200, 200},
			{fmt.Sprintf("/runs/%d?status=ok", f.sharedRun.ID), login, 200, 200, 200},
			{fmt.Sprintf("/runs/%d?status=bogus", f.sharedRun.ID), login, 400, 400, 400},
			{fmt.Sprintf("/runs/%d", f.privRun.ID), login, 200, 404, 404},
			{fmt.Sprintf("/runs/%d/progress.json", f.sharedRun.ID), login, 200, 200, 200},
			{fmt.Sprintf("/runs/%d/progress.json", f.privRun.ID), login, 200, 404, 404},
			{fmt.Sprintf("/runs/%d/results.csv", f.sharedRun.ID), login, 200, 200, 200},
			{fmt.Sprintf("/runs/%d/results.csv", f.privRun.ID), login, 200, 404, 404},
			{fmt.Sprintf("/exports/%d/verify", f.sharedExp.ID), login, 200, 200, 403},
			{fmt.Sprintf("/exports/%d/verify", f.privExp.ID), login, 200, 404, 403},
			{"/explain", login, 200, 200, 200},
			{"/explain?email=nobody%40example.com", login, 200, 200, 200},
			{fmt.Sprintf("/explain?email=nobody%%40example.com&export=%d", f.privExp.ID), login, 200, 404, 404},
			{"/segments", login, 200, 200, 200},
			{"/segments/new", login, 200, 200, 403},
			{"/settings/system", login, 200, 200, 200},
			{"/admin/connections", login, 200, 403, 403},
			{"/admin/connections/new", login, 200, 403, 403},
			{fmt.Sprintf("/admin/connections/%d", f.private.ID), login, 200, 403, 403},
			{"/admin/connections/424242", login, 404, 403, 403},
			{"/admin/users", login, 200, 403, 403},
			{"/admin/audit", login, 200, 403, 403},
			{"/tokens", login, 200, 200, 200},
			{"/static/style.css", 200, 200, 200, 200},
			{"/static/app.js", 200, 200, 200, 200},
			{"/no/such/page", 404, 404, 404, 404},
		}
		for _, tc := range cases {
			for _, who := range []struct {
				name string
				c    *client
				want int
			}{{"anonymous", f.anon(), tc.anon}, {"admin", f.admin, tc.admin}, {"contributor", f.contrib, tc.contrib}, {"viewer", f.viewr, tc.viewer}} {
				res := who.c.get(tc.path)
				if who.want == login {
					require.Equal(t, see, res.status, "%s GET %s", who.name, tc.path)
					require.True(t, strings.HasPrefix(res.location, "/login?next="), "%s GET %s → %s", who.name, tc.path, res.location)
					continue
				}
				require.Equal(t, who.want, res.status, "%s GET %s: %s", who.name, tc.path, excerpt(res.body))
			}
		}
	})
}

// TestListsShowOnlyWhatTheRoleAllows checks the lists and buttons.
func TestListsShowOnlyWhatTheRoleAllows(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "")
	admin, contrib, viewer := f.admin.get("/exports").body, f.contrib.get("/exports").body, f.viewr.get("/exports").body
	contains(t, admin, "Secret export")
	contains(t, admin, "Team export")
	contains(t, admin, "Run now")
	contains(t, admin, "Add destination")
	notContains(t, contrib, "Secret export")
	contains(t, contrib, "Team export")
	contains(t, contrib, "Run now")
	notContains(t, viewer, "Secret export")
	contains(t, viewer, "Team export")
	notContains(t, viewer, "Run now")
	notContains(t, viewer, "Add destination")
	notContains(t, viewer, "<form method=\"post\" action=\"/exports")
	for _, body := range []string{contrib, viewer} {
		notContains(t, body, "/admin/connections", "no Connections entry for non-admins")
	}
	newExport := f.contrib.get("/exports/new").body
	contains(t, newExport, "Shared brand")
	notContains(t, newExport, "Private brand", "a contributor never sees an admin-only connection")
	require.Regexp(t, `Buyers <span class="muted">\d+ members`, newExport)
	require.NotContains(t, f.viewr.get("/segments").body, "Refresh")
	exp := f.viewr.get(fmt.Sprintf("/exports/%d", f.sharedExp.ID)).body
	notContains(t, exp, "Run now")
	notContains(t, exp, "Remove this export")
	contains(t, exp, "<svg", "the chart of the last runs")
}

// TestPostsByRole: the POST handlers refuse what a role may not do, even
// though the pages show no button for it.
func TestPostsByRole(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "")
	cases := []struct {
		who  *client
		path string
		want int
	}{
		{f.viewr, fmt.Sprintf("/exports/%d/run", f.sharedExp.ID), 403},
		{f.viewr, fmt.Sprintf("/exports/%d/cancel", f.sharedExp.ID), 403},
		{f.viewr, fmt.Sprintf("/exports/%d/remove", f.sharedExp.ID), 403},
		{f.viewr, fmt.Sprintf("/exports/%d/verify", f.sharedExp.ID), 403},
		{f.contrib, fmt.Sprintf("/exports/%d/verify", f.privExp.ID), 404},
		{f.viewr, "/exports", 403},
		{f.viewr, "/segments", 403},
		{f.viewr, "/segments/buyers/refresh", 403},
		{f.contrib, "/admin/connections", 403},
		{f.contrib, fmt.Sprintf("/admin/connections/%d/remove", f.shared.ID), 403},
		{f.contrib, fmt.Sprintf("/admin/connections/%d/check", f.shared.ID), 403},
		{f.contrib, "/admin/users", 403},
		{f.contrib, fmt.Sprintf("/exports/%d/run", f.privExp.ID), 404},
		{f.contrib, fmt.Sprintf("/exports/%d/remove", f.privExp.ID), 404},
		{f.anon(), fmt.Sprintf("/exports/%d/run", f.sharedExp.ID), http.StatusSeeOther},
	}
	for _, tc := range cases {
		res := tc.who.post(tc.path, url.Values{"name": {"x"}, "role": {"admin"}})
		require.Equal(t, tc.want, res.status, "POST %s: %s", tc.path, excerpt(res.body))
	}
	// Nothing changed.
	_, err := f.a.Store.GetExport(f.ctx, "Secret export")
	require.NoError(t, err)
	runs, err := f.a.Store.ListRuns(f.ctx, f.sharedExp.ID, 10)
	require.NoError(t, err)
	require.Len(t, runs, 1)
	// The contributor may run the shared export.
	res := f.contrib.post(fmt.Sprintf("/exports/%d/run", f.sharedExp.ID), nil)
	require.Equal(t, http.StatusSeeOther, res.status, excerpt(res.body))
	require.Regexp(t, `^/runs/\d+$`, res.location)
}

// TestCrossOriginPostRefused: a form posted from another site is refused.
func TestCrossOriginPostRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "")
	path := fmt.Sprintf("/exports/%d/run", f.sharedExp.ID)
	for name, h := range map[string]map[string]string{
		"sec-fetch-site cross-site": {"Sec-Fetch-Site": "cross-site"},
		"sec-fetch-site same-site":  {"Sec-Fetch-Site": "same-site"},
		"foreign origin":            {"Origin": "https://evil.example"},
	} {
		res := f.admin.postWith(path, nil, h)
		require.Equal(t, http.StatusForbidden, res.status, name)
	}
	res := f.anon().postWith("/login", url.Values{"email": {adminEmail}, "password": {password}}, map[string]string{"Origin": "https://evil.example"})
	require.Equal(t, http.StatusForbidden, res.status, "login CSRF")
	runs, err := f.a.Store.ListRuns(f.ctx, f.sharedExp.ID, 10)
	require.NoError(t, err)
	require.Len(t, runs, 1, "no run was queued")
	require.Equal(t, http.StatusSeeOther, f.admin.post(path, nil).status, "same origin works")
}

// TestFormsWithoutJavaScript walks the reference flows with plain form
// posts: add a connection (refused without consent), a segment with a
// preview, an export with a mapping, Run now, Cancel; each is audited.
func TestFormsWithoutJavaScript(t *testing.T) {
	onEachEngine(t, func(t *testing.T, dbURL string) {
		b := setup(t, setupOpts{dbURL: dbURL, profiles: 80})
		admin := b.login(adminEmail)
		conn := url.Values{"name": {"Acme"}, "access": {"contributors"}, "api_key": {sandboxKey}, "dialect": {"2026-03-15"},
			"base_url": {b.sbURL}, "export_user": {adminEmail}, "action": {"save"}}
		res := admin.post("/admin/connections", conn)
		require.Equal(t, http.StatusBadRequest, res.status)
		contains(t, res.body, "Consent to the privacy and compliance notice is required")
		notContains(t, res.body, sandboxKey)
		conn.Set("action", "connect")
		conn.Set("consent", "yes")
		res = admin.post("/admin/connections", conn)
		require.Equal(t, http.StatusOK, res.status, excerpt(res.body))
		contains(t, res.body, "the key works for brand Acme Store")
		conn.Set("action", "save")
		res = admin.post("/admin/connections", conn)
		require.Equal(t, http.StatusSeeOther, res.status, excerpt(res.body))
		page := admin.get(res.location).body
		contains(t, page, "saved: connected to brand Acme Store")
		contains(t, page, "••••"+sandboxKey[len(sandboxKey)-4:])
		res = admin.post("/admin/connections", conn)
		require.Equal(t, http.StatusConflict, res.status, "the name is taken")

		contrib := b.login(contributorEmail)
		res = contrib.post("/segments", url.Values{"name": {"Buyers"}, "rule": {"p.orders >= "}, "action": {"preview"}})
		require.Equal(t, http.StatusBadRequest, res.status)
		res = contrib.post("/segments", url.Values{"name": {"Buyers"}, "rule": {"p.orders >= 1"}, "action": {"preview"}})
		require.Equal(t, http.StatusOK, res.status)
		require.Regexp(t, `\d+ of 80 profiles match`, res.body)
		res = contrib.post("/segments", url.Values{"name": {"Buyers"}, "rule": {"p.orders >= 1"}, "action": {"save"}})
		require.Equal(t, http.StatusSeeOther, res.status, excerpt(res.body))
		seg, err := b.a.Store.GetSegment(b.ctx, "buyers")
		require.NoError(t, err)
		require.Positive(t, seg.MemberCount)

		c, err := b.a.Store.GetConnection(b.ctx, "Acme")
		require.NoError(t, err)
		form := url.Values{"name": {"Buyers to Acme"}, "connection": {fmt.Sprint(c.ID)}, "segment": {fmt.Sprint(seg.ID)},
			"map_email": {"email"},
			"field":     {"first_name", "", "custom", "consent", ""}, "property": {"", "", "ltv", "", ""},
			"attr":       {"first_name", "", "lifetime_value", "email_consent", ""},
			"tag_prefix": {"sb"}, "leave": {"untag"}, "schedule": {"cron"}, "cron": {"0 6 * * *"}, "time_zone": {"Europe/Prague"},
			"cap": {"5000"}, "active": {"yes"}}
		bad := url.Values{}
		for k, v := range form {
			bad[k] = v
		}
		bad.Set("map_email", "")
		res = contrib.post("/exports", bad)
		require.Equal(t, http.StatusBadRequest, res.status)
		besideField(t, res.body, "map_email", "required: name the profile attribute")
		res = contrib.post("/exports", form)
		require.Equal(t, http.StatusSeeOther, res.status, excerpt(res.body))
		e, err := b.a.Store.GetExport(b.ctx, "Buyers to Acme")
		require.NoError(t, err)
		require.Equal(t, export.Mapping{Email: "email", FirstName: "first_name", Custom: map[string]string{"ltv": "lifetime_value"},
			Consent: &export.ConsentMapping{Attribute: "email_consent"}}, e.Mapping)
		require.Equal(t, export.Schedule{Kind: export.ScheduleCron, Cron: "0 6 * * *", TimeZone: "Europe/Prague"}, e.Schedule)
		require.Equal(t, "sb", e.TagPrefix)
		require.Equal(t, 5000, e.ProfileCap)
		list := contrib.get("/exports").body
		contains(t, list, "Buyers to Acme")
		contains(t, list, "(cron)", "the next scheduled run")

		res = contrib.post(fmt.Sprintf("/exports/%d/run", e.ID), nil)
		require.Equal(t, http.StatusSeeOther, res.status)
		runPage := contrib.get(res.location)
		require.Equal(t, http.StatusOK, runPage.status)
		contains(t, runPage.body, `http-equiv="refresh"`, "without JavaScript the page refreshes itself")
		res = contrib.post(fmt.Sprintf("/exports/%d/run", e.ID), nil)
		require.Equal(t, http.StatusSeeOther, res.status)
		require.Contains(t, contrib.get(res.location).body, "already has a run in progress")
		res = contrib.post(fmt.Sprintf("/exports/%d/cancel", e.ID), nil)
		require.Equal(t, http.StatusSeeOther, res.status)
		runs, err := b.a.Store.ListRuns(b.ctx, e.ID, 5)
		require.NoError(t, err)
		require.Len(t, runs, 1)
		require.True(t, runs[0].CancelRequested)

		entries, err := b.a.Audit.List(b.ctx, audit.ListOptions{Limit: 100})
		require.NoError(t, err)
		var got []string
		for _, en := range entries {
			got = append(got, en.Actor+" "+en.Action+" "+en.Target)
		}
		require.Subset(t, got, []string{
			adminEmail + " connection.create Acme",
			contributorEmail + " segment.create Buyers",
			contributorEmail + " export.create Buyers to Acme",
			contributorEmail + " run.start Buyers to Acme",
			contributorEmail + " run.cancel Buyers to Acme",
		})
		require.Contains(t, admin.get("/admin/audit").body, "run.start")
	})
}

// TestUsersAndTokens: an admin adds a user and changes their role; a
// token is shown once and can be revoked.
func TestUsersAndTokens(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	admin := b.login(adminEmail)
	res := admin.post("/admin/users", url.Values{"email": {"new@example.com"}, "password": {"short"}, "role": {"viewer"}})
	require.Equal(t, http.StatusBadRequest, res.status)
	res = admin.post("/admin/users", url.Values{"email": {"new@example.com"}, "password": {password}, "role": {"viewer"}})
	require.Equal(t, http.StatusSeeOther, res.status, excerpt(res.body))
	u, err := b.a.Users.Get(b.ctx, "new@example.com")
	require.NoError(t, err)
	res = admin.post(fmt.Sprintf("/admin/users/%d/role", u.ID), url.Values{"role": {"contributor"}})
	require.Equal(t, http.StatusSeeOther, res.status)
	u, err = b.a.Users.Get(b.ctx, "new@example.com")
	require.NoError(t, err)
	require.Equal(t, "contributor", string(u.Role))
	res = admin.post(fmt.Sprintf("/admin/users/%d/remove", u.ID), nil)
	require.Equal(t, http.StatusSeeOther, res.status)
	_, err = b.a.Users.Get(b.ctx, "new@example.com")
	require.Error(t, err)

	viewer := b.login(viewerEmail)
	res = viewer.post("/tokens", url.Values{"name": {"nightly"}})
	require.Equal(t, http.StatusOK, res.status)
	i := strings.Index(res.body, `id="token-value"`)
	require.Positive(t, i, "the new token is shown")
	page := viewer.get("/tokens").body
	contains(t, page, "nightly")
	notContains(t, page, `id="token-value"`, "shown only once")
	tokens, err := b.a.Users.ListTokens(b.ctx, principalOf(t, b, viewerEmail))
	require.NoError(t, err)
	require.Len(t, tokens, 1)
	res = viewer.post(fmt.Sprintf("/tokens/%d/revoke", tokens[0].ID), nil)
	require.Equal(t, http.StatusSeeOther, res.status)
	tokens, err = b.a.Users.ListTokens(b.ctx, principalOf(t, b, viewerEmail))
	require.NoError(t, err)
	require.Empty(t, tokens)

	res = viewer.post("/logout", nil)
	require.Equal(t, http.StatusSeeOther, res.status)
	require.Equal(t, http.StatusSeeOther, viewer.get("/exports").status, "signed out")
	res = b.anon().post("/login", url.Values{"email": {viewerEmail}, "password": {"wrong password"}})
	require.Equal(t, http.StatusUnauthorized, res.status)
	contains(t, res.body, "Wrong e-mail or password")
}

// TestLoginNextStaysOnSite: the login redirect goes only to local paths.
func TestLoginNextStaysOnSite(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	for next, want := range map[string]string{"/segments": "/segments", "//evil.example/x": "/", "https://evil.example": "/", "/\\evil.example": "/"} {
		res := b.anon().post("/login", url.Values{"email": {adminEmail}, "password": {password}, "next": {next}})
		require.Equal(t, http.StatusSeeOther, res.status)
		require.Equal(t, want, res.location, next)
	}
}

func excerpt(s string) string {
	if i := strings.Index(s, `id="error-message"`); i >= 0 {
		s = s[i:]
	} else if i := strings.Index(s, `role="alert"`); i >= 0 {
		s = s[i:]
	}
	if len(s) > 400 {
		s = s[:400]
	}
	return s
}

// contains and notContains check a page without printing all of it.
func contains(t *testing.T, body, want string, msg ...any) {
	t.Helper()
	if !strings.Contains(body, want) {
		t.Fatalf("page lacks %q %v: %s", want, msg, excerpt(body))
	}
}

func notContains(t *testing.T, body, unwanted string, msg ...any) {
	t.Helper()
	if i := strings.Index(body, unwanted); i >= 0 {
		t.Fatalf("page has %q %v: …%s…", unwanted, msg, body[max(0, i-200):min(len(body), i+200)])
	}
}
