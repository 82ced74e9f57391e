package sandbox

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// seedContacts creates n contacts a0..a(n-1)@example.com; even ones are
// tagged "vip" and subscribed.
func seedContacts(b *bundle, n int) {
	for i := range n {
		tags := []string{"all"}
		status := "nonSubscribed"
		if i%2 == 0 {
			tags, status = append(tags, "vip"), "subscribed"
		}
		body := contact2026(fmt.Sprintf("a%d@example.com", i), map[string]any{"tags": tags})
		body["identifiers"].([]any)[0].(map[string]any)["channels"] = map[string]any{
			"email": map[string]any{"status": status, "statusChangedAt": "2024-01-01T00:00:00Z"}}
		require.Equal(b.t, http.StatusCreated, b.api(http.MethodPost, "/api/contacts", body).status)
		b.clock.Advance(time.Second)
	}
}

func TestListFilters(t *testing.T) {
	t.Parallel()
	b := setup(t)
	seedContacts(b, 6)
	count := func(d dialect, query string) int {
		prefix := map[dialect]string{dialect2026: "/api", dialectV3: "/v3"}[d]
		res := b.call(d, keyMain, http.MethodGet, prefix+"/contacts?"+query, nil)
		require.Equal(t, http.StatusOK, res.status, "%s", res.raw)
		return len(list(t, res.body, "contacts"))
	}
	for _, d := range []dialect{dialect2026, dialectV3} {
		require.Equal(t, 6, count(d, ""))
		require.Equal(t, 1, count(d, "email=A3@example.com"))
		require.Equal(t, 3, count(d, "tag=vip"))
		require.Equal(t, 3, count(d, "status=subscribed"))
		require.Equal(t, 3, count(d, "segmentID=seg-vip"))
		require.Equal(t, 0, count(d, "segmentID=unknown"))
		require.Equal(t, 2, count(d, "limit=2"))
	}
	for _, q := range []string{"limit=0", "limit=251", "status=gone", "tag=vip&status=subscribed",
		"updatedAtFrom=2026-01-01T00:00:00Z&tag=vip", "sort=name", "updatedAtFrom=yesterday"} {
		res := b.api(http.MethodGet, "/api/contacts?"+q, nil)
		require.Equal(t, http.StatusBadRequest, res.status, q)
	}
	require.Equal(t, http.StatusBadRequest, b.v3(http.MethodGet, "/v3/contacts?limit=300", nil).status)
	res := b.api(http.MethodGet, "/api/contacts?updatedAtFrom=2026-03-20T12:00:03Z", nil)
	require.Len(t, list(t, res.body, "contacts"), 3)
}

func TestListCursorPaging2026(t *testing.T) {
	t.Parallel()
	b := setup(t)
	seedContacts(b, 7)
	var got []string
	var before string
	path := "/api/contacts?limit=3"
	for path != "" {
		res := b.api(http.MethodGet, path, nil)
		for _, c := range list(t, res.body, "contacts") {
			got = append(got, c.(map[string]any)["email"].(string))
		}
		paging := res.body["paging"].(map[string]any)
		cursors := paging["cursors"].(map[string]any)
		path = ""
		if paging["hasMore"] == true {
			path = "/api/contacts?limit=3&after=" + url.QueryEscape(cursors["after"].(string))
		}
		if c, ok := cursors["before"].(string); ok {
			before = c
		}
	}
	require.Equal(t, []string{"a6@example.com", "a5@example.com", "a4@example.com", "a3@example.com",
		"a2@example.com", "a1@example.com", "a0@example.com"}, got, "default sort createdAt desc")
	res := b.api(http.MethodGet, "/api/contacts?limit=3&before="+url.QueryEscape(before), nil)
	emails := []string{}
	for _, c := range list(t, res.body, "contacts") {
		emails = append(emails, c.(map[string]any)["email"].(string))
	}
	require.Equal(t, []string{"a3@example.com", "a2@example.com", "a1@example.com"}, emails)
	res = b.api(http.MethodGet, "/api/contacts?limit=2&sort=updatedAt&direction=asc", nil)
	require.Equal(t, "a0@example.com", list(t, res.body, "contacts")[0].(map[string]any)["email"])
	require.Equal(t, http.StatusBadRequest, b.api(http.MethodGet, "/api/contacts?after=garbage!", nil).status)
}

func TestListPagingV3(t *testing.T) {
	t.Parallel()
	b := setup(t)
	seedContacts(b, 5)
	var got []string
	next := b.ts.URL + "/v3/contacts?limit=2"
	for next != "" {
		u, err := url.Parse(next)
		require.NoError(t, err)
		res := b.v3(http.MethodGet, u.RequestURI(), nil)
		for _, c := range list(t, res.body, "contacts") {
			got = append(got, c.(map[string]any)["email"].(string))
		}
		next, _ = res.body["paging"].(map[string]any)["next"].(string)
	}
	require.Equal(t, []string{"a0@example.com", "a1@example.com", "a2@example.com", "a3@example.com", "a4@example.com"}, got)
}
