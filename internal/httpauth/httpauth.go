// Package httpauth is the HTTP side of authentication, shared by the API and
// the web UI: it reads an API token (Authorization: Bearer) or a session
// cookie and puts the Principal in the request context, sets and clears the
// session cookie, and refuses cross-origin state-changing requests. It
// decides who a request is, never what they may do: handlers ask
// internal/user.
package httpauth

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"segbridge/internal/user"
)

// Authenticator turns a session or API token into a Principal;
// *user.Service satisfies it. An unknown, expired or revoked token is
// user.ErrUnauthenticated; other errors mean the check itself failed.
type Authenticator interface {
	SessionPrincipal(ctx context.Context, token string) (user.Principal, error)
	TokenPrincipal(ctx context.Context, token string) (user.Principal, error)
}

// Middleware authenticates requests with a, logging nothing; see
// LoggedMiddleware.
func Middleware(a Authenticator) func(http.Handler) http.Handler {
	return LoggedMiddleware(a, nil)
}

// LoggedMiddleware authenticates each request and passes it on with the
// Principal in its context (user.WithPrincipal):
//
//   - "Authorization: Bearer <token>" is an API token. A valid one sets
//     the principal; an invalid one is answered 401 at once (a program
//     sent it and should hear that it is wrong).
//   - Otherwise the session cookie, if valid, sets the principal: over
//     HTTPS only SecureSessionCookie, over plain HTTP only SessionCookie
//     (see SessionToken).
//   - No or invalid credentials (other than a bearer token) pass the
//     request on without a principal: the API answers 401, the web UI
//     redirects to its login page. A stale session cookie is cleared.
//
// When the check itself fails (the store is down) the request is answered
// 500 and the error logged to logger (nil: discarded).
func LoggedMiddleware(a Authenticator, logger *slog.Logger) func(http.Handler) http.Handler {
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if token, ok := BearerToken(r); ok {
				p, err := a.TokenPrincipal(r.Context(), token)
				switch {
				case errors.Is(err, user.ErrUnauthenticated):
					w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
					WriteProblem(w, http.StatusUnauthorized, "the API token is unknown or revoked")
					return
				case err != nil:
					logger.ErrorContext(r.Context(), "authenticate api token", "err", err)
					WriteProblem(w, http.StatusInternalServerError, "could not check the API token")
					return
				}
				next.ServeHTTP(w, r.WithContext(user.WithPrincipal(r.Context(), p)))
				return
			}
			token := SessionToken(r)
			if token == "" {
				next.ServeHTTP(w, r)
				return
			}
			p, err := a.SessionPrincipal(r.Context(), token)
			switch {
			case errors.Is(err, user.ErrUnauthenticated):
				ClearSession(w, r)
				next.ServeHTTP(w, r)
				return
			case err != nil:
				logger.ErrorContext(r.Context(), "authenticate session", "err", err)
				WriteProblem(w, http.StatusInternalServerError, "could not check the session")
				return
			}
			next.ServeHTTP(w, r.WithContext(user.WithPrincipal(r.Context(), p)))
		})
	}
}

// BearerToken returns the token of an "Authorization: Bearer <token>"
// header (the scheme is case-insensitive; an empty token is still a bearer
// token, an invalid one); ok is false without such a header.
func BearerToken(r *http.Request) (string, bool) {
	scheme, token, _ := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return strings.TrimSpace(token), true
}

// problem is an RFC 9457 problem document, shaped like huma's errors.
type problem struct {
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
}

// WriteProblem answers with an application/problem+json document.
func WriteProblem(w http.ResponseWriter, status int, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(problem{Title: http.StatusText(status), Status: status, Detail: detail})
}
