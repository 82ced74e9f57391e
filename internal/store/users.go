package store

import (
	"context"
	"time"

	"segbridge/internal/audit"
	"segbridge/internal/user"
)

// Users stores the people who sign in, their sessions and their API tokens.
// Passwords arrive already hashed; sessions and tokens are stored and found
// by the SHA-256 of their plaintext, which never reaches the store. A user's
// e-mail is unique case-insensitively (ErrConflict).
type Users interface {
	// CreateUser inserts u with passwordHash (u.ID is ignored); a taken
	// e-mail is ErrConflict.
	CreateUser(ctx context.Context, u user.User, passwordHash string) (user.User, error)
	// GetUser finds a user by e-mail (case-insensitively) or, if emailOrID
	// is a number, by id.
	GetUser(ctx context.Context, emailOrID string) (user.User, error)
	// ListUsers returns every user ordered by e-mail.
	ListUsers(ctx context.Context) ([]user.User, error)
	// CountUsers counts the users.
	CountUsers(ctx context.Context) (int, error)
	// UserCredentials finds a user and their password hash by e-mail; ok
	// is false when there is no such user.
	UserCredentials(ctx context.Context, email string) (c user.Credentials, ok bool, err error)
	// SetUserRole changes user id's role (UpdatedAt = now). Demoting the
	// only admin is user.ErrLastAdmin, decided in the same transaction.
	SetUserRole(ctx context.Context, id int64, role user.Role, now time.Time) (user.User, error)
	// SetUserPassword replaces user id's password hash (UpdatedAt = now)
	// and deletes their sessions and API tokens.
	SetUserPassword(ctx context.Context, id int64, passwordHash string, now time.Time) error
	// DeleteUser removes user id with their sessions and API tokens.
	// Removing the only admin is user.ErrLastAdmin, decided in the same
	// transaction.
	DeleteUser(ctx context.Context, id int64) error

	// CreateSession stores a session of userID by its token hash.
	CreateSession(ctx context.Context, tokenHash []byte, userID int64, expiresAt, now time.Time) error
	// SessionUser returns the user whose session has tokenHash and expires
	// after now; ok is false when there is none.
	SessionUser(ctx context.Context, tokenHash []byte, now time.Time) (u user.User, ok bool, err error)
	// DeleteSession removes the session with tokenHash, if any.
	DeleteSession(ctx context.Context, tokenHash []byte) error
	// DeleteExpiredSessions removes the sessions expired at now and counts
	// them.
	DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error)

	// CreateAPIToken stores t (t.ID and t.OwnerEmail are ignored; a zero
	// ExpiresAt never expires) by its token hash; an owner that does not
	// exist is ErrNotFound. Tokens come back with their owner's e-mail.
	CreateAPIToken(ctx context.Context, t user.Token, tokenHash []byte) (user.Token, error)
	// ListAPITokens returns ownerID's tokens ordered by id.
	ListAPITokens(ctx context.Context, ownerID int64) ([]user.Token, error)
	// ListAllAPITokens returns every user's tokens ordered by id.
	ListAllAPITokens(ctx context.Context) ([]user.Token, error)
	// GetAPIToken returns token id; ErrNotFound if there is none.
	GetAPIToken(ctx context.Context, id int64) (user.Token, error)
	// DeleteAPIToken removes token id if ownerID owns it; otherwise
	// ErrNotFound.
	DeleteAPIToken(ctx context.Context, ownerID, id int64) error
	// APITokenUser returns the token with tokenHash and its owner; ok is
	// false when there is none.
	APITokenUser(ctx context.Context, tokenHash []byte) (u user.User, t user.Token, ok bool, err error)
	// TouchAPIToken sets token id's LastUsedAt.
	TouchAPIToken(ctx context.Context, id int64, at time.Time) error
}

// Audit stores the audit log.
type Audit interface {
	// AppendAudit stores e (e.ID is ignored) and returns it with its id.
	AppendAudit(ctx context.Context, e audit.Entry) (audit.Entry, error)
	// ListAudit returns entries with id below opts.Before (0: all), newest
	// first, at most opts.Limit (0: 100).
	ListAudit(ctx context.Context, opts audit.ListOptions) ([]audit.Entry, error)
}

var (
	_ user.Store  = Users(nil)
	_ audit.Store = Audit(nil)
)
