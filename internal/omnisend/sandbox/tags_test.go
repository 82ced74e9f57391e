package sandbox

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestTagEndpointsAsync(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *Config) { c.TagDelay = 5 * time.Second })
	a := b.api(http.MethodPost, "/api/contacts", contact2026("a@example.com", map[string]any{"tags": []string{"keep"}}))
	b.api(http.MethodPost, "/api/contacts", contact2026("b@example.com", nil))
	res := b.api(http.MethodPost, "/api/contacts/tags", map[string]any{
		"tags": []string{"vip", "new"}, "emails": []string{"A@example.com", "ghost@example.com"},
		"contactIDs": []string{a.body["id"].(string)}})
	require.Equal(t, http.StatusAccepted, res.status)
	require.Empty(t, res.raw)
	tags := func(email string) []any {
		r := b.api(http.MethodGet, "/api/contacts?email="+email, nil)
		return list(t, r.body, "contacts")[0].(map[string]any)["tags"].([]any)
	}
	require.Equal(t, []any{"keep"}, tags("a@example.com"), "not applied before the delay")
	b.clock.Advance(5 * time.Second)
	require.Equal(t, []any{"keep", "vip", "new"}, tags("a@example.com"))
	require.Equal(t, []any{}, tags("b@example.com"))

	// segmentID selects every member of the tag-based segment "vip".
	res = b.api(http.MethodDelete, "/api/contacts/tags", map[string]any{"tags": []string{"new", "vip"}, "segmentID": "seg-vip"})
	require.Equal(t, http.StatusAccepted, res.status)
	b.clock.Advance(5 * time.Second)
	require.Equal(t, []any{"keep"}, tags("a@example.com"))
}

func TestTagEndpointLimits(t *testing.T) {
	t.Parallel()
	b := setup(t)
	emails := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("e%d@example.com", i)
		}
		return out
	}
	cases := []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"emails": []string{"a@example.com"}}, "tags"},
		{map[string]any{"tags": []string{}, "emails": []string{"a@example.com"}}, "tags"},
		{map[string]any{"tags": manyTags(101), "emails": []string{"a@example.com"}}, "tags"},
		{map[string]any{"tags": []string{"t"}}, "contactIDs"},
		{map[string]any{"tags": []string{"t"}, "emails": emails(251)}, "emails"},
		{map[string]any{"tags": []string{"t"}, "contactIDs": emails(251)}, "contactIDs"},
		{map[string]any{"tags": []string{"t"}, "phones": []string{"123"}}, "phones.0"},
		{map[string]any{"tags": []string{"t"}, "emails": []string{"nope"}}, "emails.0"},
	}
	for _, tc := range cases {
		for _, m := range []string{http.MethodPost, http.MethodDelete} {
			res := b.api(m, "/api/contacts/tags", tc.body)
			require.Equal(t, http.StatusBadRequest, res.status, "%v", tc.body)
			require.Contains(t, fieldNames(t, res), tc.field)
		}
	}
	ok := map[string]any{"tags": manyTags(100), "emails": emails(250), "phones": []string{"+37060000000"}}
	require.Equal(t, http.StatusAccepted, b.api(http.MethodPost, "/api/contacts/tags", ok).status)
	require.Equal(t, http.StatusNotFound, b.v3(http.MethodPost, "/v3/contacts/tags", ok).status, "v3 has no tag endpoints")
}
