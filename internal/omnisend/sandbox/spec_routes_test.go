package sandbox

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/stretchr/testify/require"
)

// TestSpecEveryRoute drives every route of both dialects through success
// and error answers; setup's client validates each response against the
// spec. It then checks that every route answered at least one 2xx. It runs
// with the defaults and again with every open behaviour switched the other
// way (the answers those switches change must validate too).
func TestSpecEveryRoute(t *testing.T) {
	t.Parallel()
	t.Run("defaults", func(t *testing.T) { t.Parallel(); specEveryRoute(t, func(*Config) {}) })
	t.Run("switched", func(t *testing.T) {
		t.Parallel()
		specEveryRoute(t, func(c *Config) {
			c.TagsOnUpsert, c.StatusDowngrade, c.FutureStatusDates = TagsReplace, DowngradeBlock, FutureDatesDrop
			c.Cursors, c.ForeignBatches, c.TagJitter = CursorsOpaque, 2, 3*time.Second
			c.RateLimit.Headers, c.RateLimit.RetryAfter = HeadersV3, SecondsRange{2, 20}
		})
	})
}

func specEveryRoute(t *testing.T, mutate func(*Config)) {
	b := setup(t, func(c *Config) {
		c.Batches.StartDelay, c.Batches.ItemInterval, c.TagDelay = time.Second, time.Second, time.Second
		c.RateLimit.Tags = 3
	}, mutate)
	withPhone := contact2026("a@example.com", map[string]any{"firstName": "A", "countryCode": "lt", "gender": "f",
		"birthdate": "1990-01-02", "tags": []string{"vip"}, "customProperties": map[string]any{"n": 1, "s": "x", "b": true, "l": []string{"q"}},
		"createdAt": "2020-01-01T00:00:00Z"})
	ident := withPhone["identifiers"].([]any)
	ident[0].(map[string]any)["consent"] = map[string]any{"source": "form", "ip": "1.2.3.4", "createdAt": "2020-01-01T00:00:00Z"}
	withPhone["identifiers"] = append(ident, map[string]any{"type": "phone", "id": "+37060000001",
		"channels": map[string]any{"sms": map[string]any{"status": "subscribed"}}})
	id := b.api(http.MethodPost, "/api/contacts", withPhone).body["id"].(string)
	b.api(http.MethodPost, "/api/contacts", withPhone)
	b.api(http.MethodGet, "/api/contacts", nil)
	b.api(http.MethodGet, "/api/contacts?segmentID=seg-vip&limit=1", nil)
	b.api(http.MethodGet, "/api/contacts/"+id, nil)
	b.api(http.MethodGet, "/api/contacts/missing", nil)
	b.api(http.MethodPatch, "/api/contacts/"+id, map[string]any{"lastName": "B"})
	b.api(http.MethodPatch, "/api/contacts?email=a@example.com", map[string]any{"city": "C"})
	b.api(http.MethodPatch, "/api/contacts?email=a@example.com", map[string]any{"gender": "x"})
	b.api(http.MethodPost, "/api/contacts/tags", map[string]any{"tags": []string{"t"}, "emails": []string{"a@example.com"}})
	b.api(http.MethodDelete, "/api/contacts/tags", map[string]any{"tags": []string{"t"}, "phones": []string{"+37060000001"}})
	b.api(http.MethodDelete, "/api/contacts/tags", map[string]any{"tags": []string{}})
	b.api(http.MethodDelete, "/api/contacts/tags", map[string]any{"tags": []string{"t"}, "contactIDs": []string{id}}) // 429
	bid := b.api(http.MethodPost, "/api/batches", batchBody(2, func(i int) map[string]any {
		return contact2026([]string{"b@example.com", "bad"}[i], nil)
	})).body["batchID"].(string)
	b.api(http.MethodGet, "/api/batches?endpoint=contacts", nil)
	b.api(http.MethodGet, "/api/batches/"+bid, nil)
	b.api(http.MethodGet, "/api/batches/"+bid+"/items", nil)
	b.clock.Advance(time.Minute)
	b.api(http.MethodGet, "/api/batches/"+bid+"/items", nil)
	b.api(http.MethodGet, "/api/batches?endpoint=contacts&limit=1&offset=0", nil)
	b.api(http.MethodGet, "/api/brands/current", nil)
	b.call(dialect2026, keyRO, http.MethodGet, "/api/brands/current", nil)
	b.call(dialect2026, "nope", http.MethodGet, "/api/batches", nil)
	b.call(dialect2026, keyRO, http.MethodPost, "/api/batches", batchBody(1, func(int) map[string]any { return contact2026("c@example.com", nil) }))
	b.api(http.MethodGet, "/api/nowhere", nil)

	vid := b.v3(http.MethodPost, "/v3/contacts", contactV3("v@example.com", map[string]any{"tags": []string{"vip"}})).body["contactID"].(string)
	b.v3(http.MethodGet, "/v3/contacts", nil)
	b.v3(http.MethodGet, "/v3/contacts?limit=1", nil)
	b.api(http.MethodGet, "/api/contacts?limit=1", nil)
	b.v3(http.MethodGet, "/v3/contacts/"+vid, nil)
	b.v3(http.MethodGet, "/v3/contacts/"+id, nil) // the phone identifier has only an sms channel
	b.v3(http.MethodPatch, "/v3/contacts/"+vid, map[string]any{"firstName": "V"})
	b.v3(http.MethodPatch, "/v3/contacts?email=v@example.com", map[string]any{"firstName": "W"})
	b.v3(http.MethodPatch, "/v3/contacts/nope", map[string]any{"firstName": "W"})
	b.v3(http.MethodPost, "/v3/contacts", map[string]any{})
	vb := b.v3(http.MethodPost, "/v3/batches", batchBody(1, func(int) map[string]any { return contactV3("w@example.com", nil) })).body["batchID"].(string)
	b.v3(http.MethodGet, "/v3/batches?endpoint=contacts", nil)
	b.v3(http.MethodGet, "/v3/batches/"+vb, nil)
	b.clock.Advance(time.Minute)
	b.v3(http.MethodGet, "/v3/batches/"+vb, nil)
	b.v3(http.MethodGet, "/v3/batches/"+vb+"/items", nil)
	b.v3(http.MethodGet, "/v3/batches/"+vb+"/items/1", nil)
	b.v3(http.MethodGet, "/v3/batches/nope", nil)
	acct := b.v3(http.MethodGet, "/v3/accounts", nil)
	require.Equal(t, "brand-a", acct.body["brandID"])
	require.Equal(t, true, acct.body["verified"])
	b.call(dialectV3, "nope", http.MethodGet, "/v3/accounts", nil)

	for _, s := range []*Server{b.srv} {
		ok := map[string]bool{}
		for _, r := range s.Requests() {
			if r.Status >= 200 && r.Status < 300 {
				ok[r.Route] = true
			}
		}
		for _, rt := range apiRoutes() {
			if strings.Contains(rt.name, " ") {
				require.True(t, ok[rt.name], "route %s never answered 2xx", rt.name)
			}
		}
	}
	codes := map[int]bool{}
	for _, r := range b.srv.Requests() {
		codes[r.Status] = true
	}
	for _, c := range []int{200, 201, 202, 400, 401, 403, 404, 429} {
		require.True(t, codes[c], "no response with status %d", c)
	}
}

