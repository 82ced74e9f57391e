package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func batchBody(n int, mk func(i int) map[string]any) map[string]any {
	items := make([]any, n)
	for i := range items {
		items[i] = mk(i)
	}
	return map[string]any{"method": "POST", "endpoint": "contacts", "items": items}
}

func TestBatchLifecycle(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *Config) {
		c.Batches.StartDelay, c.Batches.ItemInterval = 10*time.Second, time.Second
	})
	body := batchBody(3, func(i int) map[string]any { return contact2026(fmt.Sprintf("b%d@example.com", i), nil) })
	body["items"].([]any)[1] = contact2026("broken", nil)
	res := b.api(http.MethodPost, "/api/batches", body)
	require.Equal(t, http.StatusCreated, res.status)
	require.EqualValues(t, 3, res.body["totalCount"])
	id := res.body["batchID"].(string)

	status := func() map[string]any { return b.api(http.MethodGet, "/api/batches/"+id, nil).body }
	require.Equal(t, "pending", status()["status"])
	require.Empty(t, b.srv.Contacts(""), "nothing applied while pending")
	b.clock.Advance(10 * time.Second)
	require.Equal(t, "inProgress", status()["status"])
	b.clock.Advance(time.Second)
	st := status()
	require.Equal(t, "inProgress", st["status"])
	require.EqualValues(t, 1, st["finishedCount"])
	require.Len(t, b.srv.Contacts(""), 1, "items apply at the batch's pace")
	b.clock.Advance(2 * time.Second)
	st = status()
	require.Equal(t, "finished", st["status"])
	require.EqualValues(t, 3, st["finishedCount"])
	require.EqualValues(t, 1, st["errorsCount"])
	require.NotEmpty(t, st["endedAt"])

	items := b.api(http.MethodGet, "/api/batches/"+id+"/items", nil).body
	errs, oks := list(t, items, "errors"), list(t, items, "responses")
	require.Len(t, errs, 1)
	require.Len(t, oks, 2)
	bad := errs[0].(map[string]any)
	require.Equal(t, "2", bad["itemID"])
	require.EqualValues(t, 400, bad["responseCode"])
	require.Equal(t, "identifiers.0.id", list(t, bad["response"].(map[string]any), "errors")[0].(map[string]any)["field"])
	require.EqualValues(t, 201, oks[0].(map[string]any)["responseCode"])

	listRes := b.api(http.MethodGet, "/api/batches?endpoint=contacts&status=finished", nil)
	require.Len(t, list(t, listRes.body, "batches"), 1)
	listRes = b.api(http.MethodGet, "/api/batches?endpoint=contacts&status=pending", nil)
	require.Empty(t, list(t, listRes.body, "batches"))
	require.Equal(t, http.StatusBadRequest, b.api(http.MethodGet, "/api/batches", nil).status, "endpoint is required")
	require.Equal(t, http.StatusNotFound, b.api(http.MethodGet, "/api/batches/nope", nil).status)
}

func TestBatchV3ItemsAndStop(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *Config) {
		c.Batches.StartDelay, c.Batches.ItemInterval, c.Batches.StopAfterErrors = time.Second, time.Second, 2
	})
	body := batchBody(5, func(i int) map[string]any {
		if i < 3 {
			return map[string]any{"identifiers": []any{map[string]any{"type": "email", "id": "x@example.com"}}} // no channels
		}
		return contactV3(fmt.Sprintf("v%d@example.com", i), nil)
	})
	res := b.v3(http.MethodPost, "/v3/batches", body)
	require.Equal(t, http.StatusOK, res.status)
	id := res.body["batchID"].(string)
	b.clock.Advance(time.Minute)
	st := b.v3(http.MethodGet, "/v3/batches/"+id, nil).body
	require.Equal(t, "stopped", st["status"], "stopped after too many errors")
	require.EqualValues(t, 2, st["finishedCount"])
	items := b.v3(http.MethodGet, "/v3/batches/"+id+"/items", nil).body
	e := list(t, items, "errors")[0].(map[string]any)
	require.Equal(t, "1 error(s) found. Check 'fields' array for details.", e["response"].(map[string]any)["error"])
	item := b.v3(http.MethodGet, "/v3/batches/"+id+"/items/1", nil).body
	require.EqualValues(t, 400, item["responseCode"])
	item = b.v3(http.MethodGet, "/v3/batches/"+id+"/items/5", nil).body
	require.Equal(t, "pending", item["status"])
	require.Equal(t, http.StatusNotFound, b.v3(http.MethodGet, "/v3/batches/"+id+"/items/6", nil).status)
	require.Len(t, list(t, b.v3(http.MethodGet, "/v3/batches?endpoint=contacts&status=stopped", nil).body, "batches"), 1)
}

