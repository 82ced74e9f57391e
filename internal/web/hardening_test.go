package web_test

import (
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/httpauth"
	"segbridge/internal/web"
)

// flashOf returns the flash cookie a response sets, if any.
func flashOf(res response) *http.Cookie {
	for _, c := range (&http.Response{Header: res.header}).Cookies() {
		if strings.HasSuffix(c.Name, "segbridge_flash") && c.Value != "" {
			return c
		}
	}
	return nil
}

// TestPlantedFlashIgnored: a flash cookie that this process did not sign
// shows no banner, whatever it says; a genuine one shows once, and not
// after it expires.
func TestPlantedFlashIgnored(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	viewer := b.login(viewerEmail)
	const lie = "Your account is locked: call +1 555 0100 now"
	for _, planted := range []string{
		url.QueryEscape("ok:" + lie), // the old, unsigned format
		url.QueryEscape("err:" + lie),
		base64.RawURLEncoding.EncodeToString([]byte("ok|9999999999|"+lie)) + "." + base64.RawURLEncoding.EncodeToString([]byte("not a mac")),
		base64.RawURLEncoding.EncodeToString([]byte("ok|9999999999|" + lie)),
	} {
		req, err := http.NewRequest("GET", b.srv.URL+"/exports", nil)
		require.NoError(t, err)
		req.AddCookie(&http.Cookie{Name: "segbridge_flash", Value: planted})
		res := viewer.do(req)
		require.Equal(t, http.StatusOK, res.status)
		notContains(t, res.body, `id="flash"`, "a planted flash shows no banner")
		notContains(t, res.body, "call +1 555")
	}

	// A genuine flash, from a handler with a clock and key of the test's.
	now := time.Now()
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	key := []byte(strings.Repeat("k", 32))
	h, err := web.New(web.Config{App: b.a, Now: clock, FlashKey: key})
	require.NoError(t, err)
	srv := httptest.NewServer(httpauth.CrossOrigin(httpauth.Middleware(b.a.Users)(h)))
	t.Cleanup(srv.Close)
	c := b.anon()
	login := func() response {
		req, err := http.NewRequest("POST", srv.URL+"/login", strings.NewReader(url.Values{"email": {adminEmail}, "password": {password}}.Encode()))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		return c.do(req)
	}
	require.Equal(t, http.StatusSeeOther, login().status)
	req, err := http.NewRequest("POST", srv.URL+"/logout", nil)
	require.NoError(t, err)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	out := c.do(req)
	require.Equal(t, http.StatusSeeOther, out.status)
	genuine := flashOf(out)
	require.NotNil(t, genuine, "signing out leaves a flash")
	require.NotContains(t, genuine.Value, "Signed out", "the message is not readable plain text in the cookie")
	page := func(cookie *http.Cookie) string {
		req, err := http.NewRequest("GET", srv.URL+"/login", nil)
		require.NoError(t, err)
		req.AddCookie(cookie)
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		return readAll(t, res)
	}
	contains(t, page(genuine), "Signed out.", "a genuine flash shows")
	contains(t, page(&http.Cookie{Name: genuine.Name, Value: genuine.Value}), "Signed out.")
	notContains(t, page(&http.Cookie{Name: genuine.Name, Value: genuine.Value + "x"}), "Signed out.", "a tampered flash shows nothing")
	mu.Lock()
	now = now.Add(61 * time.Second)
	mu.Unlock()
	notContains(t, page(genuine), "Signed out.", "an expired flash shows nothing")

	// The bundle's own handler has another (random) key: it does not show
	// this process's flash either.
	req, err = http.NewRequest("GET", b.srv.URL+"/exports", nil)
	require.NoError(t, err)
	req.AddCookie(&http.Cookie{Name: genuine.Name, Value: genuine.Value})
	notContains(t, viewer.do(req).body, `id="flash"`)

	_, err = web.New(web.Config{App: b.a, FlashKey: []byte("short")})
	require.ErrorContains(t, err, "FlashKey")
}

func readAll(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return string(b)
}

