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
	Last4   string `json:"last4"`
	// CreatedAt and LastUsedAt (zero: never used) are UTC.
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
}

// touchEvery is how stale a token's LastUsedAt may get before a use
// records it again (so a busy client does not write on every request).
const touchEvery = time.Minute

// CreateToken creates an API token owned by owner and returns it with its
// plaintext ("sbt_" and 43 characters), which is never shown again.
func (s *Service) CreateToken(ctx context.Context, owner Principal, name string) (Token, string, error) {
	name = strings.TrimSpace(name)
	switch {
	case owner.UserID <= 0:
		return Token{}, "", fmt.Errorf("create token: %w", ErrUnauthenticated)
	case name == "":
		return Token{}, "", fmt.Errorf("token name: required")
	case utf8.RuneCountInString(name) > 100:
		return Token{}, "", fmt.Errorf("token name: want at most 100 characters")
	}
	secret, err := randomString(32)
	if err != nil {
		return Token{}, "", fmt.Errorf("create token: %w", err)
	}
	plain := TokenPrefix + secret
	t, err := s.st.CreateAPIToken(ctx, Token{
		Name: name, OwnerID: owner.UserID, Last4: plain[len(plain)-4:], CreatedAt: s.cfg.Now().UTC(),
	}, tokenHash(plain))
	if err != nil {
		return Token{}, "", fmt.Errorf("create token %q: %w", name, err)
	}
	s.log.Info("api token created", "token_id", t.ID, "owner_id", owner.UserID, "name", name)
	return t, plain, nil
}

// ListTokens returns owner's API tokens.
func (s *Service) ListTokens(ctx context.Context, owner Principal) ([]Token, error) {
	return s.st.ListAPITokens(ctx, owner.UserID)
}

// RevokeToken deletes owner's token id; someone else's token is the store's
// not-found error, as if it did not exist.
func (s *Service) RevokeToken(ctx context.Context, owner Principal, id int64) error {
	if err := s.st.DeleteAPIToken(ctx, owner.UserID, id); err != nil {
		return fmt.Errorf("revoke token %d: %w", id, err)
	}
	s.log.Info("api token revoked", "token_id", id, "owner_id", owner.UserID)
	return nil
}

// TokenPrincipal returns who the API token acts as, read from the store
// now. An unknown or revoked token, or one of a removed user, is
// ErrUnauthenticated.
func (s *Service) TokenPrincipal(ctx context.Context, token string) (Principal, error) {
	if !strings.HasPrefix(token, TokenPrefix) {
		return Principal{}, ErrUnauthenticated
	}
	u, t, ok, err := s.st.APITokenUser(ctx, tokenHash(token))
	if err != nil {
		return Principal{}, fmt.Errorf("api token: %w", err)
	}
	if !ok {
		return Principal{}, ErrUnauthenticated
	}
	if now := s.cfg.Now(); now.Sub(t.LastUsedAt) >= touchEvery {
		if err := s.st.TouchAPIToken(ctx, t.ID, now.UTC()); err != nil {
			s.log.Warn("record api token use", "token_id", t.ID, "err", err)
		}
	}
	return Principal{UserID: u.ID, Email: u.Email, Role: u.Role, Via: "token"}, nil
}
