package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"segbridge/internal/connection"
)

// TestNoPageShowsTheKey (acceptance 4): after a connection is added
// through the form, no page, form error, JSON answer or log line contains
// its API key.
func TestNoPageShowsTheKey(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{profiles: 40})
	admin := b.login(adminEmail)
	form := url.Values{"name": {"Acme"}, "access": {"contributors"}, "api_key": {sandboxKey}, "base_url": {b.sbURL},
		"export_user": {adminEmail}}
	var bodies []string
	for _, action := range []string{"save", "connect"} { // no consent: refused
		form.Set("action", action)
		bodies = append(bodies, admin.post("/admin/connections", form).body)
	}
	form.Set("consent", "yes")
	bodies = append(bodies, admin.post("/admin/connections", form).body) // connect: ok
	res := admin.post("/admin/connections/connect.json", form)
	require.Contains(t, res.body, `"brand":"Acme Store"`)
	bodies = append(bodies, res.body)
	form.Set("action", "save")
	res = admin.post("/admin/connections", form)
	require.Equal(t, http.StatusSeeOther, res.status, excerpt(res.body))
	bodies = append(bodies, admin.post("/admin/connections", form).body) // name taken
	wrong := url.Values{}
	for k, v := range form {
		wrong[k] = v
	}
	wrong.Set("name", "Other")
	wrong.Set("api_key", sandboxKey+"x") // a wrong key (that contains the real one)
	res = admin.post("/admin/connections", wrong)
	require.Equal(t, http.StatusBadRequest, res.status)
	bodies = append(bodies, res.body)

	c, err := b.a.Store.GetConnection(b.ctx, "Acme")
	require.NoError(t, err)
	seg := b.segment("Everyone", `has(p.email)`)
	e := b.export("Everyone to Acme", c, seg)
	require.Equal(t, http.StatusSeeOther, admin.post(fmt.Sprintf("/admin/connections/%d/check", c.ID), nil).status)
	r := (&fixture{bundle: b}).finishedRun(e)

	pages := []string{"/exports", "/exports/new", fmt.Sprintf("/exports/%d", e.ID), fmt.Sprintf("/runs/%d", r.ID),
		fmt.Sprintf("/runs/%d/progress.json", r.ID), fmt.Sprintf("/runs/%d/results.csv", r.ID), "/segments", "/segments/new",
		"/settings/system", "/admin/connections", "/admin/connections/new", fmt.Sprintf("/admin/connections/%d", c.ID),
		"/admin/users", "/admin/audit", "/tokens", "/login"}
	for _, who := range []*client{admin, b.login(contributorEmail), b.login(viewerEmail), b.anon()} {
		for _, p := range pages {
			bodies = append(bodies, who.get(p).body)
		}
	}
	require.Equal(t, http.StatusSeeOther, admin.post(fmt.Sprintf("/admin/connections/%d/remove", c.ID), nil).status)
	bodies = append(bodies, admin.get("/admin/connections").body, admin.get("/admin/audit").body, admin.get("/exports").body)

	last4 := connection.Last4(sandboxKey)
	require.Contains(t, strings.Join(bodies, "\n"), "••••"+last4, "the pages show the key's last 4 characters")
	for i, body := range bodies {
		require.NotContains(t, body, sandboxKey, "response %d shows the API key", i)
		require.NotContains(t, body, sandboxKey[:len(sandboxKey)-4], "response %d shows most of the API key", i)
	}
	logs := b.logs.String()
	require.NotEmpty(t, logs)
	require.NotContains(t, logs, sandboxKey, "a log line contains the API key")
	require.NotContains(t, logs, sandboxKey[:len(sandboxKey)-4])

	// And the database files hold it only sealed.
	files, err := filepath.Glob(filepath.Join(filepath.Dir(dbPath(t, b)), "*"))
	require.NoError(t, err)
	re := regexp.MustCompile(regexp.QuoteMeta(sandboxKey))
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		require.False(t, re.Match(data), "%s holds the key in clear text", f)
	}
}

// dbPath is the SQLite file of b.
func dbPath(t testing.TB, b *bundle) string {
	t.Helper()
	p, ok := strings.CutPrefix(b.a.DatabaseURL, "sqlite://")
	require.True(t, ok, b.a.DatabaseURL)
	return p
}
