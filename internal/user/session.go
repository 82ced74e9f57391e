package user

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Session is a signed-in browser session.
type Session struct {
	// Token is the plaintext session token; only Login returns it (the
	// store keeps its SHA-256).
	Token     string
	UserID    int64
	ExpiresAt time.Time
}

// Login checks email and password and starts a session lasting SessionTTL.
// A wrong e-mail or password is ErrBadCredentials. Failures are
// rate-limited per client and account (remoteAddr and e-mail) and per
// client (remoteAddr: the client's IP, or "" for a caller without one,
// limited per e-mail only): past a limit every attempt from that client,
// even with the right password, is ErrTooManyAttempts until the bucket
// refills. Other clients are not affected.
func (s *Service) Login(ctx context.Context, email, password, remoteAddr string) (Session, error) {
	now := s.cfg.Now()
	u, err := s.VerifyPassword(ctx, email, password, remoteAddr)
	if err != nil {
		return Session{}, err
	}

	token, err := randomString(32)
	if err != nil {
		return Session{}, fmt.Errorf("login: %w", err)
	}
	sess := Session{Token: token, UserID: u.ID, ExpiresAt: now.Add(s.cfg.SessionTTL).UTC()}
	if _, err := s.st.DeleteExpiredSessions(ctx, now); err != nil {
		s.log.Warn("delete expired sessions", "err", err)
	}
	if err := s.st.CreateSession(ctx, tokenHash(token), u.ID, sess.ExpiresAt, now.UTC()); err != nil {
		return Session{}, fmt.Errorf("login: %w", err)
	}
	s.log.Info("login", "user_id", u.ID, "email", u.Email, "remote", remoteAddr)
	return sess, nil
}

// VerifyPassword returns the user whose e-mail and password these are, or
// ErrBadCredentials, limited as Login is (ErrTooManyAttempts); it starts
// no session. (Changing one's own password asks for the current one.)
func (s *Service) VerifyPassword(ctx context.Context, email, password, remoteAddr string) (User, error) {
	email = strings.TrimSpace(email)
	att, ok := s.reserve(strings.ToLower(email), remoteAddr, s.cfg.Now())
	if !ok {
		s.log.Warn("login refused: too many attempts", "email", email, "remote", remoteAddr)
		return User{}, ErrTooManyAttempts
	}
	u, err := s.checkPassword(ctx, email, password)
	if err != nil {
		if errors.Is(err, ErrBadCredentials) {
			s.log.Warn("login failed", "email", email, "remote", remoteAddr)
		} else {
			att.cancel() // a store failure is not the caller's attempt
		}
		return User{}, err
	}
	att.cancel()
	return u, nil
}

// checkPassword returns the user whose e-mail and password these are, or
// ErrBadCredentials. An unknown e-mail costs the same bcrypt comparison as
// a known one, so timing does not tell which e-mails exist.
func (s *Service) checkPassword(ctx context.Context, email, password string) (User, error) {
	c, found, err := s.st.UserCredentials(ctx, email)
	if err != nil {
		return User{}, fmt.Errorf("login: %w", err)
	}
	hash := c.PasswordHash
	if !found {
		dummy, err := s.dummy()
		if err != nil {
			return User{}, fmt.Errorf("login: %w", err)
		}
		hash = string(dummy)
	}
	ok, err := passwordMatches(hash, password)
	if err != nil {
		return User{}, fmt.Errorf("login %s: %w", email, err)
	}
	if !found || !ok {
		return User{}, ErrBadCredentials
	}
	return c.User, nil
}

// SessionPrincipal returns who the session token signs in, read from the
// store now (so role changes and removals apply at once). An unknown or
// expired token is ErrUnauthenticated.
func (s *Service) SessionPrincipal(ctx context.Context, token string) (Principal, error) {
	if token == "" {
		return Principal{}, ErrUnauthenticated
	}
	u, ok, err := s.st.SessionUser(ctx, tokenHash(token), s.cfg.Now())
	if err != nil {
		return Principal{}, fmt.Errorf("session: %w", err)
	}
	if !ok {
		return Principal{}, ErrUnauthenticated
	}
	return Principal{UserID: u.ID, Email: u.Email, Role: u.Role, Via: "session"}, nil
}

// Logout ends the session token starts; an unknown token is not an error.
func (s *Service) Logout(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	if err := s.st.DeleteSession(ctx, tokenHash(token)); err != nil {
		return fmt.Errorf("logout: %w", err)
	}
	return nil
}
