package service

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"segbridge/internal/store"
	"segbridge/internal/user"
)

// Users adds and removes users, sets their roles and passwords, and
// creates and revokes API tokens. Admins may do all of it to anyone;
// everyone may set their own password and create and revoke their own
// tokens (the permission table, ScopeOwn).
//
// Signing in and out (sessions, logins and their rate limit), reading a
// token's principal and the first admin's bootstrap stay in user.Service:
// they are authentication, not use cases a principal performs, and are
// not audited.
type Users struct {
	*core
	users *user.Service
}

// ready checks that the service is configured.
func (s *Users) ready() error {
	if s.users == nil {
		return errors.New("service: config: Users: not configured")
	}
	return nil
}

// Add creates a user with a role and a password.
func (s *Users) Add(ctx context.Context, p user.Principal, email, password string, role user.Role) (user.User, error) {
	if err := s.ready(); err != nil {
		return user.User{}, err
	}
	if err := allow(p, UserAdd, Subject{}); err != nil {
		return user.User{}, err
	}
	var bad []FieldProblem
	email, err := user.ParseEmail(email)
	if err != nil {
		bad = append(bad, FieldProblem{Field: "email", Msg: err.Error()})
	}
	if _, err := user.ParseRole(string(role)); err != nil {
		bad = append(bad, FieldProblem{Field: "role", Msg: err.Error()})
	}
	if err := user.CheckPassword(password); err != nil {
		bad = append(bad, FieldProblem{Field: "password", Msg: err.Error()})
	}
	if len(bad) > 0 {
		return user.User{}, InvalidFields(bad...)
	}
	u, err := s.users.Add(ctx, email, password, role)
	if errors.Is(err, store.ErrConflict) {
		return u, Conflict("a user with e-mail %q already exists (see: segbridge user list)", email).because(err)
	}
	if err != nil {
		return u, err
	}
	s.record(ctx, p, UserAdd, u.Email, "role "+string(u.Role))
	return u, nil
}

// target finds the user emailOrID on whom p would perform a: the table
// decides for p's role first, then for the user found. A user that does
// not exist is not found for admins and refused for anyone else, so that
// a non-admin cannot learn who is a user.
func (s *Users) target(ctx context.Context, p user.Principal, a Action, emailOrID string) (user.User, error) {
	if err := s.ready(); err != nil {
		return user.User{}, err
	}
	if err := allow(p, a, Subject{OwnerID: p.UserID}); err != nil { // may p's role do it at all (to itself)?
		return user.User{}, err
	}
	emailOrID = strings.TrimSpace(emailOrID)
	u, err := s.st.GetUser(ctx, emailOrID)
	switch {
	case errors.Is(err, store.ErrNotFound) && !p.IsAdmin():
		return u, allow(p, a, Subject{OwnerID: -1}) // another user: refused
	case errors.Is(err, store.ErrNotFound):
		return u, NotFound("no user %q (see: segbridge user list)", emailOrID).because(err)
	case err != nil:
		return u, err
	}
	return u, allow(p, a, Subject{OwnerID: u.ID})
}

// lastAdmin words user.ErrLastAdmin.
func lastAdmin(u user.User, err error) error {
	if errors.Is(err, user.ErrLastAdmin) {
		return Conflict("user %s: %s; make another user admin first", u.Email, user.ErrLastAdmin).because(err)
	}
	return err
}

// Remove deletes a user with their sessions and API tokens; the last
// admin cannot be removed.
func (s *Users) Remove(ctx context.Context, p user.Principal, emailOrID string) (user.User, error) {
	u, err := s.target(ctx, p, UserRemove, emailOrID)
	if err != nil {
		return u, err
	}
	if err := s.users.Remove(ctx, fmt.Sprint(u.ID)); err != nil {
		return u, lastAdmin(u, err)
	}
	s.record(ctx, p, UserRemove, u.Email, "role "+string(u.Role))
	return u, nil
}

// SetRole changes a user's role (it applies to their next request) and
// returns the user and the role they had; the last admin cannot be
// demoted.
func (s *Users) SetRole(ctx context.Context, p user.Principal, emailOrID string, role user.Role) (u user.User, was user.Role, err error) {
	if u, err = s.target(ctx, p, UserSetRole, emailOrID); err != nil {
		return u, "", err
	}
	if _, err := user.ParseRole(string(role)); err != nil {
		return u, u.Role, Invalid("role", "%s", err.Error()).because(err)
	}
	was = u.Role
	if was == role {
		return u, was, nil // nothing changes, nothing to record
	}
	if u, err = s.users.SetRole(ctx, fmt.Sprint(u.ID), role); err != nil {
		return u, was, lastAdmin(u, err)
	}
	s.record(ctx, p, UserSetRole, u.Email, fmt.Sprintf("role %s → %s", was, u.Role))
	return u, was, nil
}

// SetPassword replaces a user's password, signs them out everywhere and
// revokes their API tokens.
func (s *Users) SetPassword(ctx context.Context, p user.Principal, emailOrID, password string) (user.User, error) {
	u, err := s.target(ctx, p, UserSetPassword, emailOrID)
	if err != nil {
		return u, err
	}
	if err := user.CheckPassword(password); err != nil {
		return u, Invalid("password", "%s", err.Error()).because(err)
	}
	if err := s.users.SetPassword(ctx, fmt.Sprint(u.ID), password); err != nil {
		return u, err
	}
	s.record(ctx, p, UserSetPassword, u.Email, "sessions ended, API tokens revoked")
	return u, nil
}

