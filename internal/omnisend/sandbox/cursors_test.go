package sandbox

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"
)

// page2026 pages GET /api/contacts with limit 5 and returns the e-mails and
// the cursors handed out.
func page2026(t *testing.T, b *bundle) (emails, cursors []string) {
	path := "/api/contacts?limit=5"
	for path != "" {
		res := b.api(http.MethodGet, path, nil)
		for _, c := range list(t, res.body, "contacts") {
			emails = append(emails, c.(map[string]any)["email"].(string))
		}
		paging := res.body["paging"].(map[string]any)
		path = ""
		if paging["hasMore"] == true {
			after := paging["cursors"].(map[string]any)["after"].(string)
			cursors = append(cursors, after)
			path = "/api/contacts?limit=5&after=" + url.QueryEscape(after)
		}
	}
	return emails, cursors
}

func TestOpaqueCursors(t *testing.T) {
	t.Parallel()
	opaque := func(c *Config) { c.Cursors = CursorsOpaque }
	plain := setup(t)
	seedContacts(plain, 12)
	want, plainCursors := page2026(t, plain)
	require.Len(t, want, 12)
	_, decodable := decodeCursor(plainCursors[0])
	require.True(t, decodable, "plain cursors are readable positions")

	b := setup(t, opaque)
	seedContacts(b, 12)
	got, cursors := page2026(t, b)
	require.Equal(t, want, got, "opaque cursors page the same contacts")
	require.Len(t, cursors, 2)
	for _, c := range cursors {
		_, decodable := decodeCursor(c)
		require.False(t, decodable, "%q must not be a readable position", c)
	}
	require.Equal(t, http.StatusBadRequest, b.api(http.MethodGet, "/api/contacts?limit=5&after="+plainCursors[0], nil).status,
		"a cursor the client made up is refused")
	b2 := setup(t, opaque)
	seedContacts(b2, 12)
	_, again := page2026(t, b2)
	require.Equal(t, cursors, again, "the same seed and requests give the same cursors")

	// v3: next links carry an opaque after=, and a contact ID is no cursor.
	var emails []string
	next := b.ts.URL + "/v3/contacts?limit=5"
	for next != "" {
		u, err := url.Parse(next)
		require.NoError(t, err)
		res := b.v3(http.MethodGet, u.RequestURI(), nil)
		for _, c := range list(t, res.body, "contacts") {
			m := c.(map[string]any)
			emails = append(emails, m["email"].(string))
			require.NotEqual(t, m["contactID"], u.Query().Get("after"))
		}
		next, _ = res.body["paging"].(map[string]any)["next"].(string)
	}
	require.Len(t, emails, 12)
	id := b.srv.Contacts("brand-a")[0]["id"].(string)
	require.Equal(t, http.StatusBadRequest, b.v3(http.MethodGet, "/v3/contacts?after="+id, nil).status)
	require.Equal(t, http.StatusOK, plain.v3(http.MethodGet, "/v3/contacts?after="+id, nil).status,
		"plain v3 cursors are contact IDs (today's behaviour)")
}
