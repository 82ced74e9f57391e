package sandbox

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

func getRaw(t *testing.T, b *bundle, method, path string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, b.ts.URL+path, nil)
	require.NoError(t, err)
	resp, err := b.ts.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, raw
}

func ndjson(t *testing.T, raw []byte) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		var m map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &m))
		out = append(out, m)
	}
	return out
}

func TestInspection(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.api(http.MethodPost, "/api/contacts", contact2026("a@example.com", nil))
	b.call(dialect2026, keyOther, http.MethodPost, "/api/contacts", contact2026("b@example.com", nil))
	b.call(dialect2026, "bad", http.MethodGet, "/api/contacts", nil)

	status, raw := getRaw(t, b, http.MethodGet, "/_sandbox/contacts")
	require.Equal(t, http.StatusOK, status)
	all := ndjson(t, raw)
	require.Len(t, all, 2)
	require.Equal(t, "brand-a", all[0]["brandID"])
	_, raw = getRaw(t, b, http.MethodGet, "/_sandbox/contacts?brand=brand-b")
	require.Len(t, ndjson(t, raw), 1)

	_, raw = getRaw(t, b, http.MethodGet, "/_sandbox/requests")
	reqs := ndjson(t, raw)
	require.Len(t, reqs, 3)
	require.EqualValues(t, 401, reqs[2]["status"])

	_, raw = getRaw(t, b, http.MethodGet, "/_sandbox/stats")
	var st Stats
	require.NoError(t, json.Unmarshal(raw, &st))
	require.Equal(t, 2, st.Requests["POST /api/contacts"]["201"])
	require.Equal(t, 1, st.Requests["GET /api/contacts"]["401"])
	require.Equal(t, 1, st.Brands["brand-a"].Limits[limitGeneral].Busiest)
	require.Equal(t, 400, st.Brands["brand-a"].Limits[limitGeneral].Limit)
	require.Equal(t, 60, st.Brands["brand-a"].Limits[limitTags].Limit)

	status, _ = getRaw(t, b, http.MethodPost, "/_sandbox/reset")
	require.Equal(t, http.StatusNoContent, status)
	require.Empty(t, b.srv.Contacts(""))
	require.Empty(t, b.srv.Requests())
	require.Zero(t, b.srv.Stats().Brands["brand-a"].Limits[limitGeneral].Admitted)
	status, _ = getRaw(t, b, http.MethodGet, "/_sandbox/")
	require.Equal(t, http.StatusOK, status)
}

func TestWelcomeMessagesCounted(t *testing.T) {
	t.Parallel()
	b := setup(t)
	body := contact2026("w@example.com", nil)
	delete(body["identifiers"].([]any)[0].(map[string]any), "sendWelcomeMessage")
	b.api(http.MethodPost, "/api/contacts", body) // 2026 defaults sendWelcomeMessage to true
	b.api(http.MethodPost, "/api/contacts", contact2026("quiet@example.com", nil))
	b.v3(http.MethodPost, "/v3/contacts", contactV3("v3@example.com", nil)) // v3 defaults to false
	require.Equal(t, 1, b.srv.Stats().Brands["brand-a"].WelcomeMessages)
}

func TestRequestLogRing(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *Config) { c.RequestLogSize = 3 })
	for range 5 {
		b.api(http.MethodGet, "/api/contacts", nil)
	}
	reqs := b.srv.Requests()
	require.Len(t, reqs, 3)
	require.Less(t, reqs[0].ID, reqs[2].ID)
}
