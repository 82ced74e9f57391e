package web_test

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"segbridge/internal/audit"
	"segbridge/internal/connection"
)

// connectionForm is a complete Add connection form to the sandbox.
func connectionForm(b *bundle, action string) url.Values {
	return url.Values{"name": {"Acme"}, "access": {"admins"}, "api_key": {sandboxKey}, "base_url": {b.sbURL},
		"export_user": {adminEmail}, "consent": {"yes"}, "action": {action}}
}

// TestConnectionFormBadInput: a bad base URL or an export user who is not
// an admin is bad input beside its field, not a server error, on both
// buttons and on the script's Connect; nothing is saved.
func TestConnectionFormBadInput(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	admin := b.login(adminEmail)
	for _, bad := range []struct{ field, value, want string }{
		{"base_url", "not a url", `Base URL: base URL "not a url": want an absolute http(s) URL`},
		{"base_url", "ftp://example.com", `Base URL: base URL "ftp://example.com": want an absolute http(s) URL`},
		{"export_user", contributorEmail, "Export user: " + contributorEmail + " is not an admin of segbridge but a contributor"},
		{"export_user", "nobody@example.com", "Export user: nobody@example.com is not an admin of segbridge"},
	} {
		for _, action := range []string{"save", "connect"} {
			form := connectionForm(b, action)
			form.Set(bad.field, bad.value)
			res := admin.post("/admin/connections", form)
			require.Equal(t, http.StatusBadRequest, res.status, "%s %q (%s): %s", bad.field, bad.value, action, excerpt(res.body))
			label, msg, _ := strings.Cut(bad.want, ": ")
			besideField(t, res.body, bad.field, msg)
			contains(t, html.UnescapeString(res.body), `<a href="#`+bad.field+`">`+label+`</a>: `+msg, "the summary names the field")
			notContains(t, res.body, sandboxKey)
		}
		form := connectionForm(b, "connect")
		form.Set(bad.field, bad.value)
		res := admin.post("/admin/connections/connect.json", form)
		require.Equal(t, http.StatusOK, res.status)
		require.Contains(t, res.body, `"error":`)
	}
	conns, err := b.a.Store.ListConnections(b.ctx)
	require.NoError(t, err)
	require.Empty(t, conns, "nothing saved")
}

// TestConnectionAndUserChangesAskTheService: the web UI lets any signed-in
// user post a change to a connection or a user; the service's permission
// table refuses non-admins, and records one entry per change.
func TestConnectionAndUserChangesAskTheService(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	c := b.connection("Acme", connection.AccessContributors)
	carl, vera := b.login(contributorEmail), b.login(viewerEmail)
	vu := principalOf(t, b, viewerEmail)
	for _, who := range []*client{carl, vera} {
		for _, path := range []string{"/admin/connections", "/admin/connections/connect.json",
			fmt.Sprintf("/admin/connections/%d/check", c.ID), fmt.Sprintf("/admin/connections/%d/remove", c.ID),
			"/admin/users", fmt.Sprintf("/admin/users/%d/role", vu.UserID), fmt.Sprintf("/admin/users/%d/remove", vu.UserID)} {
			form := connectionForm(b, "save")
			form.Set("email", "new@example.com")
			form.Set("password", password)
			form.Set("role", "admin")
			res := who.post(path, form)
			require.Equal(t, http.StatusForbidden, res.status, path)
			contains(t, res.body, "nly admins may")
		}
	}
	res := carl.post("/admin/users/424242/role", url.Values{"role": {"admin"}})
	require.Equal(t, http.StatusForbidden, res.status, "who is a user does not leak")

	admin := b.login(adminEmail)
	require.Equal(t, http.StatusSeeOther, admin.post(fmt.Sprintf("/admin/connections/%d/check", c.ID), nil).status)
	require.Equal(t, http.StatusSeeOther, admin.post(fmt.Sprintf("/admin/users/%d/role", vu.UserID), url.Values{"role": {"contributor"}}).status)
	require.Equal(t, http.StatusSeeOther, admin.post(fmt.Sprintf("/admin/connections/%d/remove", c.ID), nil).status)
	es, err := b.a.Audit.List(b.ctx, audit.ListOptions{})
	require.NoError(t, err)
	var got []string
	for _, e := range es {
		got = append(got, e.Actor+" "+e.Action+" "+e.Target)
	}
	require.Equal(t, []string{adminEmail + " connection.remove Acme", adminEmail + " user.set_role " + viewerEmail,
		adminEmail + " connection.check Acme"}, got)
}
