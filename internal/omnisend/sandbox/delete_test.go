package sandbox

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestDeleteContacts: a deleted contact is gone from every lookup and
// listing, an upsert creates it again as new, and paging keys are never
// reused (a cursor issued before stays right).
func TestDeleteContacts(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, e := range []string{"a@x.com", "b@x.com", "c@x.com"} {
		b.api("POST", "/api/contacts", contact2026(e, map[string]any{"tags": []string{"t"}}))
	}
	require.Equal(t, 1, b.srv.DeleteContacts("brand-a", "C@x.com", "nobody@x.com"))
	require.Zero(t, b.srv.DeleteContacts("brand-b", "a@x.com"), "another brand's contacts are its own")
	res := b.call(dialectV3, keyMain, "DELETE", "/_sandbox/contacts?email=b@x.com&brand=brand-a", nil)
	require.Equal(t, http.StatusOK, res.status)
	require.Equal(t, float64(1), res.body["deleted"])

	got := b.api("GET", "/api/contacts?email=c@x.com", nil)
	require.Empty(t, list(t, got.body, "contacts"))
	got = b.api("GET", "/api/contacts?tag=t", nil)
	require.Len(t, list(t, got.body, "contacts"), 1)
	require.Len(t, b.srv.Contacts("brand-a"), 1)

	res = b.api("POST", "/api/contacts", contact2026("c@x.com", nil))
	require.Equal(t, http.StatusCreated, res.status, "sent again, it is a new contact")
	b.api("POST", "/api/contacts", contact2026("d@x.com", nil))
	emails := func(path string) []string {
		var out []string
		for _, c := range list(t, b.api("GET", path, nil).body, "contacts") {
			out = append(out, c.(map[string]any)["email"].(string))
		}
		return out
	}
	require.Equal(t, []string{"a@x.com", "c@x.com", "d@x.com"}, emails("/api/contacts?direction=asc&limit=10"))
	first := b.api("GET", "/api/contacts?direction=asc&limit=1", nil)
	after := first.body["paging"].(map[string]any)["cursors"].(map[string]any)["after"].(string)
	require.Equal(t, []string{"c@x.com", "d@x.com"}, emails("/api/contacts?direction=asc&limit=10&after="+after))
}
