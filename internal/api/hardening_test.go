package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/httpauth"
	"segbridge/internal/server"
)

// serve starts another server on f's application with cfg (App and
// Logger filled in), as segbridge serve with other flags would.
func (f *fixture) serve(cfg server.Config, tls bool) *httptest.Server {
	f.t.Helper()
	cfg.App = f.a
	srv, err := server.New(cfg)
	require.NoError(f.t, err)
	var hs *httptest.Server
	if tls {
		hs = httptest.NewTLSServer(srv.Handler())
	} else {
		hs = httptest.NewServer(srv.Handler())
	}
	f.t.Cleanup(hs.Close)
	return hs
}

// login posts e-mail and password to base's /session with header and
// returns the status and the response's headers.
func login(t *testing.T, c *http.Client, base, email, pw string, header map[string]string) (int, http.Header) {
	t.Helper()
	body := fmt.Sprintf(`{"email":%q,"password":%q}`, email, pw)
	req, err := http.NewRequest("POST", base+"/api/v1/session", strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := c.Do(req)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode, res.Header
}

// TestLoginLimitPerClient: seven wrong passwords from one client, then the
// right password from another client signs in, while the first client is
// still refused. X-Forwarded-For says who the client is only when the
// peer is a --trusted-proxy; otherwise every request is the peer's.
func TestLoginLimitPerClient(t *testing.T) {
	t.Parallel()
	f := setup(t, "")
	proxies, err := httpauth.ParseTrustedProxies([]string{"127.0.0.0/8", "::1"})
	require.NoError(t, err)
	behindProxy := f.serve(server.Config{TrustedProxies: proxies}, false)
	from := func(ip string) map[string]string { return map[string]string{"X-Forwarded-For": ip} }

	for i := range 7 {
		code, _ := login(t, http.DefaultClient, behindProxy.URL, "contributor@example.com", "wrong password", from("198.51.100.66"))
		if i < 5 {
			require.Equal(t, http.StatusUnauthorized, code, "attempt %d", i+1)
		} else {
			require.Equal(t, http.StatusTooManyRequests, code, "attempt %d", i+1)
		}
	}
	code, _ := login(t, http.DefaultClient, behindProxy.URL, "contributor@example.com", password, from("203.0.113.20"))
	require.Equal(t, http.StatusOK, code, "the right password from another client signs in")
	code, _ = login(t, http.DefaultClient, behindProxy.URL, "contributor@example.com", password, from("198.51.100.66"))
	require.Equal(t, http.StatusTooManyRequests, code, "the guessing client is still limited")

	// Without --trusted-proxy the header is the client's own claim: both
	// "clients" are the peer, 127.0.0.1, and the limit holds for both.
	for range 7 {
		login(t, http.DefaultClient, f.srv.URL, "viewer@example.com", "wrong password", from("198.51.100.77"))
	}
	code, _ = login(t, http.DefaultClient, f.srv.URL, "viewer@example.com", password, from("203.0.113.30"))
	require.Equal(t, http.StatusTooManyRequests, code, "X-Forwarded-For from an untrusted peer is ignored")
}

// TestCookiesAndHSTSOverTLS: over HTTPS (the server's own TLS, or a
// trusted proxy's X-Forwarded-Proto) the session cookie is __Host- and
// HSTS is sent; a plain cookie planted by a page on another port of the
// host is not accepted there. Plain HTTP gets neither.
func TestCookiesAndHSTSOverTLS(t *testing.T) {
	t.Parallel()
	f := setup(t, "")
	ts := f.serve(server.Config{}, true)
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	c := &http.Client{Transport: ts.Client().Transport, Jar: jar}
	code, h := login(t, c, ts.URL, "contributor@example.com", password, nil)
	require.Equal(t, http.StatusOK, code)
	cookie := h.Get("Set-Cookie")
	require.True(t, strings.HasPrefix(cookie, "__Host-segbridge_session="), cookie)
	require.Contains(t, cookie, "Secure")
	require.Contains(t, cookie, "Path=/")
	require.NotContains(t, cookie, "Domain")
	require.Equal(t, "max-age=31536000", h.Get("Strict-Transport-Security"))

	me := func(c *http.Client, base string, header map[string]string) int {
		req, err := http.NewRequest("GET", base+"/api/v1/me", nil)
		require.NoError(t, err)
		for k, v := range header {
			req.Header.Set(k, v)
		}
		res, err := c.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		return res.StatusCode
	}
	require.Equal(t, http.StatusOK, me(c, ts.URL, nil), "the __Host- cookie signs in")
	var token string
	for _, ck := range h.Values("Set-Cookie") {
		if v, ok := strings.CutPrefix(strings.Split(ck, ";")[0], "__Host-segbridge_session="); ok {
			token = v
		}
	}
	require.NotEmpty(t, token)
	planted := map[string]string{"Cookie": "segbridge_session=" + token}
	require.Equal(t, http.StatusUnauthorized, me(&http.Client{Transport: ts.Client().Transport}, ts.URL, planted), "a plain session cookie is not accepted over TLS")

	code, h = login(t, http.DefaultClient, f.srv.URL, "contributor@example.com", password, nil)
	require.Equal(t, http.StatusOK, code)
	require.True(t, strings.HasPrefix(h.Get("Set-Cookie"), "segbridge_session="), h.Get("Set-Cookie"))
	require.Empty(t, h.Get("Strict-Transport-Security"), "no HSTS over plain HTTP")

	proxies, err := httpauth.ParseTrustedProxies([]string{"127.0.0.1", "::1"})
	require.NoError(t, err)
	behindProxy := f.serve(server.Config{TrustedProxies: proxies}, false)
	code, h = login(t, http.DefaultClient, behindProxy.URL, "contributor@example.com", password, map[string]string{"X-Forwarded-Proto": "https"})
	require.Equal(t, http.StatusOK, code)
	require.True(t, strings.HasPrefix(h.Get("Set-Cookie"), "__Host-segbridge_session="), "a trusted proxy's https counts")
	require.Equal(t, "max-age=31536000", h.Get("Strict-Transport-Security"))
	code, h = login(t, http.DefaultClient, f.srv.URL, "contributor@example.com", password, map[string]string{"X-Forwarded-Proto": "https"})
	require.Equal(t, http.StatusOK, code)
	require.Empty(t, h.Get("Strict-Transport-Security"), "an untrusted peer's X-Forwarded-Proto does not count")
}

// TestNoStoreAndNoSniff: every API response (JSON, problem, CSV) and the
// web UI's CSV and progress are no-store and nosniff; /static/ lists
// nothing.
func TestNoStoreAndNoSniff(t *testing.T) {
	t.Parallel()
	f := setup(t, "")
	check := func(what string, h http.Header) {
		t.Helper()
		require.Equal(t, "no-store", h.Get("Cache-Control"), what)
		require.Equal(t, "nosniff", h.Get("X-Content-Type-Options"), what)
	}
	check("me", f.do("viewer", request{method: "GET", path: "/me"}).header)
	check("401 problem", f.do("none", request{method: "GET", path: "/me"}).header)
	check("404 problem", f.do("viewer", request{method: "GET", path: "/runs/999999"}).header)
	check("openapi", f.do("none", request{method: "GET", path: "/openapi.json"}).header)
	csv := f.do("admin", request{method: "GET", path: fmt.Sprintf("/runs/%d/results?format=csv", f.sharedRun)})
	require.Equal(t, http.StatusOK, csv.status)
	require.Contains(t, csv.header.Get("Content-Type"), "text/csv")
	check("results CSV", csv.header)

	b := f.browser()
	require.Equal(t, http.StatusOK, f.send(b, "POST", "/session", map[string]string{"email": "admin@example.com", "password": password}, nil).StatusCode)
	get := func(path string) (int, http.Header, string) {
		res, err := b.Get(f.srv.URL + path)
		require.NoError(t, err)
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		return res.StatusCode, res.Header, string(body)
	}
	code, h, _ := get(fmt.Sprintf("/runs/%d/progress.json", f.sharedRun))
	require.Equal(t, http.StatusOK, code)
	check("progress.json", h)
	code, h, _ = get(fmt.Sprintf("/runs/%d/results.csv", f.sharedRun))
	require.Equal(t, http.StatusOK, code)
	check("web results CSV", h)

	for _, dir := range []string{"/static/", "/static", "/static/./", "/static//"} {
		code, _, body := get(dir)
		require.Equal(t, http.StatusNotFound, code, dir)
		require.NotContains(t, body, "app.js", "%s lists no files", dir)
	}
	code, h, _ = get("/static/app.js")
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "public, max-age=300", h.Get("Cache-Control"))
	require.Equal(t, "nosniff", h.Get("X-Content-Type-Options"))
}