// ChangeOwnPassword replaces the signed-in user's own password after
// checking the current one (limited as sign-ins are, per client address
// remoteAddr), then signs them out everywhere and revokes their API
// tokens.
func (s *Users) ChangeOwnPassword(ctx context.Context, p user.Principal, current, password, remoteAddr string) (user.User, error) {
	if err := s.ready(); err != nil {
		return user.User{}, err
	}
	if p.UserID == 0 {
		return user.User{}, Forbidden("only a signed-in user has a password of their own to change")
	}
	if err := user.CheckPassword(password); err != nil {
		return user.User{}, Invalid("password", "%s", err.Error()).because(err)
	}
	if _, err := s.users.VerifyPassword(ctx, p.Email, current, remoteAddr); err != nil {
		switch {
		case errors.Is(err, user.ErrBadCredentials):
			return user.User{}, Invalid("current", "not right").because(err)
		case errors.Is(err, user.ErrTooManyAttempts):
			return user.User{}, Unavailable("too many wrong passwords: wait a minute and try again").because(err)
		}
		return user.User{}, err
	}
	return s.SetPassword(ctx, p, strconv.FormatInt(p.UserID, 10), password)
}

// TokenInput is a new API token.
type TokenInput struct {
	// Owner is the user the token acts as (e-mail or id); "": the
	// principal.
	Owner string
	// Name says what the token is for (1–100 characters).
	Name string
	// TTL is its lifetime: 0 (it never expires) or from user.MinTokenTTL
	// to user.MaxTokenTTL.
	TTL time.Duration
}

// CreateToken creates an API token and returns it with its plaintext,
// which is never shown again.
func (s *Users) CreateToken(ctx context.Context, p user.Principal, in TokenInput) (user.Token, string, error) {
	var owner user.User
	if in.Owner == "" {
		if err := s.ready(); err != nil {
			return user.Token{}, "", err
		}
		if err := allow(p, TokenCreate, Subject{OwnerID: p.UserID}); err != nil {
			return user.Token{}, "", err
		}
		if p.UserID <= 0 {
			return user.Token{}, "", Invalid("owner", "%s is not a user of segbridge: name the user the token acts as", who(p))
		}
		owner = user.User{ID: p.UserID, Email: p.Email, Role: p.Role}
	} else {
		var err error
		if owner, err = s.target(ctx, p, TokenCreate, in.Owner); err != nil {
			return user.Token{}, "", err
		}
	}
	var bad []FieldProblem
	name := strings.TrimSpace(in.Name)
	switch {
	case name == "":
		bad = append(bad, FieldProblem{Field: "name", Msg: "say what the token is for"})
	case utf8.RuneCountInString(name) > 100:
		bad = append(bad, FieldProblem{Field: "name", Msg: "want at most 100 characters"})
	}
	if err := user.CheckTokenTTL(in.TTL); err != nil {
		bad = append(bad, FieldProblem{Field: "expires_in", Msg: err.Error()})
	}
	if len(bad) > 0 {
		return user.Token{}, "", InvalidFields(bad...)
	}
	t, plain, err := s.users.CreateToken(ctx, user.Principal{UserID: owner.ID, Email: owner.Email, Role: owner.Role}, name, in.TTL)
	if err != nil {
		return t, "", err
	}
	s.record(ctx, p, TokenCreate, fmt.Sprintf("token %d", t.ID), tokenDetail(t))
	return t, plain, nil
}

// RevokeToken revokes API token id: the principal's own, or for an
// admin anyone's. Another user's token reads to a non-admin as no token
// at all, so that its existence does not leak.
func (s *Users) RevokeToken(ctx context.Context, p user.Principal, id int64) (user.Token, error) {
	if err := s.ready(); err != nil {
		return user.Token{}, err
	}
	if err := allow(p, TokenRevoke, Subject{OwnerID: p.UserID}); err != nil {
		return user.Token{}, err
	}
	notFound := NotFound("no token %d of yours (see: segbridge token list)", id)
	if p.IsAdmin() {
		notFound = NotFound("no token %d (see: segbridge token list)", id)
	}
	t, err := s.st.GetAPIToken(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return t, notFound.because(err)
	}
	if err != nil {
		return t, err
	}
	if err := allow(p, TokenRevoke, Subject{OwnerID: t.OwnerID}); err != nil {
		return user.Token{}, notFound.because(err)
	}
	if t, err = s.users.RevokeToken(ctx, id); errors.Is(err, store.ErrNotFound) {
		return t, notFound.because(err) // revoked meanwhile
	} else if err != nil {
		return t, err
	}
	s.record(ctx, p, TokenRevoke, fmt.Sprintf("token %d", t.ID), tokenDetail(t))
	return t, nil
}

// tokenDetail is a token's audit detail: its name, owner, end and expiry.
func tokenDetail(t user.Token) string {
	d := fmt.Sprintf("%s, of %s, ending %s", t.Name, t.OwnerEmail, t.Last4)
	if !t.ExpiresAt.IsZero() {
		d += ", expires " + t.ExpiresAt.UTC().Format(time.RFC3339)
	}
	return d
}
