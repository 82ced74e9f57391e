package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"segbridge/internal/jobs"
)

func jobsStart() jobs.StartOptions { return jobs.StartOptions{} }

// browser is an HTTP client with a cookie jar, as a browser is.
func (f *fixture) browser() *http.Client {
	jar, err := cookiejar.New(nil)
	require.NoError(f.t, err)
	return &http.Client{Jar: jar}
}

func (f *fixture) send(c *http.Client, method, path string, body any, header map[string]string) *http.Response {
	f.t.Helper()
	var raw []byte
	if body != nil {
		var err error
		raw, err = json.Marshal(body)
		require.NoError(f.t, err)
	}
	req, err := http.NewRequestWithContext(f.ctx, method, f.srv.URL+"/api/v1"+path, bytes.NewReader(raw))
	require.NoError(f.t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := c.Do(req)
	require.NoError(f.t, err)
	f.t.Cleanup(func() { res.Body.Close() })
	return res
}

// TestSessionCookie signs in, uses the cookie, refuses a cross-origin
// state-changing request that carries it, and signs out.
func TestSessionCookie(t *testing.T) {
	t.Parallel()
	f := setup(t, "")
	b := f.browser()
	res := f.send(b, "POST", "/session", map[string]string{"email": "contributor@example.com", "password": password}, nil)
	require.Equal(t, http.StatusOK, res.StatusCode)
	cookie := res.Header.Get("Set-Cookie")
	require.Contains(t, cookie, "segbridge_session=")
	require.Contains(t, cookie, "HttpOnly")

	require.Equal(t, http.StatusOK, f.send(b, "GET", "/me", nil, nil).StatusCode)
	seg := map[string]string{"name": "From the browser", "rule": "p.orders > 1"}
	cross := f.send(b, "POST", "/segments", seg, map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"})
	require.Equal(t, http.StatusForbidden, cross.StatusCode, "a cross-origin POST with the cookie is refused")
	crossNoFetch := f.send(b, "POST", "/segments", seg, map[string]string{"Origin": "https://evil.example"})
	require.Equal(t, http.StatusForbidden, crossNoFetch.StatusCode, "a cross-origin POST (Origin only) is refused")
	same := f.send(b, "POST", "/segments", seg, map[string]string{"Origin": f.srv.URL, "Sec-Fetch-Site": "same-origin"})
	require.Equal(t, http.StatusCreated, same.StatusCode, "a same-origin POST with the cookie works")

	require.Equal(t, http.StatusNoContent, f.send(b, "DELETE", "/session", nil, nil).StatusCode)
	require.Equal(t, http.StatusUnauthorized, f.send(b, "GET", "/me", nil, nil).StatusCode, "signed out")
}

// TestLoginRefusals: a wrong password is 401, and repeated failures are
// refused with 429.
func TestLoginRefusals(t *testing.T) {
	t.Parallel()
	f := setup(t, "")
	bad := map[string]string{"email": "viewer@example.com", "password": "nope"}
	require.Equal(t, http.StatusUnauthorized, f.send(http.DefaultClient, "POST", "/session", bad, nil).StatusCode)
	got429 := false
	for range 30 {
		if f.send(http.DefaultClient, "POST", "/session", bad, nil).StatusCode == http.StatusTooManyRequests {
			got429 = true
			break
		}
	}
	require.True(t, got429, "repeated failed logins are rate-limited")
}

// TestBearerTokens: a token works, is created and listed without its
// secret, and a revoked one is 401.
func TestBearerTokens(t *testing.T) {
	t.Parallel()
	f := setup(t, "")
	res := f.do("viewer", request{method: "POST", path: "/tokens", body: map[string]string{"name": "script"}})
	require.Equal(t, http.StatusCreated, res.status)
	var created struct {
		ID    int64  `json:"id"`
		Token string `json:"token"`
	}
	require.NoError(t, json.Unmarshal(res.body, &created))
	require.NotEmpty(t, created.Token)
	f.tokens["script"] = created.Token
	me := f.do("script", request{method: "GET", path: "/me"})
	require.Equal(t, http.StatusOK, me.status)
	require.Contains(t, string(me.body), `"via":"token"`)
	list := f.do("viewer", request{method: "GET", path: "/tokens"})
	require.NotContains(t, string(list.body), created.Token, "a token is shown only once")
	other := f.do("contributor", request{method: "DELETE", path: fmt.Sprintf("/tokens/%d", created.ID)})
	require.Equal(t, http.StatusNotFound, other.status, "only the owner revokes a token")
	require.Equal(t, http.StatusNoContent, f.do("viewer", request{method: "DELETE", path: fmt.Sprintf("/tokens/%d", created.ID)}).status)
	revoked := f.do("script", request{method: "GET", path: "/me"})
	require.Equal(t, http.StatusUnauthorized, revoked.status)
	require.True(t, strings.HasPrefix(revoked.header.Get("Content-Type"), "application/problem+json"))
}

// TestConnectionCreateNeedsConsentAndHidesKey creates a connection against
// the sandbox: without consent it is refused; the key is never echoed.
func TestConnectionCreateNeedsConsentAndHidesKey(t *testing.T) {
	t.Parallel()
	f := setup(t, "")
	body := map[string]any{"name": "Fresh", "api_key": apiKey, "base_url": f.sandbox.URL, "export_user": "admin@example.com"}
	noConsent := f.do("admin", request{method: "POST", path: "/connections", body: body})
	require.Equal(t, http.StatusUnprocessableEntity, noConsent.status)
	require.Contains(t, string(noConsent.body), "agree_to_notice")
	f.noKey("admin", "no consent", noConsent)
	body["agree_to_notice"] = false
	refused := f.do("admin", request{method: "POST", path: "/connections", body: body})
	require.Equal(t, http.StatusUnprocessableEntity, refused.status)
	f.noKey("admin", "consent refused", refused)
	body["agree_to_notice"] = true
	body["api_key"] = "wrong-" + apiKey
	wrong := f.do("admin", request{method: "POST", path: "/connections", body: body})
	require.Equal(t, http.StatusUnprocessableEntity, wrong.status, string(wrong.body))
	f.noKey("admin", "wrong key", wrong)
	body["api_key"] = apiKey
	ok := f.do("admin", request{method: "POST", path: "/connections", body: body})
	require.Equal(t, http.StatusCreated, ok.status, string(ok.body))
	f.noKey("admin", "create", ok)
	var c map[string]any
	require.NoError(t, json.Unmarshal(ok.body, &c))
	require.Equal(t, "brand-1", c["brand_id"])
	require.Equal(t, apiKeyLast4, c["key_last4"])
	require.Equal(t, "admin@example.com", c["consent"].(map[string]any)["by"])
	require.NotContains(t, f.logs.String(), apiKey)
}

// TestHealthAndMetrics checks the operational endpoints.
func TestHealthAndMetrics(t *testing.T) {
	t.Parallel()
	f := setup(t, "")
	for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
		res, err := http.Get(f.srv.URL + path)
		require.NoError(t, err)
		res.Body.Close()
		require.Equal(t, http.StatusOK, res.StatusCode, path)
	}
}

// TestConnectionUpdate renames a connection, opens it to contributors and
// refuses a key Omnisend does not accept, never showing a key.
func TestConnectionUpdate(t *testing.T) {
	t.Parallel()
	f := setup(t, "")
	wrong := f.do("admin", request{method: "PATCH", path: "/connections/Admins%20Only", body: map[string]string{"api_key": "wrong-" + apiKey}})
	require.Equal(t, http.StatusUnprocessableEntity, wrong.status, string(wrong.body))
	f.noKey("admin", "wrong key", wrong)
	res := f.do("admin", request{method: "PATCH", path: "/connections/Admins%20Only", body: map[string]string{"name": "Opened", "access": "contributors"}})
	require.Equal(t, http.StatusOK, res.status, string(res.body))
	seen := f.do("contributor", request{method: "GET", path: "/connections/Opened"})
	require.Equal(t, http.StatusOK, seen.status)
	f.noKey("contributor", "opened", seen)
	audit := f.do("admin", request{method: "GET", path: "/audit"})
	require.Contains(t, string(audit.body), "changed access, name")
	require.NotContains(t, f.logs.String(), apiKey)
}
