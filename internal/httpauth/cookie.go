package httpauth

import (
	"net"
	"net/http"
	"strings"

	"segbridge/internal/user"
)

// Session cookie names. Over HTTPS the cookie is SecureSessionCookie: the
// __Host- prefix makes browsers accept it only when it is Secure, set by an
// HTTPS page, with Path=/ and no Domain, so neither a plain-HTTP page on
// another port of the same host nor a sibling subdomain can plant one.
// Over plain HTTP (a local install) it is SessionCookie.
const (
	SessionCookie       = "segbridge_session"
	SecureSessionCookie = "__Host-" + SessionCookie
)

// sessionCookieName is the session cookie's name for r: the __Host- one
// when the client connected over HTTPS (IsTLS), else the plain one. Only
// that name is read, so a plain cookie planted over HTTP is ignored on the
// HTTPS site.
func sessionCookieName(r *http.Request) string {
	if IsTLS(r) {
		return SecureSessionCookie
	}
	return SessionCookie
}

// SessionToken returns the session token r carries in the cookie of the
// name its scheme calls for, or "".
func SessionToken(r *http.Request) string {
	c, err := r.Cookie(sessionCookieName(r))
	if err != nil {
		return ""
	}
	return c.Value
}

// SetSession sets the session cookie for s: HttpOnly, SameSite=Lax,
// Path=/, expiring with the session, and Secure unless the request is
// plain HTTP to a loopback host.
//
// Over HTTPS (the request's TLS, or a trusted proxy's X-Forwarded-Proto)
// the cookie is SecureSessionCookie. Otherwise it is SessionCookie, Secure
// when the Host is anything but localhost, *.localhost, 127.0.0.1 or ::1
// (a public name is assumed to sit behind a TLS-terminating proxy whose
// headers are not trusted), so browsers send it only over HTTPS. Plain
// http://localhost:PORT and http://127.0.0.1:PORT, for a local install and
// for tests, get a cookie without Secure so that signing in works there.
func SetSession(w http.ResponseWriter, r *http.Request, s user.Session) {
	http.SetCookie(w, &http.Cookie{
		Name:     sessionCookieName(r),
		Value:    s.Token,
		Path:     "/",
		Expires:  s.ExpiresAt,
		HttpOnly: true,
		Secure:   SecureCookies(r),
		SameSite: http.SameSiteLaxMode,
	})
}

// ClearSession tells the browser to drop r's session cookie.
func ClearSession(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{
		Name:     sessionCookieName(r),
		Value:    "",
		Path:     "/",
		MaxAge:   -1,
		HttpOnly: true,
		Secure:   SecureCookies(r),
		SameSite: http.SameSiteLaxMode,
	})
}

// SecureCookies reports whether cookies set in answer to r must be Secure:
// always, except for plain HTTP to a loopback host.
func SecureCookies(r *http.Request) bool {
	if IsTLS(r) {
		return true
	}
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.Trim(host, "[]"))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return false
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return false
	}
	return true
}

// CrossOrigin refuses cross-origin state-changing requests (POST, PUT,
// PATCH, DELETE) with 403, using net/http's CrossOriginProtection
// (Sec-Fetch-Site, else Origin against Host). Safe methods pass. Requests
// that carry a bearer token and no cookie pass too: no browser sends those
// on its own, so they cannot be forged by another site.
func CrossOrigin(h http.Handler) http.Handler {
	p := http.NewCrossOriginProtection()
	p.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		WriteProblem(w, http.StatusForbidden, "cross-origin request refused")
	}))
	protected := p.Handler(h)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := BearerToken(r); ok && r.Header.Get("Cookie") == "" {
			h.ServeHTTP(w, r)
			return
		}
		protected.ServeHTTP(w, r)
	})
}
