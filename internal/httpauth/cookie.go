package httpauth

import (
	"net"
	"net/http"
	"strings"

	"segbridge/internal/user"
)

// SetSession sets the session cookie for s: HttpOnly, SameSite=Lax,
// Path=/, expiring with the session, and Secure unless the request is
// plain HTTP to a loopback host.
//
// The Secure rule: a request over TLS, or whose Host is anything but
// localhost, *.localhost, 127.0.0.1 or ::1 (a public name is assumed to sit
// behind a TLS-terminating proxy), gets a Secure cookie, which browsers
// only send over HTTPS. Plain http://localhost:PORT and
// http://127.0.0.1:PORT, for a local install and for tests, get a cookie
// without Secure so that signing in works there.
func SetSession(w http.ResponseWriter, r *http.Request, s user.Session) {
	http.SetCookie(w, &http.Cookie{
		Name:     SessionCookie,
		Value:    s.Token,
		Path:     "/",
		Expires:  s.ExpiresAt,
		HttpOnly: true,
		Secure:   secureRequest(r),
		SameSite: http.SameSiteLaxMode,
	})
}

// ClearSession tells the browser to drop the session cookie.
func ClearSession(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name:     SessionCookie,
		Value:    "",
		Path:     "/",
		MaxAge:   -1,
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	})
}

// secureRequest reports whether the session cookie for r must be Secure:
// always, except for plain HTTP to a loopback host.
func secureRequest(r *http.Request) bool {
	if r.TLS != nil {
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