// TestSpecFaultResponses validates injected 5xx, 429, 408 and 403 (blocked)
// bodies, and that gateway pages are only ever 502/503/504.
func TestSpecFaultResponses(t *testing.T) {
	t.Parallel()
	faults := []FaultConfig{{Seed: 3, Error5xx: 1}, {Seed: 3, Extra429: 1}, {Seed: 3, Timeout408: 1},
		{Seed: 3, Error5xx: 1, GatewayErrors: GatewayHTML}}
	for _, f := range faults {
		b := setup(t, func(c *Config) {
			c.Faults, c.RateLimit.Headers, c.RateLimit.RetryAfter = f, HeadersRetryAfter, SecondsRange{1, 9}
		})
		for _, d := range []dialect{dialect2026, dialectV3} {
			prefix := map[dialect]string{dialect2026: "/api", dialectV3: "/v3"}[d]
			for _, p := range []string{"/contacts", "/batches?endpoint=contacts", "/contacts?limit=2", "/batches?endpoint=contacts&limit=1"} {
				res := b.call(d, keyMain, http.MethodGet, prefix+p, nil)
				require.GreaterOrEqual(t, res.status, 408)
			}
		}
	}
	b := setup(t, func(c *Config) { c.Block.AfterErrors = 1 })
	b.api(http.MethodGet, "/api/nowhere", nil)
	for _, d := range []dialect{dialect2026, dialectV3} {
		prefix := map[dialect]string{dialect2026: "/api", dialectV3: "/v3"}[d]
		require.Equal(t, http.StatusForbidden, b.call(d, keyMain, http.MethodGet, prefix+"/contacts", nil).status)
		require.Equal(t, http.StatusForbidden, b.call(d, keyMain, http.MethodPost, prefix+"/batches",
			batchBody(1, func(int) map[string]any { return contactV3("x@example.com", nil) })).status)
	}
}

