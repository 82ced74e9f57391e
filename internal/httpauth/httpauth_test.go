package httpauth_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"segbridge/internal/httpauth"
	"segbridge/internal/store/sqlite"
	"segbridge/internal/user"
)

type bundle struct {
	svc     *user.Service
	session user.Session
	token   string
	srv     *httptest.Server
}

// setup starts a server whose handler reports who the request acts as,
// behind CrossOrigin and Middleware, with one user signed in both ways.
func setup(t *testing.T) *bundle {
	t.Helper()
	t.Parallel()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "test.db"))
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	require.NoError(t, st.Migrate(ctx))
	svc, err := user.NewService(user.Config{Store: st, PasswordCost: bcrypt.MinCost})
	require.NoError(t, err)
	u, err := svc.Add(ctx, "ann@example.com", "correct horse battery", user.RoleContributor)
	require.NoError(t, err)
	s, err := svc.Login(ctx, "ann@example.com", "correct horse battery", "")
	require.NoError(t, err)
	_, token, err := svc.CreateToken(ctx, user.Principal{UserID: u.ID}, "test", 0)
	require.NoError(t, err)

	who := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := user.FromContext(r.Context())
		if !ok {
			w.Write([]byte("anonymous"))
			return
		}
		w.Write([]byte(p.Email + " " + string(p.Role) + " via " + p.Via))
	})
	srv := httptest.NewServer(httpauth.CrossOrigin(httpauth.Middleware(svc)(who)))
	t.Cleanup(srv.Close)
	return &bundle{svc: svc, session: s, token: token, srv: srv}
}

func (b *bundle) do(t *testing.T, method string, header map[string]string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, b.srv.URL+"/x", nil)
	require.NoError(t, err)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := b.srv.Client().Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res.StatusCode, string(body), res.Header
}

func TestBearerToken(t *testing.T) {
	b := setup(t)
	code, body, _ := b.do(t, "GET", map[string]string{"Authorization": "Bearer " + b.token})
	require.Equal(t, 200, code)
	require.Equal(t, "ann@example.com contributor via token", body)
	code, body, _ = b.do(t, "POST", map[string]string{"Authorization": "bearer " + b.token})
	require.Equal(t, 200, code, "a bearer POST without cookies is not cross-origin checked")
	require.Equal(t, "ann@example.com contributor via token", body)
}

func TestInvalidBearerIs401(t *testing.T) {
	b := setup(t)
	for _, tok := range []string{"sbt_wrong", "nonsense", ""} {
		code, body, h := b.do(t, "GET", map[string]string{"Authorization": "Bearer " + tok})
		require.Equal(t, 401, code, "token %q", tok)
		require.Equal(t, "application/problem+json", h.Get("Content-Type"))
		require.Contains(t, h.Get("WWW-Authenticate"), "invalid_token")
		var p struct {
			Status int    `json:"status"`
			Title  string `json:"title"`
		}
		require.NoError(t, json.Unmarshal([]byte(body), &p))
		require.Equal(t, 401, p.Status)
	}
	// The same bad token with a valid session cookie is still refused: the
	// bearer token wins and is wrong.
	code, _, _ := b.do(t, "GET", map[string]string{
		"Authorization": "Bearer sbt_wrong", "Cookie": httpauth.SessionCookie + "=" + b.session.Token,
	})
	require.Equal(t, 401, code)
}

func TestSessionCookie(t *testing.T) {
	b := setup(t)
	cookie := httpauth.SessionCookie + "=" + b.session.Token
	code, body, _ := b.do(t, "GET", map[string]string{"Cookie": cookie})
	require.Equal(t, 200, code)
	require.Equal(t, "ann@example.com contributor via session", body)

	code, body, h := b.do(t, "GET", map[string]string{"Cookie": httpauth.SessionCookie + "=stale"})
	require.Equal(t, 200, code, "a bad cookie passes on without a principal")
	require.Equal(t, "anonymous", body)
	require.Contains(t, h.Get("Set-Cookie"), "Max-Age=0", "and the stale cookie is cleared")

	code, body, _ = b.do(t, "GET", nil)
	require.Equal(t, 200, code)
	require.Equal(t, "anonymous", body)
	code, body, _ = b.do(t, "GET", map[string]string{"Authorization": "Basic YTpi"})
	require.Equal(t, 200, code, "other schemes are no credentials")
	require.Equal(t, "anonymous", body)
}

