package web_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPasswords: everyone changes their own password on My account,
// giving the current one (a wrong one or a mismatched repetition is
// refused beside the form), which signs them out everywhere; an admin
// sets another user's password on Users.
func TestPasswords(t *testing.T) {
	onEachEngine(t, func(t *testing.T, dbURL string) {
		b := setup(t, setupOpts{dbURL: dbURL})
		vera, ada := b.login(viewerEmail), b.login(adminEmail)
		res := vera.get("/account")
		require.Equal(t, http.StatusOK, res.status)
		contains(t, res.body, viewerEmail)
		const next = "a brand new long password"
		res = vera.post("/account/password", url.Values{"current": {"wrong one entirely"}, "password": {next}, "repeat": {next}})
		require.Equal(t, http.StatusBadRequest, res.status)
		besideField(t, res.body, "current", "not right")
		res = vera.post("/account/password", url.Values{"current": {password}, "password": {next}, "repeat": {next + "!"}})
		require.Equal(t, http.StatusBadRequest, res.status)
		besideField(t, res.body, "repeat", "differs from the new password")
		res = vera.post("/account/password", url.Values{"current": {password}, "password": {"short"}, "repeat": {"short"}})
		require.Equal(t, http.StatusBadRequest, res.status)
		contains(t, res.body, "want at least 12 characters")
		res = vera.post("/account/password", url.Values{"current": {password}, "password": {next}, "repeat": {next}})
		require.Equal(t, http.StatusSeeOther, res.status, excerpt(res.body))
		require.Equal(t, "/login", res.location)
		res = vera.get("/exports")
		require.Equal(t, http.StatusSeeOther, res.status, "the old session ended")
		c := b.anon()
		res = c.post("/login", url.Values{"email": {viewerEmail}, "password": {next}, "next": {"/exports"}})
		require.Equal(t, http.StatusSeeOther, res.status)

		u, err := b.a.Users.Get(b.ctx, contributorEmail)
		require.NoError(t, err)
		res = ada.post("/admin/users/"+itoa(u.ID)+"/password", url.Values{"password": {"set by the admin here"}})
		require.Equal(t, http.StatusSeeOther, res.status)
		res = ada.get(res.location)
		contains(t, res.body, "The password of "+contributorEmail+" is set")
		res = ada.post("/admin/users/"+itoa(u.ID)+"/password", url.Values{"password": {"short"}})
		require.Equal(t, http.StatusBadRequest, res.status)
		besideField(t, res.body, "password-"+itoa(u.ID), "want at least 12 characters")
		res = b.anon().post("/login", url.Values{"email": {contributorEmail}, "password": {"set by the admin here"}, "next": {"/exports"}})
		require.Equal(t, http.StatusSeeOther, res.status)
		require.Equal(t, "/exports", res.location)
	})
}

// TestConnectionChange: an admin changes a connection's name, who may use
// it and its tagging on its page, and rotates its key (a key Omnisend
// refuses is not saved, and the page says so beside the form).
func TestConnectionChange(t *testing.T) {
	onEachEngine(t, func(t *testing.T, dbURL string) {
		f := newFixture(t, dbURL)
		path := "/admin/connections/" + itoa(f.shared.ID)
		res := f.admin.get(path)
		contains(t, res.body, `id="change-connection"`)
		res = f.admin.post(path, url.Values{"name": {"Team brand"}, "access": {"admins"}, "export_user": {adminEmail}, "tagging": {"upsert"}})
		require.Equal(t, http.StatusSeeOther, res.status, excerpt(res.body))
		res = f.admin.get(res.location)
		contains(t, res.body, `Connection &#34;Team brand&#34; saved: changed access, name.`)
		c, err := f.a.Store.GetConnection(f.ctx, "Team brand")
		require.NoError(t, err)
		require.Equal(t, "admins", string(c.Access))

		res = f.admin.post(path, url.Values{"name": {"Team brand"}, "access": {"admins"}, "export_user": {adminEmail}, "api_key": {"not-a-key-omnisend-knows-0000000000"}})
		require.Equal(t, http.StatusBadRequest, res.status, excerpt(res.body))
		notContains(t, res.body, "not-a-key-omnisend-knows")
		c2, err := f.a.Store.GetConnection(f.ctx, "Team brand")
		require.NoError(t, err)
		require.Equal(t, c.KeyLast4, c2.KeyLast4, "the refused key is not saved")
		res = f.admin.post(path, url.Values{"name": {"Team brand"}, "api_key": {sandboxKey}})
		require.Equal(t, http.StatusSeeOther, res.status, excerpt(res.body))
		res = f.admin.post(path, url.Values{"name": {""}})
		require.Equal(t, http.StatusSeeOther, res.status, "an empty field changes nothing")

		res = f.contrib.post(path, url.Values{"name": {"Mine now"}})
		require.Equal(t, http.StatusForbidden, res.status)
	})
}

// TestExportChange: an export's Change form comes filled in with every
// setting; saving it changes what was changed (a mistake is shown beside
// the form), and a viewer may not.
func TestExportChange(t *testing.T) {
	onEachEngine(t, func(t *testing.T, dbURL string) {
		f := newFixture(t, dbURL)
		path := "/exports/" + itoa(f.sharedExp.ID)
		res := f.contrib.get(path)
		contains(t, res.body, `href="`+path+`/edit"`)
		res = f.contrib.get(path + "/edit")
		require.Equal(t, http.StatusOK, res.status)
		contains(t, res.body, `value="Team export"`)
		contains(t, res.body, `action="`+path+`/edit"`)
		form := url.Values{"name": {"Team export renamed"}, "connection": {itoa(f.shared.ID)}, "segment": {itoa(f.sharedExp.Segments[0])},
			"map_email": {"email"}, "field": {"first_name"}, "attr": {"first_name"}, "property": {""},
			"tag_prefix": {"segbridge"}, "leave": {"keep"}, "schedule": {"manual"}, "cap": {"5000"}, "active": {"yes"},
			"consent_policy": {"keep"}, "brake_untag_percent": {"20"}, "brake_untag_min": {"50"}, "brake_skip_percent": {"50"}, "brake_drop_percent": {"50"}}
		res = f.contrib.post(path+"/edit", form)
		require.Equal(t, http.StatusSeeOther, res.status, excerpt(res.body))
		e, err := f.a.Store.GetExport(f.ctx, itoa(f.sharedExp.ID))
		require.NoError(t, err)
		require.Equal(t, "Team export renamed", e.Name)
		require.Equal(t, "first_name", e.Mapping.FirstName)
		require.Equal(t, 5000, e.ProfileCap)
		require.Equal(t, "keep", string(e.Leave))
		require.Equal(t, 20, e.Brake.UntagPercent)
		require.Equal(t, 50, e.Brake.UntagMin)

		form.Set("map_email", "e_mail")
		res = f.contrib.post(path+"/edit", form)
		require.Equal(t, http.StatusBadRequest, res.status)
		contains(t, res.body, "did you mean email?")
		contains(t, res.body, `action="`+path+`/edit"`, "the form stays the Change form")

		res = f.viewr.post(path+"/edit", form)
		require.Equal(t, http.StatusForbidden, res.status)
		res = f.contrib.get("/exports/" + itoa(f.privExp.ID) + "/edit")
		require.Equal(t, http.StatusNotFound, res.status, "an export on an admin-only connection does not exist for a contributor")
	})
}
