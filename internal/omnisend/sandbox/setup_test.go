package sandbox

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// fakeClock is a wall clock that moves only when told to.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// bundle is what every test gets from setup.
type bundle struct {
	t     *testing.T
	srv   *Server
	ts    *httptest.Server
	clock *fakeClock
	spec  *specs // nil when the spec directory is absent (and CI is not set)
}

// Keys every test server knows.
const (
	keyMain  = "sandbox-key"
	keyRO    = "ro-key"
	keyOther = "other-key"
)

// setup starts a sandbox on a fake clock (TimeScale 1 unless changed) with a
// read-write key, a read-only key on the same brand and a key of a second
// brand. Every response is validated against Omnisend's OpenAPI documents.
func setup(t *testing.T, mutate ...func(*Config)) *bundle {
	t.Helper()
	clock := &fakeClock{t: time.Date(2026, 3, 20, 12, 0, 0, 0, time.UTC)}
	cfg := Config{
		Clock: clock,
		Keys: []Key{
			{Key: keyMain, BrandID: "brand-a", BrandName: "Brand A"},
			{Key: keyRO, BrandID: "brand-a", ReadOnly: true},
			{Key: keyOther, BrandID: "brand-b"},
		},
		Segments: []Segment{{ID: "seg-vip", BrandID: "brand-a", Tag: "vip"}},
	}
	for _, m := range mutate {
		m(&cfg)
	}
	srv, err := New(cfg)
	require.NoError(t, err)
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		ts.Close()
		require.NoError(t, srv.Close())
	})
	return &bundle{t: t, srv: srv, ts: ts, clock: clock, spec: loadSpecs(t)}
}

// result is one HTTP exchange.
type result struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

// call sends one request in dialect d with key (empty: no auth header) and,
// for /api, the version header unless hdr overrides it. The response is
// validated against the spec.
func (b *bundle) call(d dialect, key, method, path string, body any, hdr ...string) *result {
	b.t.Helper()
	res, err := b.try(d, key, method, path, body, hdr...)
	require.NoError(b.t, err, "%s %s", method, path)
	return res
}

func (b *bundle) try(d dialect, key, method, path string, body any, hdr ...string) (*result, error) {
	b.t.Helper()
	var reqBody []byte
	switch v := body.(type) {
	case nil:
	case string:
		reqBody = []byte(v)
	default:
		var err error
		reqBody, err = json.Marshal(v)
		require.NoError(b.t, err)
	}
	req, err := http.NewRequest(method, b.ts.URL+path, bytes.NewReader(reqBody))
	require.NoError(b.t, err)
	if reqBody != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	setAuth(req, d, key)
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			req.Header.Del(hdr[i])
			continue
		}
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := b.ts.Client().Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	res := &result{status: resp.StatusCode, header: resp.Header, raw: raw}
	if len(bytes.TrimSpace(raw)) > 0 && strings.HasPrefix(raw2str(raw), "{") {
		require.NoError(b.t, json.Unmarshal(raw, &res.body), "body: %s", raw)
	}
	if b.spec != nil && !strings.HasPrefix(path, "/_sandbox") {
		b.spec.checkResponse(b.t, d, req, reqBody, res)
	}
	return res, nil
}

func raw2str(raw []byte) string { return strings.TrimSpace(string(raw)) }

func setAuth(req *http.Request, d dialect, key string) {
	if d == dialectV3 {
		if key != "" {
			req.Header.Set("X-API-KEY", key)
		}
		return
	}
	if key != "" {
		req.Header.Set("Authorization", "Omnisend-API-Key "+key)
	}
	req.Header.Set("Omnisend-Version", APIVersion)
}

// api and v3 call with the main key.
func (b *bundle) api(method, path string, body any, hdr ...string) *result {
	b.t.Helper()
	return b.call(dialect2026, keyMain, method, path, body, hdr...)
}

func (b *bundle) v3(method, path string, body any) *result {
	b.t.Helper()
	return b.call(dialectV3, keyMain, method, path, body)
}

// contact2026 and contactV3 build minimal valid contact bodies.
func contact2026(email string, extra map[string]any) map[string]any {
	m := map[string]any{"identifiers": []any{map[string]any{"type": "email", "id": email,
		"channels":           map[string]any{"email": map[string]any{"status": "nonSubscribed", "statusChangedAt": "2020-01-01T00:00:00Z"}},
		"sendWelcomeMessage": false}}}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

func contactV3(email string, extra map[string]any) map[string]any {
	m := map[string]any{"identifiers": []any{map[string]any{"type": "email", "id": email,
		"channels": map[string]any{"email": map[string]any{"status": "nonSubscribed", "statusDate": "2020-01-01T00:00:00Z"}}}}}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

// fieldNames returns the field paths a validation error names, per dialect.
func fieldNames(t *testing.T, res *result) []string {
	t.Helper()
	var out []string
	if errsList, ok := res.body["errors"].([]any); ok {
		for _, e := range errsList {
			out = append(out, e.(map[string]any)["field"].(string))
		}
		return out
	}
	fields, _ := res.body["fields"].(map[string]any)
	for _, v := range fields {
		for _, msg := range v.([]any) {
			out = append(out, strings.SplitN(msg.(string), ":", 2)[0])
		}
	}
	return out
}

// mustGet decodes a JSON list body field.
func list(t *testing.T, m map[string]any, key string) []any {
	t.Helper()
	v, ok := m[key].([]any)
	require.True(t, ok, "%s is not a list in %v", key, m)
	return v
}