func TestCrossOrigin(t *testing.T) {
	b := setup(t)
	cookie := httpauth.SessionCookie + "=" + b.session.Token
	code, body, h := b.do(t, "POST", map[string]string{"Cookie": cookie, "Sec-Fetch-Site": "cross-site"})
	require.Equal(t, 403, code, body)
	require.Equal(t, "application/problem+json", h.Get("Content-Type"))
	code, _, _ = b.do(t, "DELETE", map[string]string{"Cookie": cookie, "Origin": "https://evil.example"})
	require.Equal(t, 403, code, "Origin differing from Host")
	code, _, _ = b.do(t, "POST", map[string]string{
		"Cookie": cookie, "Authorization": "Bearer " + b.token, "Sec-Fetch-Site": "cross-site",
	})
	require.Equal(t, 403, code, "a bearer token does not excuse a cookie-carrying cross-site request")

	code, body, _ = b.do(t, "POST", map[string]string{"Cookie": cookie, "Sec-Fetch-Site": "same-origin"})
	require.Equal(t, 200, code)
	require.Equal(t, "ann@example.com contributor via session", body)
	code, _, _ = b.do(t, "POST", map[string]string{"Cookie": cookie, "Origin": b.srv.URL})
	require.Equal(t, 200, code, "same Origin as Host")
	code, _, _ = b.do(t, "GET", map[string]string{"Cookie": cookie, "Sec-Fetch-Site": "cross-site"})
	require.Equal(t, 200, code, "safe methods pass")
}

func TestCookieFlags(t *testing.T) {
	t.Parallel()
	s := user.Session{Token: "tok", ExpiresAt: time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)}
	for _, tc := range []struct {
		url    string
		tls    bool
		name   string
		secure bool
	}{
		{"http://localhost:8080/login", false, httpauth.SessionCookie, false},
		{"http://127.0.0.1:8080/login", false, httpauth.SessionCookie, false},
		{"http://[::1]:8080/login", false, httpauth.SessionCookie, false},
		{"http://app.localhost/login", false, httpauth.SessionCookie, false},
		{"http://segbridge.example.com/login", false, httpauth.SessionCookie, true},
		{"https://localhost:8443/login", true, "__Host-segbridge_session", true},
		{"https://segbridge.example.com/login", true, "__Host-segbridge_session", true},
	} {
		r := httptest.NewRequest("POST", tc.url, nil)
		if tc.tls {
			r.TLS = &tls.ConnectionState{}
		} else {
			r.TLS = nil
		}
		w := httptest.NewRecorder()
		httpauth.SetSession(w, r, s)
		cs := w.Result().Cookies()
		require.Len(t, cs, 1)
		c := cs[0]
		require.Equal(t, tc.name, c.Name, tc.url)
		require.Equal(t, "tok", c.Value)
		require.True(t, c.HttpOnly, tc.url)
		require.Equal(t, http.SameSiteLaxMode, c.SameSite, tc.url)
		require.Equal(t, "/", c.Path)
		require.Empty(t, c.Domain, "a __Host- cookie has no Domain")
		require.True(t, c.Expires.Equal(s.ExpiresAt), "expires %v", c.Expires)
		require.Equal(t, tc.secure, c.Secure, tc.url)

		w = httptest.NewRecorder()
		httpauth.ClearSession(w, r)
		c = w.Result().Cookies()[0]
		require.Equal(t, tc.name, c.Name, "the cookie of the request's scheme is cleared")
		require.Equal(t, -1, c.MaxAge)
		require.True(t, c.HttpOnly)
	}
}

// TestPlantedSessionCookieIgnoredOverTLS: over HTTPS only the __Host-
// cookie signs in, so a plain segbridge_session cookie that a page on
// another port of the same host planted (browsers do not separate cookies
// by port) is not accepted; over plain HTTP the __Host- name is not read.
func TestPlantedSessionCookieIgnoredOverTLS(t *testing.T) {
	b := setup(t)
	who := httpauth.Middleware(b.svc)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := user.FromContext(r.Context())
		if !ok {
			w.Write([]byte("anonymous"))
			return
		}
		w.Write([]byte(p.Email))
	}))
	proxies, err := httpauth.ParseTrustedProxies([]string{"10.0.0.0/8"})
	require.NoError(t, err)
	h := httpauth.ClientInfo(proxies)(who)
	get := func(tlsConn bool, header map[string]string) string {
		r := httptest.NewRequest("GET", "https://segbridge.example.com/x", nil)
		r.TLS = nil
		if tlsConn {
			r.TLS = &tls.ConnectionState{}
		}
		for k, v := range header {
			r.Header.Set(k, v)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Body.String()
	}
	plain := httpauth.SessionCookie + "=" + b.session.Token
	hostPrefixed := httpauth.SecureSessionCookie + "=" + b.session.Token

	require.Equal(t, "anonymous", get(true, map[string]string{"Cookie": plain}), "a planted plain cookie is ignored over TLS")
	require.Equal(t, "ann@example.com", get(true, map[string]string{"Cookie": hostPrefixed}))
	require.Equal(t, "ann@example.com", get(false, map[string]string{"Cookie": plain}), "plain HTTP reads the plain cookie")
	require.Equal(t, "anonymous", get(false, map[string]string{"Cookie": hostPrefixed}))

	// Behind a trusted proxy that says https, the same rule.
	r := httptest.NewRequest("GET", "http://segbridge.example.com/x", nil)
	r.RemoteAddr = "10.1.2.3:5555"
	r.Header.Set("X-Forwarded-Proto", "https")
	r.Header.Set("Cookie", plain)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	require.Equal(t, "anonymous", w.Body.String(), "X-Forwarded-Proto https from a trusted proxy is TLS")
}

