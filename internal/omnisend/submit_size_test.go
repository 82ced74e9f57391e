package omnisend

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// wideContact has 40 custom properties with long names and values: about
// 3.4 KB encoded, so a v3 batch of 1,000 would be about 3.4 MB.
func wideContact(i int) Contact {
	props := make(map[string]any, 40)
	for p := range 40 {
		name := fmt.Sprintf("segbridge_attribute_with_a_long_descriptive_name_%02d", p)
		props[name] = fmt.Sprintf("%05d-%02d-%s", i, p, strings.Repeat("v", 12))
	}
	c := testContact(i)
	c.CustomProperties = props
	return c
}

// batchBodies returns the size of every POST /batches body the client sent.
func batchBodies(b *testBundle) []int {
	var sizes []int
	for _, r := range b.rec.requests() {
		if r.method == http.MethodPost && strings.HasSuffix(r.url.Path, "/batches") {
			sizes = append(sizes, len(r.body))
		}
	}
	return sizes
}

func TestSubmitContactsSplitsWideV3BatchesBySize(t *testing.T) {
	t.Parallel()
	b := setup(t)
	contacts := make([]Contact, 1000)
	for i := range contacts {
		contacts[i] = wideContact(i)
	}
	exportAll(t.Context(), t, b.clients[DialectV3], contacts)

	sizes := batchBodies(b)
	total, largest := 0, 0
	for _, n := range sizes {
		total += n
		largest = max(largest, n)
	}
	require.Greater(t, total, 3*DefaultMaxBatchBytes, "the 1,000 contacts need over 3 MB")
	require.LessOrEqual(t, largest, DefaultMaxBatchBytes, "no batch body over 1 MB")
	require.GreaterOrEqual(t, len(sizes), 4, "so one run of 1,000 became several batches")
	for _, r := range b.srv.Requests() {
		if r.Route == "POST /v3/batches" {
			require.LessOrEqual(t, r.BodyBytes, DefaultMaxBatchBytes, "the sandbox saw the same")
			require.Equal(t, http.StatusOK, r.Status)
		}
	}
	got := b.sandboxContacts()
	require.Len(t, got, 1000, "every contact arrived")
	for i, ct := range contacts {
		props, _ := got[NormalizeEmail(ct.Email)]["customProperties"].(map[string]any)
		require.Len(t, props, 40, "contact %d", i)
		require.Equal(t, ct.CustomProperties["segbridge_attribute_with_a_long_descriptive_name_39"],
			props["segbridge_attribute_with_a_long_descriptive_name_39"])
	}
	t.Logf("%d contacts, %d bytes in %d batches, largest %d bytes", len(contacts), total, len(sizes), largest)
}

func TestSubmitContactsRespectsMaxBatchBytes(t *testing.T) {
	t.Parallel()
	const limit = 8000
	b := setup(t, func(o *setupOpts) { o.client = func(c *Config) { c.MaxBatchBytes = limit } })
	c := b.clients[Dialect20260315]
	contacts := make([]Contact, 250)
	for i := range contacts {
		contacts[i] = testContact(i)
	}
	huge := testContact(999)
	huge.CustomProperties = map[string]any{"notes": strings.Repeat("x", limit)}
	contacts[100] = huge
	res, err := c.SubmitContacts(t.Context(), contacts)
	require.NoError(t, err)
	require.Len(t, res.Rejected, 1, "the one contact too large for any batch")
	require.Equal(t, NormalizeEmail(huge.Email), res.Rejected[0].Email)
	require.ErrorContains(t, res.Rejected[0].Err, "more than MaxBatchBytes (8000)")
	require.False(t, IsRetryable(res.Rejected[0].Err))

	sent := 0
	var order []string
	for _, sb := range res.Batches {
		require.LessOrEqual(t, len(sb.Emails), 100, "and never more than the dialect's items")
		sent += len(sb.Emails)
		order = append(order, sb.Emails...)
	}
	require.Equal(t, 249, sent)
	want := emailsOfContacts(append(append([]Contact(nil), contacts[:100]...), contacts[101:]...))
	require.Equal(t, want, order, "in order")
	for _, n := range batchBodies(b) {
		require.LessOrEqual(t, n, limit)
	}
	require.Greater(t, len(res.Batches), 3, "100-item runs were split by size")

	// SubmitBatch refuses an oversized batch without sending it.
	before := len(b.rec.requests())
	_, err = c.SubmitBatch(t.Context(), contacts[:60])
	require.ErrorContains(t, err, "more than MaxBatchBytes (8000)")
	require.False(t, IsRetryable(err))
	require.Len(t, b.rec.requests(), before)
}

func emailsOfContacts(cs []Contact) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = NormalizeEmail(c.Email)
	}
	return out
}

func TestBatchBodySizeIsExact(t *testing.T) {
	t.Parallel()
	c, err := New(Config{APIKey: NewSecret("k"), Dialect: DialectV3})
	require.NoError(t, err)
	cs := []Contact{wideContact(1), testContact(2), {Email: "<tag>&@example.com", FirstName: "Zoë \"Q\""}}
	for n := 1; n <= len(cs); n++ {
		items, err := c.encodeItems(cs[:n])
		require.NoError(t, err)
		raw := make([]json.RawMessage, n)
		for i, it := range items {
			raw[i] = it.raw
		}
		body, err := json.Marshal(createBatchRaw{Method: http.MethodPost, Endpoint: "contacts", Items: raw})
		require.NoError(t, err)
		require.Equal(t, len(body), batchBodySize(items), "%d items", n)
	}
	runs, tooBig := splitBySize([]batchItem{{raw: make(json.RawMessage, 10)}, {raw: make(json.RawMessage, 10)}, {raw: make(json.RawMessage, 100)},
		{raw: make(json.RawMessage, 10)}}, batchEnvelope+21)
	require.Len(t, tooBig, 1)
	require.Len(t, runs, 2, "the too-big item splits the run")
	require.Len(t, runs[0], 2, "10 + comma + 10 fit exactly")
}

func TestConfigMaxBatchBytes(t *testing.T) {
	t.Parallel()
	require.Equal(t, 1_000_000, Config{}.WithDefaults().MaxBatchBytes)
	_, err := New(Config{APIKey: NewSecret("k"), MaxBatchBytes: 100})
	require.EqualError(t, err, "omnisend: config: MaxBatchBytes: must be at least 1024, got 100")
}