// upload posts body to base's import as admin; length -1 sends it chunked.
func (f *fixture) upload(base string, body io.Reader, length int64) response {
	f.t.Helper()
	req, err := http.NewRequestWithContext(f.ctx, "POST", base+"/api/v1/profiles/import?id=id", body)
	require.NoError(f.t, err)
	req.ContentLength = length
	req.Header.Set("Content-Type", "text/csv")
	req.Header.Set("Authorization", "Bearer "+f.tokens["admin"])
	res, err := http.DefaultClient.Do(req)
	require.NoError(f.t, err)
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	require.NoError(f.t, err)
	return response{status: res.StatusCode, header: res.Header, body: raw}
}

// csvRows is a CSV of n profiles with ids prefix-0 … prefix-(n-1).
func csvRows(prefix string, from, n int) string {
	var b strings.Builder
	if from == 0 {
		b.WriteString("id,email\n")
	}
	for i := from; i < from+n; i++ {
		fmt.Fprintf(&b, "%s-%d,%s-%d@example.com\n", prefix, i, prefix, i)
	}
	return b.String()
}

// TestUploadLimits: the size cap is a setting (413 before reading when
// the declared length is over it, and when a chunked body runs past it),
// the upload streams into the import (rows are stored while the body is
// still arriving), and one upload more than MaxUploads is refused at once
// with 503.
func TestUploadLimits(t *testing.T) {
	t.Parallel()
	f := setup(t, "")
	small := f.serve(server.Config{MaxUploadBytes: 4 << 10, MaxUploads: 1}, false)

	big := csvRows("big", 0, 200) // about 6 KiB
	res := f.upload(small.URL, strings.NewReader(big), int64(len(big)))
	require.Equal(t, http.StatusRequestEntityTooLarge, res.status, string(res.body))
	require.Contains(t, string(res.body), "the upload is larger than 4096 bytes")
	res = f.upload(small.URL, strings.NewReader(big), -1)
	require.Equal(t, http.StatusRequestEntityTooLarge, res.status, "a chunked body past the cap: %s", res.body)
	ok := csvRows("fits", 0, 10)
	res = f.upload(small.URL, strings.NewReader(ok), -1)
	require.Equal(t, http.StatusOK, res.status, string(res.body))

	// One upload in flight, its body still open.
	before, err := f.a.Store.CountProfiles(f.ctx)
	require.NoError(t, err)
	pr, pw := io.Pipe()
	done := make(chan response, 1)
	go func() { done <- f.upload(f.srv.URL, pr, -1) }()
	go func() {
		_, _ = io.WriteString(pw, csvRows("stream", 0, 2500))
	}()
	require.Eventually(t, func() bool {
		n, err := f.a.Store.CountProfiles(context.Background())
		return err == nil && n >= before+1000
	}, 20*time.Second, 20*time.Millisecond, "rows are imported while the upload is still arriving (no spool)")

	// The default server takes two at once: fill the second slot too.
	pr2, pw2 := io.Pipe()
	done2 := make(chan response, 1)
	go func() { done2 <- f.upload(f.srv.URL, pr2, -1) }()
	_, err = io.WriteString(pw2, "id,email\n")
	require.NoError(t, err)
	var refused response
	require.Eventually(t, func() bool {
		refused = f.upload(f.srv.URL, strings.NewReader(ok), int64(len(ok)))
		return refused.status == http.StatusServiceUnavailable
	}, 10*time.Second, 50*time.Millisecond, "a third upload at once is refused")
	require.Equal(t, "5", refused.header.Get("Retry-After"))
	require.Contains(t, string(refused.body), "2 uploads are being imported already")

	require.NoError(t, pw.Close())
	require.NoError(t, pw2.Close())
	first := <-done
	require.Equal(t, http.StatusOK, first.status, string(first.body))
	var sum struct {
		Imported int `json:"imported"`
	}
	require.NoError(t, json.Unmarshal(first.body, &sum))
	require.Equal(t, 2500, sum.Imported)
	<-done2
	res = f.upload(f.srv.URL, strings.NewReader(ok), int64(len(ok)))
	require.Equal(t, http.StatusOK, res.status, "the slots are free again: %s", res.body)
}