func TestRemoteIP(t *testing.T) {
	t.Parallel()
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "192.0.2.1:1234"
	r.Header.Set("X-Forwarded-For", "203.0.113.9")
	require.Equal(t, "192.0.2.1", httpauth.RemoteIP(r), "forwarding headers are not trusted without ClientInfo")
	r.RemoteAddr = "[2001:db8::1]:443"
	require.Equal(t, "2001:db8::1", httpauth.RemoteIP(r))
}

// TestTrustedProxies: X-Forwarded-For and X-Forwarded-Proto count only
// when the direct peer is in a trusted network.
func TestTrustedProxies(t *testing.T) {
	t.Parallel()
	proxies, err := httpauth.ParseTrustedProxies([]string{"10.0.0.0/8, 192.0.2.10", "fd00::/8"})
	require.NoError(t, err)
	require.Equal(t, "10.0.0.0/8,192.0.2.10/32,fd00::/8", proxies.String())
	_, err = httpauth.ParseTrustedProxies([]string{"10.0.0.0/33"})
	require.ErrorContains(t, err, `"10.0.0.0/33" is not a network such as 10.0.0.0/8`)

	seen := func(tp httpauth.TrustedProxies, peer string, header map[string][]string) (string, bool) {
		var ip string
		var isTLS bool
		h := httpauth.ClientInfo(tp)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ip, isTLS = httpauth.RemoteIP(r), httpauth.IsTLS(r)
		}))
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = peer
		for k, vs := range header {
			for _, v := range vs {
				r.Header.Add(k, v)
			}
		}
		h.ServeHTTP(httptest.NewRecorder(), r)
		return ip, isTLS
	}
	fwd := map[string][]string{"X-Forwarded-For": {"203.0.113.9"}, "X-Forwarded-Proto": {"https"}}
	for _, tc := range []struct {
		name   string
		tp     httpauth.TrustedProxies
		peer   string
		header map[string][]string
		ip     string
		tls    bool
	}{
		{"no trusted proxies: headers ignored", httpauth.TrustedProxies{}, "10.0.0.5:1", fwd, "10.0.0.5", false},
		{"peer outside the networks: headers ignored", proxies, "198.51.100.7:1", fwd, "198.51.100.7", false},
		{"trusted peer: the forwarded client", proxies, "10.0.0.5:1", fwd, "203.0.113.9", true},
		{"trusted single address", proxies, "192.0.2.10:1", fwd, "203.0.113.9", true},
		{"trusted IPv6 peer", proxies, "[fd00::1]:1", fwd, "203.0.113.9", true},
		{"a client-written prefix is skipped", proxies, "10.0.0.5:1",
			map[string][]string{"X-Forwarded-For": {"1.2.3.4, 203.0.113.9"}}, "203.0.113.9", false},
		{"a chain of trusted proxies", proxies, "10.0.0.5:1",
			map[string][]string{"X-Forwarded-For": {"203.0.113.9, 10.9.9.9", "10.0.0.7"}}, "203.0.113.9", false},
		{"garbage stops the walk", proxies, "10.0.0.5:1",
			map[string][]string{"X-Forwarded-For": {"203.0.113.9, nonsense, 10.9.9.9"}}, "10.9.9.9", false},
		{"no header: the proxy itself", proxies, "10.0.0.5:1", nil, "10.0.0.5", false},
		{"the nearest proxy's scheme", proxies, "10.0.0.5:1",
			map[string][]string{"X-Forwarded-Proto": {"https, http"}}, "10.0.0.5", false},
	} {
		ip, isTLS := seen(tc.tp, tc.peer, tc.header)
		require.Equal(t, tc.ip, ip, tc.name)
		require.Equal(t, tc.tls, isTLS, tc.name)
	}
}

// failing is an Authenticator whose store is down.
type failing struct{}

func (failing) SessionPrincipal(context.Context, string) (user.Principal, error) {
	return user.Principal{}, errors.New("database is down")
}

func (failing) TokenPrincipal(context.Context, string) (user.Principal, error) {
	return user.Principal{}, errors.New("database is down")
}

func TestStoreFailureIs500(t *testing.T) {
	t.Parallel()
	h := httpauth.Middleware(failing{})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("handler reached")
	}))
	for _, hdr := range [][2]string{{"Authorization", "Bearer sbt_x"}, {"Cookie", httpauth.SessionCookie + "=x"}} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set(hdr[0], hdr[1])
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		require.Equal(t, 500, w.Code)
		require.NotContains(t, w.Body.String(), "database is down", "internal errors are not shown")
	}
}
