package user

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// TokenPrefix starts every API token, so a leaked one is recognisable.
const TokenPrefix = "sbt_"

// Token is an API token's metadata; the plaintext is shown once, by
// CreateToken, and stored only as its SHA-256.
type Token struct {
	ID      int64  `json:"id"`
	Name    string `json:"name"`
	OwnerID int64  `json:"owner_id"`
	// OwnerEmail is the owner's e-mail, as the store last read it.
	OwnerEmail string `json:"owner_email"`
	Last4      string `json:"last4"`
	// CreatedAt, LastUsedAt (zero: never used) and ExpiresAt (zero: never
	// expires) are UTC.
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
	ExpiresAt  time.Time `json:"expires_at,omitzero"`
}

// Expired reports whether t has expired at now.
func (t Token) Expired(now time.Time) bool {
	return !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt)
}

// Limits of a token's lifetime, when it has one.
const (
	MinTokenTTL = time.Hour
	MaxTokenTTL = 10 * 366 * 24 * time.Hour
)

// CheckTokenTTL reports why ttl is not a token lifetime: 0 (no expiry) or
// from MinTokenTTL to MaxTokenTTL.
func CheckTokenTTL(ttl time.Duration) error {
	if ttl != 0 && (ttl < MinTokenTTL || ttl > MaxTokenTTL) {
		return fmt.Errorf("token expiry: want 0 (never) or from %s to %s, got %s", MinTokenTTL, MaxTokenTTL, ttl)
	}
	return nil
}

// touchEvery is how stale a token's LastUsedAt may get before a use
// records it again (so a busy client does not write on every request).
const touchEvery = time.Minute

// CreateToken creates an API token owned by owner, expiring after ttl (0:
// never), and returns it with its plaintext ("sbt_" and 43 characters),
// which is never shown again.
func (s *Service) CreateToken(ctx context.Context, owner Principal, name string, ttl time.Duration) (Token, string, error) {
	name = strings.TrimSpace(name)
	switch {
	case owner.UserID <= 0:
		return Token{}, "", fmt.Errorf("create token: %w", ErrUnauthenticated)
	case name == "":
		return Token{}, "", fmt.Errorf("token name: required")
	case utf8.RuneCountInString(name) > 100:
		return Token{}, "", fmt.Errorf("token name: want at most 100 characters")
	}
	if err := CheckTokenTTL(ttl); err != nil {
		return Token{}, "", err
	}
	secret, err := randomString(32)
	if err != nil {
		return Token{}, "", fmt.Errorf("create token: %w", err)
	}
	plain := TokenPrefix + secret
	now := s.cfg.Now().UTC()
	t := Token{Name: name, OwnerID: owner.UserID, Last4: plain[len(plain)-4:], CreatedAt: now}
	if ttl > 0 {
		t.ExpiresAt = now.Add(ttl)
	}
	t, err = s.st.CreateAPIToken(ctx, t, tokenHash(plain))
	if err != nil {
		return Token{}, "", fmt.Errorf("create token %q: %w", name, err)
	}
	s.log.Info("api token created", "token_id", t.ID, "owner_id", owner.UserID, "name", name, "expires_at", t.ExpiresAt)
	return t, plain, nil
}

// ListTokens returns owner's API tokens.
func (s *Service) ListTokens(ctx context.Context, owner Principal) ([]Token, error) {
	return s.st.ListAPITokens(ctx, owner.UserID)
}

// ListAllTokens returns every user's API tokens, for admins (the caller
// checks the role).
func (s *Service) ListAllTokens(ctx context.Context) ([]Token, error) {
	return s.st.ListAllAPITokens(ctx)
}

// RevokeToken deletes token id and returns what it was; a token that does
// not exist is the store's not-found error. Who may revoke which token is
// not decided here: internal/service's permission table decides (owners
// their own, admins anyone's).
func (s *Service) RevokeToken(ctx context.Context, id int64) (Token, error) {
	t, err := s.st.GetAPIToken(ctx, id)
	if err != nil {
		return Token{}, fmt.Errorf("revoke token %d: %w", id, err)
	}
	if err := s.st.DeleteAPIToken(ctx, t.OwnerID, id); err != nil {
		return Token{}, fmt.Errorf("revoke token %d: %w", id, err)
	}
	s.log.Info("api token revoked", "token_id", id, "owner_id", t.OwnerID)
	return t, nil
}

// TokenPrincipal returns who the API token acts as, read from the store
// now. An unknown, revoked or expired token, or one of a removed user, is
// ErrUnauthenticated.
func (s *Service) TokenPrincipal(ctx context.Context, token string) (Principal, error) {
	if !strings.HasPrefix(token, TokenPrefix) {
		return Principal{}, ErrUnauthenticated
	}
	u, t, ok, err := s.st.APITokenUser(ctx, tokenHash(token))
	if err != nil {
		return Principal{}, fmt.Errorf("api token: %w", err)
	}
	now := s.cfg.Now()
	if !ok || t.Expired(now) {
		return Principal{}, ErrUnauthenticated
	}
	if now.Sub(t.LastUsedAt) >= touchEvery {
		if err := s.st.TouchAPIToken(ctx, t.ID, now.UTC()); err != nil {
			s.log.Warn("record api token use", "token_id", t.ID, "err", err)
		}
	}
	return Principal{UserID: u.ID, Email: u.Email, Role: u.Role, Via: "token"}, nil
}