func TestBatchSizeLimits(t *testing.T) {
	t.Parallel()
	b := setup(t)
	mk := func(i int) map[string]any { return contactV3(fmt.Sprintf("s%d@example.com", i), nil) }
	require.Equal(t, http.StatusCreated, b.api(http.MethodPost, "/api/batches", batchBody(100, mk)).status)
	res := b.api(http.MethodPost, "/api/batches", batchBody(101, mk))
	require.Equal(t, http.StatusBadRequest, res.status)
	require.Equal(t, []string{"items"}, fieldNames(t, res))
	require.Equal(t, http.StatusBadRequest, b.api(http.MethodPost, "/api/batches", batchBody(0, mk)).status)
	require.Equal(t, http.StatusOK, b.v3(http.MethodPost, "/v3/batches", batchBody(1000, mk)).status)
	res = b.v3(http.MethodPost, "/v3/batches", batchBody(1001, mk))
	require.Equal(t, http.StatusBadRequest, res.status)
	require.Equal(t, []string{"items"}, fieldNames(t, res))
	bad := batchBody(1, mk)
	bad["method"], bad["endpoint"] = "DELETE", "widgets"
	require.ElementsMatch(t, []string{"method", "endpoint"}, fieldNames(t, b.api(http.MethodPost, "/api/batches", bad)))
}

func TestBatchPutUpdatesOnly(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *Config) { c.Batches.StartDelay, c.Batches.ItemInterval = time.Millisecond, time.Millisecond })
	b.api(http.MethodPost, "/api/contacts", contact2026("known@example.com", nil))
	body := batchBody(2, func(i int) map[string]any {
		return contact2026([]string{"known@example.com", "unknown@example.com"}[i], map[string]any{"firstName": "Put"})
	})
	body["method"] = "PUT"
	id := b.api(http.MethodPost, "/api/batches", body).body["batchID"].(string)
	b.clock.Advance(time.Second)
	items := b.api(http.MethodGet, "/api/batches/"+id+"/items", nil).body
	require.EqualValues(t, 404, list(t, items, "errors")[0].(map[string]any)["responseCode"])
	require.Len(t, b.srv.Contacts(""), 1)
	require.Equal(t, "Put", b.srv.Contacts("")[0]["firstName"])
}

func TestBatchRetention(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.api(http.MethodPost, "/api/batches", batchBody(1, func(int) map[string]any {
		return contact2026("r@example.com", nil)
	})).body["batchID"].(string)
	b.clock.Advance(7*24*time.Hour + time.Minute)
	require.Equal(t, http.StatusNotFound, b.api(http.MethodGet, "/api/batches/"+id, nil).status)
	require.Len(t, b.srv.Contacts(""), 1)
}

