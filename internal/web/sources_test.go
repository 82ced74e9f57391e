package web_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSourceSecretStaysHidden: a URL source's header secret entered in
// the form is used to read the feed and appears on no page, not in the
// logs; a wrong secret fails the read in plain words.
func TestSourceSecretStaysHidden(t *testing.T) {
	onEachEngine(t, func(t *testing.T, dbURL string) {
		const secret = "Bearer web-s3cret-value"
		feed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != secret {
				http.Error(w, "no", http.StatusForbidden)
				return
			}
			fmt.Fprint(w, "id,email\nF1,feed@example.com\n")
		}))
		t.Cleanup(feed.Close)
		b := setup(t, setupOpts{dbURL: dbURL})
		c := b.login(adminEmail)
		res := c.post("/admin/sources", url.Values{"name": {"Feed"}, "kind": {"url"}, "url": {feed.URL + "/members.csv"},
			"secret": {secret}, "id_column": {"id"}, "email_column": {"email"}, "match": {"email"}, "priority": {"0"}})
		require.Equal(t, http.StatusSeeOther, res.status, res.body)
		page := res.location
		res = c.post(page+"/run", url.Values{})
		require.Equal(t, http.StatusSeeOther, res.status)
		body := c.get(page).body
		require.Contains(t, body, "1 rows read (1 new")
		require.Contains(t, body, "stored encrypted")

		res = c.post(page, url.Values{"priority": {"2"}, "secret": {"Bearer wrong"}})
		require.Equal(t, http.StatusSeeOther, res.status)
		res = c.post(page+"/run", url.Values{})
		require.Equal(t, http.StatusSeeOther, res.status)
		body = c.get(page).body
		require.Contains(t, body, "refused the source&#39;s secret (HTTP 403)")
		for _, p := range []string{page, "/admin/sources", "/settings/system", "/profiles/feed@example.com"} {
			body := c.get(p).body
			require.NotContains(t, body, "s3cret", p)
			require.NotContains(t, body, "Bearer wrong", p)
		}
		require.False(t, strings.Contains(b.logs.String(), "s3cret"), "no secret in the logs")
	})
}
