// Package user is who may do what in segbridge: users with one role each
// (admin, contributor, viewer), the Principal a request acts as (a user
// signed in through a session cookie or an API token), sessions, logins
// and API tokens. Who may change what is decided by the permission table
// of internal/service, which wraps this package's writers (Add, Remove,
// SetRole, SetPassword, CreateToken, RevokeToken); the HTTP API, the web
// UI and the CLI call those services, never the writers.
package user

import (
	"context"
	"fmt"
	"time"
)

// Role is a user's role.
type Role string

const (
	// RoleAdmin may do everything: connections, users, settings, and all
	// that contributors may.
	RoleAdmin Role = "admin"
	// RoleContributor manages segments, and exports on connections whose
	// access allows contributors. It never sees an admin-only connection.
	RoleContributor Role = "contributor"
	// RoleViewer reads segments, exports and runs it is allowed to see; it
	// changes nothing.
	RoleViewer Role = "viewer"
)

// ParseRole reads "admin", "contributor" or "viewer".
func ParseRole(s string) (Role, error) {
	switch r := Role(s); r {
	case RoleAdmin, RoleContributor, RoleViewer:
		return r, nil
	}
	return "", fmt.Errorf("role %q: want %q, %q or %q", s, RoleAdmin, RoleContributor, RoleViewer)
}

// User is a stored user. It carries no password hash.
type User struct {
	ID        int64     `json:"id"`
	Email     string    `json:"email"`
	Role      Role      `json:"role"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Principal is who a request acts as.
type Principal struct {
	UserID int64
	Email  string
	Role   Role
	// Via says how the request was authenticated: "session", "token" or
	// "cli" (the command line acts as a local admin, or as a user with
	// --as).
	Via string
	// Actor is who the audit log names when Email is empty: the command
	// line's local operator, "cli:<os user>@<host>".
	Actor string
}

// IsAdmin reports whether p is an admin.
func (p Principal) IsAdmin() bool { return p.Role == RoleAdmin }

// CanWrite reports whether p may change segments and exports (admins and
// contributors).
func (p Principal) CanWrite() bool { return p.Role == RoleAdmin || p.Role == RoleContributor }

// CanUseConnection reports whether p may see and build exports on a
// connection whose access allows contributors (contributorsAllowed) or
// only admins. Viewers see the connections contributors see, read only.
func (p Principal) CanUseConnection(contributorsAllowed bool) bool {
	return p.Role == RoleAdmin || contributorsAllowed
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the Principal ctx carries, if any.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}
