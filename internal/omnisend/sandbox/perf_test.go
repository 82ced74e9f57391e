package sandbox

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestManyContacts loads 20,000 contacts through v3 batches and pages
// through them: the stores stay O(1) per contact.
func TestManyContacts(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("-short")
	}
	b := setup(t, func(c *Config) {
		c.Batches.StartDelay, c.Batches.ItemInterval, c.RateLimit.General = time.Nanosecond, time.Nanosecond, 1<<20
	})
	b.spec = nil // 20 MB of spec validation would dominate
	start := time.Now()
	for n := range 20 {
		body := batchBody(1000, func(i int) map[string]any { return contactV3(fmt.Sprintf("m%d-%d@example.com", n, i), nil) })
		require.Equal(t, http.StatusOK, b.v3(http.MethodPost, "/v3/batches", body).status)
	}
	b.clock.Advance(time.Second)
	require.Equal(t, 20000, b.srv.Stats().Brands["brand-a"].Contacts)
	pages := 0
	for next := "/api/contacts?limit=250"; next != ""; pages++ {
		res := b.api(http.MethodGet, next, nil)
		next = ""
		if after, ok := res.body["paging"].(map[string]any)["cursors"].(map[string]any)["after"].(string); ok {
			next = "/api/contacts?limit=250&after=" + after
		}
	}
	require.Equal(t, 80, pages)
	t.Logf("20k contacts loaded and paged in %s", time.Since(start))
}