// TestAdminTokensAPI: admins list and revoke anyone's tokens; tokens may
// expire; a new password revokes the owner's tokens.
func TestAdminTokensAPI(t *testing.T) {
	t.Parallel()
	f := setup(t, "")
	res := f.do("contributor", request{method: "POST", path: "/tokens", body: map[string]string{"name": "month", "expires_in": "720h"}})
	require.Equal(t, http.StatusCreated, res.status, string(res.body))
	var created struct {
		ID         int64      `json:"id"`
		Token      string     `json:"token"`
		OwnerEmail string     `json:"owner_email"`
		ExpiresAt  *time.Time `json:"expires_at"`
	}
	require.NoError(t, json.Unmarshal(res.body, &created))
	require.Equal(t, "contributor@example.com", created.OwnerEmail)
	require.NotNil(t, created.ExpiresAt)
	require.WithinDuration(t, time.Now().Add(720*time.Hour), *created.ExpiresAt, time.Minute)
	f.tokens["month"] = created.Token

	bad := f.do("contributor", request{method: "POST", path: "/tokens", body: map[string]string{"name": "x", "expires_in": "forever"}})
	require.Equal(t, http.StatusUnprocessableEntity, bad.status)
	require.Contains(t, string(bad.body), `"location":"body.expires_in"`)
	short := f.do("contributor", request{method: "POST", path: "/tokens", body: map[string]string{"name": "x", "expires_in": "1m"}})
	require.Equal(t, http.StatusUnprocessableEntity, short.status)

	require.Equal(t, http.StatusForbidden, f.do("contributor", request{method: "GET", path: "/tokens?all=true"}).status)
	all := f.do("admin", request{method: "GET", path: "/tokens?all=true"})
	require.Equal(t, http.StatusOK, all.status)
	var list []struct {
		ID         int64  `json:"id"`
		OwnerEmail string `json:"owner_email"`
	}
	require.NoError(t, json.Unmarshal(all.body, &list))
	owners := map[string]int{}
	for _, tk := range list {
		owners[tk.OwnerEmail]++
	}
	require.Equal(t, map[string]int{"admin@example.com": 1, "contributor@example.com": 2, "viewer@example.com": 1}, owners)
	require.NotContains(t, string(all.body), created.Token)

	require.Equal(t, http.StatusNoContent, f.do("admin", request{method: "DELETE", path: fmt.Sprintf("/tokens/%d", created.ID)}).status,
		"an admin revokes anyone's token")
	require.Equal(t, http.StatusUnauthorized, f.do("month", request{method: "GET", path: "/me"}).status)
	audit := f.do("admin", request{method: "GET", path: "/audit"})
	require.Contains(t, string(audit.body), "month, of contributor@example.com")

	// A new password revokes the owner's tokens.
	require.Equal(t, http.StatusOK, f.do("viewer", request{method: "GET", path: "/me"}).status)
	res = f.do("admin", request{method: "PATCH", path: "/users/viewer@example.com", body: map[string]string{"password": "another long password"}})
	require.Equal(t, http.StatusOK, res.status, string(res.body))
	require.Equal(t, http.StatusUnauthorized, f.do("viewer", request{method: "GET", path: "/me"}).status)
	// Removing a user does too.
	require.Equal(t, http.StatusNoContent, f.do("admin", request{method: "DELETE", path: "/users/contributor@example.com"}).status)
	require.Equal(t, http.StatusUnauthorized, f.do("contributor", request{method: "GET", path: "/me"}).status)
}

// TestCostlyRuleRefused: a pathological rule is refused, in a preview
// (open to viewers) and on save, before it evaluates anything.
func TestCostlyRuleRefused(t *testing.T) {
	t.Parallel()
	f := setup(t, "")
	l := "[" + strings.TrimSuffix(strings.Repeat("1,", 20), ",") + "]"
	rule := l + ".all(x, " + l + ".all(y, " + l + ".all(z, x + y + z > 0)))"
	start := time.Now()
	res := f.do("viewer", request{method: "POST", path: "/segments/preview", body: map[string]string{"rule": rule}})
	require.Equal(t, http.StatusUnprocessableEntity, res.status, string(res.body))
	require.Contains(t, string(res.body), "rule is too expensive")
	require.Contains(t, string(res.body), `"location":"body.rule"`)
	require.Less(t, time.Since(start), 2*time.Second)
	res = f.do("contributor", request{method: "POST", path: "/segments", body: map[string]string{"name": "Costly", "rule": rule}})
	require.Equal(t, http.StatusUnprocessableEntity, res.status, string(res.body))
	require.Contains(t, string(res.body), "rule is too expensive")
}
