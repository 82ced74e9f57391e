package sandbox

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// tagArrivals adds the tags t0…t9 to one contact in ten operations and
// returns the order in which they appear as the clock moves.
func tagArrivals(t *testing.T, seed int64, jitter time.Duration) []string {
	b := setup(t, func(c *Config) { c.TagDelay, c.TagJitter, c.Faults.Seed = time.Second, jitter, seed })
	b.api(http.MethodPost, "/api/contacts", contact2026("j@example.com", nil))
	for i := range 10 {
		res := b.api(http.MethodPost, "/api/contacts/tags", map[string]any{
			"tags": []string{fmt.Sprintf("t%d", i)}, "emails": []string{"j@example.com"}})
		require.Equal(t, http.StatusAccepted, res.status)
	}
	var order []string
	for range 120 { // 12 s in steps of 100 ms
		b.clock.Advance(100 * time.Millisecond)
		for _, tag := range b.srv.Contacts("brand-a")[0]["tags"].([]string) {
			if !slices.Contains(order, tag) {
				order = append(order, tag)
			}
		}
	}
	require.Len(t, order, 10, "every operation applied within TagDelay+TagJitter")
	return order
}

func TestTagJitterAppliesOutOfOrder(t *testing.T) {
	t.Parallel()
	inOrder := []string{"t0", "t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8", "t9"}
	require.Equal(t, inOrder, tagArrivals(t, 1, 0), "without jitter: in the order accepted")
	first := tagArrivals(t, 1, 10*time.Second)
	require.NotEqual(t, inOrder, first, "with jitter: out of order")
	require.Equal(t, first, tagArrivals(t, 1, 10*time.Second), "the same seed gives the same order")

	// An add and a remove of one tag may swap: the remove lands first and
	// the tag stays. Which seed shows it is fixed by the seed.
	b := setup(t, func(c *Config) { c.TagDelay, c.TagJitter, c.Faults.Seed = time.Second, 10*time.Second, 2 })
	b.api(http.MethodPost, "/api/contacts", contact2026("k@example.com", nil))
	sel := map[string]any{"tags": []string{"vip"}, "emails": []string{"k@example.com"}}
	b.api(http.MethodPost, "/api/contacts/tags", sel)
	b.api(http.MethodDelete, "/api/contacts/tags", sel)
	b.clock.Advance(12 * time.Second)
	require.Equal(t, []string{"vip"}, b.srv.Contacts("brand-a")[0]["tags"], "seed 2 applies the remove first")
}

func batchIDs(t *testing.T, res *result) []string {
	var ids []string
	for _, x := range list(t, res.body, "batches") {
		ids = append(ids, x.(map[string]any)["batchID"].(string))
	}
	return ids
}

func TestForeignBatchesCrowdTheList(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *Config) { c.ForeignBatches = 3 })
	one := func(email string) string {
		return b.api(http.MethodPost, "/api/batches", batchBody(1, func(int) map[string]any {
			return contact2026(email, nil)
		})).body["batchID"].(string)
	}
	first := one("f1@example.com")
	b.clock.Advance(time.Minute)
	second := one("f2@example.com")
	res := b.api(http.MethodGet, "/api/batches?endpoint=contacts", nil)
	ids := batchIDs(t, res)
	require.Len(t, ids, 8)
	require.Equal(t, second, ids[0], "newest first")
	require.Equal(t, first, ids[4], "three foreign batches between the client's two")
	for i, x := range list(t, res.body, "batches") {
		m := x.(map[string]any)
		if i == 0 || i == 4 {
			require.NotContains(t, m, "origin")
			continue
		}
		require.Equal(t, "other-integration", m["origin"])
		require.Equal(t, "finished", m["status"])
		require.Equal(t, m["totalCount"], m["finishedCount"])
		require.Equal(t, http.StatusOK, b.api(http.MethodGet, "/api/batches/"+m["batchID"].(string), nil).status)
	}
	var paged []string
	for off := 0; off < 9; off += 3 {
		paged = append(paged, batchIDs(t, b.api(http.MethodGet, fmt.Sprintf("/api/batches?endpoint=contacts&limit=3&offset=%d", off), nil))...)
	}
	require.Equal(t, ids, paged)
	b.clock.Advance(time.Minute)
	require.Len(t, b.srv.Contacts("brand-a"), 2, "foreign batches change no contact")
	v3 := b.v3(http.MethodGet, "/v3/batches?endpoint=contacts", nil)
	require.Len(t, list(t, v3.body, "batches"), 8)
}