// TestPlantedSessionIgnoredOverTLS: over HTTPS only the __Host- session
// cookie signs in; a plain one (what a page on another port of the host
// could set) leaves the visitor signed out.
func TestPlantedSessionIgnoredOverTLS(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	h, err := web.New(web.Config{App: b.a})
	require.NoError(t, err)
	srv := httptest.NewUnstartedServer(httpauth.ClientInfo(httpauth.TrustedProxies{})(
		httpauth.CrossOrigin(httpauth.Middleware(b.a.Users)(h))))
	srv.StartTLS()
	t.Cleanup(srv.Close)
	s, err := b.a.Users.Login(b.ctx, adminEmail, password, "")
	require.NoError(t, err)
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(cookie string) *http.Response {
		req, err := http.NewRequest("GET", srv.URL+"/exports", nil)
		require.NoError(t, err)
		req.Header.Set("Cookie", cookie)
		res, err := c.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		return res
	}
	res := get("segbridge_session=" + s.Token)
	require.Equal(t, http.StatusSeeOther, res.StatusCode, "a plain cookie over TLS is not a session")
	require.True(t, strings.HasPrefix(res.Header.Get("Location"), "/login"))
	require.Equal(t, http.StatusOK, get("__Host-segbridge_session="+s.Token).StatusCode)
}

// TestStaticHasNoListing: /static/ and its directories are 404; files are
// served.
func TestStaticHasNoListing(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	c := b.anon()
	// (ServeMux redirects an unclean path such as /static/./ to /static/.)
	for _, p := range []string{"/static/", "/static/./", "/static/nope.js"} {
		res := c.get(p)
		require.Contains(t, []int{http.StatusNotFound, http.StatusMovedPermanently, http.StatusTemporaryRedirect}, res.status, p)
		require.NotContains(t, res.body, "style.css", "%s lists nothing", p)
	}
	res := c.get("/static/style.css")
	require.Equal(t, http.StatusOK, res.status)
	require.Equal(t, "nosniff", res.header.Get("X-Content-Type-Options"))
	res = c.get("/login")
	require.Equal(t, "no-store", res.header.Get("Cache-Control"))
}

// TestAdminTokensPage: admins see and revoke everyone's tokens; others see
// only their own; a token may be made to expire.
func TestAdminTokensPage(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	carl := b.login(contributorEmail)
	res := carl.post("/tokens", url.Values{"name": {"carl's sync"}, "expires": {"720h"}})
	require.Equal(t, http.StatusOK, res.status, excerpt(res.body))
	contains(t, res.body, `id="token-value"`)
	notContains(t, res.body, `id="all-tokens"`, "a contributor sees only their own")
	res = carl.post("/tokens", url.Values{"name": {"bad"}, "expires": {"forever"}})
	require.Equal(t, http.StatusBadRequest, res.status)
	tokens, err := b.a.Users.ListTokens(b.ctx, principalOf(t, b, contributorEmail))
	require.NoError(t, err)
	require.Len(t, tokens, 1)
	require.WithinDuration(t, time.Now().Add(720*time.Hour), tokens[0].ExpiresAt, time.Minute)

	ada := b.login(adminEmail)
	page := ada.get("/tokens").body
	contains(t, page, `id="all-tokens"`)
	contains(t, page, `data-owner="carl@example.com"`)
	contains(t, page, "carl&#39;s sync")
	res = ada.post(fmt.Sprintf("/tokens/%d/revoke", tokens[0].ID), nil)
	require.Equal(t, http.StatusSeeOther, res.status, excerpt(res.body))
	tokens, err = b.a.Users.ListTokens(b.ctx, principalOf(t, b, contributorEmail))
	require.NoError(t, err)
	require.Empty(t, tokens, "an admin revoked the contributor's token")

	vera := b.login(viewerEmail)
	res = vera.post("/tokens", url.Values{"name": {"vera's"}})
	require.Equal(t, http.StatusOK, res.status)
	vt, err := b.a.Users.ListTokens(b.ctx, principalOf(t, b, viewerEmail))
	require.NoError(t, err)
	require.Len(t, vt, 1)
	require.True(t, vt[0].ExpiresAt.IsZero(), "no expiry field: never")
	res = carl.post(fmt.Sprintf("/tokens/%d/revoke", vt[0].ID), nil)
	require.Equal(t, http.StatusNotFound, res.status, "a contributor cannot revoke another's token")
}