// TestBatchAnswersShowTheContactWhenApplied: item answers are rendered
// when listed, yet show each contact as the item left it, whatever
// happened to it later (another item, a single call, a tag operation).
func TestBatchAnswersShowTheContactWhenApplied(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *Config) {
		c.Batches.StartDelay, c.Batches.ItemInterval, c.TagDelay = time.Second, time.Second, time.Second
	})
	first := b.api(http.MethodPost, "/api/batches", batchBody(2, func(i int) map[string]any {
		return contact2026(fmt.Sprintf("l%d@example.com", i), map[string]any{"firstName": "Before", "tags": []string{"a"}})
	})).body["batchID"].(string)
	b.clock.Advance(time.Minute)
	before := list(t, b.api(http.MethodGet, "/api/batches/"+first+"/items", nil).body, "responses")
	require.Len(t, before, 2)

	second := b.api(http.MethodPost, "/api/batches", batchBody(1, func(int) map[string]any {
		return contact2026("l0@example.com", map[string]any{"firstName": "Batch", "tags": []string{"b"}})
	})).body["batchID"].(string)
	b.clock.Advance(time.Minute)
	b.api(http.MethodPost, "/api/contacts", contact2026("l0@example.com", map[string]any{"firstName": "Single"}))
	require.Equal(t, http.StatusAccepted, b.api(http.MethodPost, "/api/contacts/tags",
		map[string]any{"emails": []string{"l1@example.com"}, "tags": []string{"vip"}}).status)
	b.clock.Advance(time.Minute)
	require.Equal(t, []string{"a", "vip"}, b.srv.Contacts("brand-a")[1]["tags"])

	after := list(t, b.api(http.MethodGet, "/api/batches/"+first+"/items", nil).body, "responses")
	require.Equal(t, before, after, "answers of the first batch are unchanged")
	resp := after[0].(map[string]any)["response"].(map[string]any)
	require.Equal(t, "Before", resp["firstName"])
	require.Equal(t, []any{"a"}, resp["tags"])
	resp = list(t, b.api(http.MethodGet, "/api/batches/"+second+"/items", nil).body, "responses")[0].(map[string]any)["response"].(map[string]any)
	require.Equal(t, "Batch", resp["firstName"])
	require.Equal(t, []any{"a", "b"}, resp["tags"])
}

// TestForgottenBatchReleasesContacts: a batch past retention no longer
// holds the answers its contacts point at.
func TestForgottenBatchReleasesContacts(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *Config) { c.Batches.StartDelay, c.Batches.ItemInterval = time.Millisecond, time.Millisecond })
	b.v3(http.MethodPost, "/v3/batches", batchBody(3, func(i int) map[string]any {
		return contactV3(fmt.Sprintf("f%d@example.com", i), nil)
	}))
	b.clock.Advance(time.Second)
	require.Len(t, b.srv.Contacts("brand-a"), 3) // advances: applies the items
	brand := b.srv.brands["brand-a"]
	brand.mu.Lock()
	require.NotNil(t, brand.order[0].answer)
	brand.mu.Unlock()
	b.clock.Advance(8 * 24 * time.Hour)
	require.Len(t, b.srv.Contacts("brand-a"), 3) // advances: forgets the batch
	brand.mu.Lock()
	defer brand.mu.Unlock()
	for _, c := range brand.order {
		require.Nil(t, c.answer)
	}
}

// TestNullBodyIsInvalid: a JSON null where a contact belongs is refused with
// a 400, alone or as a batch item, and the brand keeps answering.
func TestNullBodyIsInvalid(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *Config) { c.Batches.StartDelay, c.Batches.ItemInterval = time.Millisecond, time.Millisecond })
	null := json.RawMessage("null")
	require.Equal(t, http.StatusBadRequest, b.api(http.MethodPost, "/api/contacts", null).status)
	require.Equal(t, http.StatusBadRequest, b.v3(http.MethodPost, "/v3/contacts", null).status)

	body := batchBody(2, func(i int) map[string]any { return contact2026(fmt.Sprintf("n%d@example.com", i), nil) })
	body["items"].([]any)[0] = null
	res := b.api(http.MethodPost, "/api/batches", body)
	require.Equal(t, http.StatusBadRequest, res.status, "a null item is not a request body")
	require.Equal(t, "items.0", list(t, res.body, "errors")[0].(map[string]any)["field"])
	require.Equal(t, http.StatusCreated, b.api(http.MethodPost, "/api/contacts", contact2026("n9@example.com", nil)).status,
		"the brand keeps answering")
}