// TestSpecForbiddenRequestsRejected sends requests Omnisend's documents
// forbid: the spec must reject each (proving the case is really forbidden)
// and so must the sandbox, with a 4xx in the dialect's format.
func TestSpecForbiddenRequestsRejected(t *testing.T) {
	t.Parallel()
	b := setup(t)
	cases := []struct {
		d            dialect
		method, path string
		body         any
		hdr          []string
	}{
		{dialect2026, http.MethodPost, "/api/contacts", contact2026("a@example.com", map[string]any{"tags": manyTags(101)}), nil},
		{dialect2026, http.MethodPost, "/api/contacts", contact2026("a@example.com", map[string]any{"gender": "male"}), nil},
		{dialect2026, http.MethodPost, "/api/contacts", map[string]any{"identifiers": []any{map[string]any{"type": "fax", "id": "1"}}}, nil},
		{dialect2026, http.MethodPost, "/api/contacts", map[string]any{"identifiers": []any{map[string]any{"type": "email",
			"id": "a@example.com", "channels": map[string]any{"email": map[string]any{"statusChangedAt": "2020-01-01T00:00:00Z"}}}}}, nil},
		{dialect2026, http.MethodPost, "/api/contacts", contact2026("a@example.com", nil), []string{"Omnisend-Version", ""}},
		{dialect2026, http.MethodGet, "/api/contacts?limit=251", nil, nil},
		{dialect2026, http.MethodGet, "/api/contacts?status=maybe", nil, nil},
		{dialect2026, http.MethodPatch, "/api/contacts", map[string]any{}, nil},
		{dialect2026, http.MethodPost, "/api/contacts/tags", map[string]any{"emails": []string{"a@example.com"}}, nil},
		{dialect2026, http.MethodDelete, "/api/contacts/tags", map[string]any{"tags": manyTags(101), "emails": []string{"a@example.com"}}, nil},
		{dialect2026, http.MethodPost, "/api/batches", batchBody(101, func(int) map[string]any { return map[string]any{} }), nil},
		{dialect2026, http.MethodPost, "/api/batches", map[string]any{"method": "GET", "endpoint": "contacts", "items": []any{map[string]any{}}}, nil},
		{dialect2026, http.MethodGet, "/api/batches", nil, nil},
		{dialect2026, http.MethodGet, "/api/batches?endpoint=contacts&status=done", nil, nil},
		{dialectV3, http.MethodPost, "/v3/contacts", map[string]any{"firstName": "no identifiers"}, nil},
		{dialectV3, http.MethodPost, "/v3/contacts", map[string]any{"identifiers": []any{map[string]any{"type": "email", "id": "a@example.com"}}}, nil},
		{dialectV3, http.MethodPost, "/v3/contacts", contactV3("a@example.com", map[string]any{"countryCode": "LTU"}), nil},
		{dialectV3, http.MethodPost, "/v3/contacts", contactV3("a@example.com", map[string]any{"birthdate": "02/01/1990"}), nil},
		{dialectV3, http.MethodGet, "/v3/contacts?limit=0", nil, nil},
		{dialectV3, http.MethodGet, "/v3/batches", nil, nil},
		{dialectV3, http.MethodGet, "/v3/batches?endpoint=contacts&dateFrom=yesterday", nil, nil},
		{dialectV3, http.MethodPost, "/v3/batches", map[string]any{"method": "POST", "endpoint": "people", "items": []any{map[string]any{}}}, nil},
	}
	for i, tc := range cases {
		req := specProbe(t, b, tc.d, tc.method, tc.path, tc.body, tc.hdr)
		require.Error(t, b.spec.validateRequest(tc.d, req.r, req.body), "case %d: spec accepts %s %s", i, tc.method, tc.path)
		res := b.call(tc.d, keyMain, tc.method, tc.path, tc.body, tc.hdr...)
		require.Equal(t, http.StatusBadRequest, res.status, "case %d: %s %s -> %s", i, tc.method, tc.path, res.raw)
		require.NotEmpty(t, fieldNames(t, res), "case %d names no field: %s", i, res.raw)
	}
	require.Empty(t, b.srv.Contacts(""))
}

type probe struct {
	r    *http.Request
	body []byte
}

func specProbe(t *testing.T, b *bundle, d dialect, method, path string, body any, hdr []string) probe {
	t.Helper()
	var raw []byte
	if body != nil {
		var err error
		raw, err = json.Marshal(body)
		require.NoError(t, err)
	}
	req, err := http.NewRequest(method, b.ts.URL+path, bytes.NewReader(raw))
	require.NoError(t, err)
	if raw != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	setAuth(req, d, keyMain)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Del(hdr[i])
	}
	return probe{r: req, body: raw}
}

// TestSpecValidatorBites makes sure the response check is not vacuous: a
// body that breaks the document is caught.
func TestSpecValidatorBites(t *testing.T) {
	t.Parallel()
	b := setup(t)
	req := specRequest(mustReq(t, http.MethodGet, "/api/contacts/x"), nil)
	route, params := b.spec.route(dialect2026, req)
	require.NotNil(t, route)
	bad := []byte(`{"id": 5, "status": "bogus"}`)
	err := openapi3filter.ValidateResponse(t.Context(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 200, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(bytes.NewReader(bad)),
	})
	require.Error(t, err)
}

func mustReq(t *testing.T, method, path string) *http.Request {
	t.Helper()
	r, err := http.NewRequest(method, "http://x"+path, nil)
	require.NoError(t, err)
	return r
}
