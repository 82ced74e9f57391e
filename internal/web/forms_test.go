package web_test

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"segbridge/internal/connection"
)

// besideField asserts that the page shows an error containing want beside
// the field with id: the message right there (case aside: it starts with
// a capital), the field marked invalid and pointing to it, and the summary
// at the top linking to the field.
func besideField(t *testing.T, body, id, want string) {
	t.Helper()
	m := regexp.MustCompile(`<p class="field-error" id="` + regexp.QuoteMeta(id) + `-error">(.*?)</p>`).FindStringSubmatch(body)
	require.NotNil(t, m, "no error beside %s: %s", id, excerpt(body))
	require.Contains(t, strings.ToLower(html.UnescapeString(m[1])), strings.ToLower(want), "the error beside %s", id)
	el := regexp.MustCompile(`<(?:input|select|textarea)\b[^>]*\bid="` + regexp.QuoteMeta(id) + `"[^>]*>`).FindString(body)
	require.NotEmpty(t, el, "no field %s", id)
	require.Contains(t, el, `aria-invalid="true"`, "field %s is marked invalid", id)
	require.Contains(t, el, `aria-describedby="`+id+`-error"`, "field %s points to its error", id)
	require.Regexp(t, `(?s)<div class="error-summary".*<a href="#`+regexp.QuoteMeta(id)+`">`, body, "the summary links to %s", id)
}

// summaryCount is how many problems the summary at the top lists.
func summaryCount(body string) int {
	return strings.Count(body, `<li class="problem">`)
}

// TestFieldErrorsAllAtOnce: a form posted with several bad fields comes
// back with the values typed and every problem beside its own field, all
// at once, listed in the summary at the top; nothing is saved. On both
// storage engines.
func TestFieldErrorsAllAtOnce(t *testing.T) {
	onEachEngine(t, func(t *testing.T, dbURL string) {
		b := setup(t, setupOpts{dbURL: dbURL, profiles: 10})
		seg := b.segment("Buyers", `p.orders >= 1`)
		c := b.connection("Acme", connection.AccessContributors)
		admin := b.login(adminEmail)

		t.Run("export", func(t *testing.T) {
			form := url.Values{"name": {""}, "connection": {fmt.Sprint(c.ID)}, "segment": {fmt.Sprint(seg.ID)},
				"map_email": {"email"}, "field": {"first_name", "custom"}, "property": {"", ""}, "attr": {"first_name", "orders"},
				"leave": {"untag"}, "schedule": {"cron"}, "cron": {"every day"}, "time_zone": {"Mars/Olympus"},
				"cap": {"lots"}, "brake_untag_percent": {"ten"}, "brake_untag_min": {"100"}, "brake_skip_percent": {"50"},
				"brake_drop_percent": {"150"}, "active": {"yes"}}
			res := admin.post("/exports", form)
			require.Equal(t, http.StatusBadRequest, res.status, excerpt(res.body))
			besideField(t, res.body, "name", "required")
			besideField(t, res.body, "cap", "want a whole number")
			besideField(t, res.body, "time_zone", `unknown time zone "Mars/Olympus"`)
			besideField(t, res.body, "brake_untag_percent", "want a whole number")
			besideField(t, res.body, "brake_drop_percent", "150: want a percentage from 0 to 100")
			besideField(t, res.body, "property-1", "name the Omnisend custom property")
			require.Equal(t, 6, summaryCount(res.body), "one line per problem in the summary")
			contains(t, res.body, `value="lots"`, "the values typed are kept")
			contains(t, res.body, `value="every day"`)
			exps, err := b.a.Store.ListExports(b.ctx)
			require.NoError(t, err)
			require.Empty(t, exps, "nothing saved")
		})

		t.Run("segment", func(t *testing.T) {
			res := admin.post("/segments", url.Values{"name": {"  "}, "kind": {"rule"}, "rule": {"p.orders >="}, "action": {"save"}})
			require.Equal(t, http.StatusBadRequest, res.status, excerpt(res.body))
			besideField(t, res.body, "name", "")
			besideField(t, res.body, "rule", "")
			require.Equal(t, 2, summaryCount(res.body))
			contains(t, res.body, "p.orders &gt;=", "the rule typed is kept")
		})

		t.Run("user", func(t *testing.T) {
			res := admin.post("/admin/users", url.Values{"email": {"not-an-address"}, "password": {"short"}, "role": {"boss"}})
			require.Equal(t, http.StatusBadRequest, res.status, excerpt(res.body))
			besideField(t, res.body, "email", "")
			besideField(t, res.body, "password", "")
			besideField(t, res.body, "role", "")
			contains(t, res.body, `value="not-an-address"`)
		})

		t.Run("token", func(t *testing.T) {
			res := admin.post("/tokens", url.Values{"name": {""}, "expires": {"soon"}})
			require.Equal(t, http.StatusBadRequest, res.status, excerpt(res.body))
			besideField(t, res.body, "token-name", "say what the token is for")
			besideField(t, res.body, "expires", "choose one of the offered lifetimes")
			ts, err := b.a.Users.ListAllTokens(b.ctx)
			require.NoError(t, err)
			require.Empty(t, ts, "no token made")
		})

		t.Run("source", func(t *testing.T) {
			res := admin.post("/admin/sources", url.Values{"name": {"-bad"}, "kind": {"url"}, "url": {"ftp://x"}, "id_column": {""},
				"priority": {"high"}})
			require.Equal(t, http.StatusBadRequest, res.status, excerpt(res.body))
			besideField(t, res.body, "name", "starts with a letter or digit")
			besideField(t, res.body, "id_column", "name the column")
			besideField(t, res.body, "priority", "want a whole number from -1000 to 1000")
			besideField(t, res.body, "url", "want an http:// or https:// address")
		})

		t.Run("rule", func(t *testing.T) {
			res := admin.post("/settings/notifications/rules", url.Values{"kind": {"run_slow"}, "percent": {"x"}, "count": {"y"}, "duration": {"z"}})
			require.Equal(t, http.StatusBadRequest, res.status, excerpt(res.body))
			besideField(t, res.body, "rule-percent", "want a number")
			besideField(t, res.body, "rule-count", "want a whole number")
			besideField(t, res.body, "rule-duration", "want a duration")
		})
	})
}

// TestFlashQuotes: quotes in a flash message reach the page escaped once,
// so that the browser shows them as quotes, never as &#34;.
func TestFlashQuotes(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{profiles: 10})
	seg := b.segment("Buyers", `p.orders >= 1`)
	c := b.connection("Acme", connection.AccessContributors)
	admin := b.login(adminEmail)
	res := admin.post("/exports", url.Values{"name": {`The "best" buyers`}, "connection": {fmt.Sprint(c.ID)}, "segment": {fmt.Sprint(seg.ID)},
		"map_email": {"email"}, "leave": {"untag"}, "schedule": {"manual"}, "cap": {"5000"}, "active": {"yes"}})
	require.Equal(t, http.StatusSeeOther, res.status, excerpt(res.body))
	page := admin.get(res.location)
	flash := regexp.MustCompile(`<p class="flash"[^>]*id="flash">(.*?)</p>`).FindStringSubmatch(page.body)
	require.NotNil(t, flash, excerpt(page.body))
	require.NotContains(t, flash[1], "&amp;", "escaped once only")
	require.Contains(t, html.UnescapeString(flash[1]), `Export "The "best" buyers" saved.`, "quotes as typed, not escaped with backslashes")
}
