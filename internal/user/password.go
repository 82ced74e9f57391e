package user

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
)

// Password length limits: at least MinPasswordLen characters, at most
// MaxPasswordBytes bytes (bcrypt reads no further).
const (
	MinPasswordLen   = 12
	MaxPasswordBytes = 72
)

// CheckPassword reports why password is not acceptable, or nil.
func CheckPassword(password string) error {
	switch {
	case utf8.RuneCountInString(password) < MinPasswordLen:
		return fmt.Errorf("password: want at least %d characters, got %d", MinPasswordLen, utf8.RuneCountInString(password))
	case len(password) > MaxPasswordBytes:
		return fmt.Errorf("password: want at most %d bytes, got %d", MaxPasswordBytes, len(password))
	}
	return nil
}

// hash checks password and returns its bcrypt hash.
func (s *Service) hash(password string) (string, error) {
	if err := CheckPassword(password); err != nil {
		return "", err
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), s.cfg.PasswordCost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// passwordMatches compares in constant time (bcrypt's comparison). A
// malformed stored hash never matches.
func passwordMatches(hash, password string) (bool, error) {
	err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(password))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
		return false, nil
	}
	return false, fmt.Errorf("check password: %w", err)
}

// GeneratePassword returns a random 24-character password (144 bits).
func GeneratePassword() (string, error) {
	return randomString(18)
}

// randomString returns n random bytes in unpadded URL-safe base64.
func randomString(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// tokenHash is how session and API tokens are stored: SHA-256 of the
// plaintext. Tokens carry 256 random bits, so no salt or slow hash is
// needed, and a lookup by hash leaks nothing useful through timing.
func tokenHash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}
