package user

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/mail"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Errors a Service returns (wrapped or as they are). Lookups of users that
// do not exist, and API tokens that are not the owner's, return the store's
// not-found error; a taken e-mail returns the store's conflict error.
var (
	ErrBadCredentials  = errors.New("wrong e-mail or password")
	ErrTooManyAttempts = errors.New("too many login attempts; try again later")
	ErrUnauthenticated = errors.New("not signed in or session expired")
	ErrLastAdmin       = errors.New("the last admin cannot be removed or demoted")
)

// Credentials is a user with the password hash a login checks.
type Credentials struct {
	User         User
	PasswordHash string
}

// Store is the storage a Service needs; store.Store satisfies it. Tokens
// and sessions are looked up by the SHA-256 of their plaintext, which the
// store never sees.
type Store interface {
	// CreateUser inserts u (ID and timestamps as given are ignored except
	// CreatedAt/UpdatedAt); a taken e-mail (case-insensitively) is the
	// store's conflict error.
	CreateUser(ctx context.Context, u User, passwordHash string) (User, error)
	// GetUser finds a user by e-mail (case-insensitively) or, if emailOrID
	// is a number, by id.
	GetUser(ctx context.Context, emailOrID string) (User, error)
	// ListUsers returns every user ordered by e-mail.
	ListUsers(ctx context.Context) ([]User, error)
	// CountUsers counts the users.
	CountUsers(ctx context.Context) (int, error)
	// UserCredentials finds a user and password hash by e-mail; ok is false
	// when no user has that e-mail.
	UserCredentials(ctx context.Context, email string) (c Credentials, ok bool, err error)
	// SetUserRole changes a user's role; demoting the last admin is
	// ErrLastAdmin, decided atomically.
	SetUserRole(ctx context.Context, id int64, role Role, now time.Time) (User, error)
	// SetUserPassword replaces a user's password hash and ends all of the
	// user's sessions and API tokens.
	SetUserPassword(ctx context.Context, id int64, passwordHash string, now time.Time) error
	// DeleteUser removes a user with their sessions and API tokens;
	// removing the last admin is ErrLastAdmin, decided atomically.
	DeleteUser(ctx context.Context, id int64) error
	// CreateSession stores a session by its token hash.
	CreateSession(ctx context.Context, tokenHash []byte, userID int64, expiresAt, now time.Time) error
	// SessionUser returns the user of the session with tokenHash that has
	// not expired at now; ok is false when there is none.
	SessionUser(ctx context.Context, tokenHash []byte, now time.Time) (u User, ok bool, err error)
	// DeleteSession removes a session; a missing one is not an error.
	DeleteSession(ctx context.Context, tokenHash []byte) error
	// DeleteExpiredSessions removes sessions expired at now.
	DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error)
	// CreateAPIToken stores t (its ID is ignored) by its token hash.
	CreateAPIToken(ctx context.Context, t Token, tokenHash []byte) (Token, error)
	// ListAPITokens returns ownerID's tokens ordered by id.
	ListAPITokens(ctx context.Context, ownerID int64) ([]Token, error)
	// ListAllAPITokens returns every user's tokens ordered by id.
	ListAllAPITokens(ctx context.Context) ([]Token, error)
	// GetAPIToken returns token id, or the store's not-found error.
	GetAPIToken(ctx context.Context, id int64) (Token, error)
	// DeleteAPIToken removes token id if ownerID owns it, else returns the
	// store's not-found error.
	DeleteAPIToken(ctx context.Context, ownerID, id int64) error
	// APITokenUser returns the token with tokenHash and its owner; ok is
	// false when there is none.
	APITokenUser(ctx context.Context, tokenHash []byte) (u User, t Token, ok bool, err error)
	// TouchAPIToken sets a token's last use.
	TouchAPIToken(ctx context.Context, id int64, at time.Time) error
}

// Config configures a Service.
type Config struct {
	// Store keeps users, sessions and tokens. Required.
	Store Store
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Logger receives one line per change and per refused login (default:
	// discard). It never sees a password or token.
	Logger *slog.Logger
	// SessionTTL is how long a session lasts after login (default 12 h).
	SessionTTL time.Duration
	// LoginBurst, LoginClientBurst and LoginEvery rate-limit failed
	// logins: LoginBurst failures at once per client and account (default
	// 5), LoginClientBurst per client over all accounts (default 20), then
	// one more every LoginEvery (default 10 s). A client is its IP address
	// (an IPv6 address counts as its /64). Wrong passwords from one client
	// never stop the right one from another. The limits live in this
	// process's memory.
	LoginBurst       int
	LoginClientBurst int
	LoginEvery       time.Duration
	// PasswordCost is the bcrypt cost (default 12; bcrypt.MinCost, 4, in
	// tests).
	PasswordCost int
}

// WithDefaults returns c with every unset field at its default.
func (c Config) WithDefaults() Config {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.SessionTTL == 0 {
		c.SessionTTL = 12 * time.Hour
	}
	if c.LoginBurst == 0 {
		c.LoginBurst = 5
	}
	if c.LoginClientBurst == 0 {
		c.LoginClientBurst = 4 * c.LoginBurst
	}
	if c.LoginEvery == 0 {
		c.LoginEvery = 10 * time.Second
	}
	if c.PasswordCost == 0 {
		c.PasswordCost = 12
	}
	return c
}

// Validate reports the first invalid field, naming it.
func (c Config) Validate() error {
	switch {
	case c.Store == nil:
		return errors.New("user: config: Store: required")
	case c.SessionTTL < time.Minute:
		return fmt.Errorf("user: config: SessionTTL: want at least 1m, got %s", c.SessionTTL)
	case c.LoginBurst < 1:
		return fmt.Errorf("user: config: LoginBurst: want at least 1, got %d", c.LoginBurst)
	case c.LoginClientBurst < c.LoginBurst:
		return fmt.Errorf("user: config: LoginClientBurst: want at least LoginBurst (%d), got %d", c.LoginBurst, c.LoginClientBurst)
	case c.LoginEvery <= 0:
		return fmt.Errorf("user: config: LoginEvery: must be positive, got %s", c.LoginEvery)
	case c.PasswordCost < bcrypt.MinCost || c.PasswordCost > bcrypt.MaxCost:
		return fmt.Errorf("user: config: PasswordCost: want %d..%d, got %d", bcrypt.MinCost, bcrypt.MaxCost, c.PasswordCost)
	}
	return nil
}

// Service manages users, their sessions and API tokens. It is safe for
// concurrent use.
type Service struct {
	cfg Config
	st  Store
	log *slog.Logger
	// dummy is a hash compared against when the e-mail is unknown, made
	// on first use (bcrypt is slow; most processes never need it).
	dummy func() ([]byte, error)

	mu              sync.Mutex
	byClientAccount limiters
	byClient        limiters
}

// NewService returns a service for cfg (defaults applied, then validated).
func NewService(cfg Config) (*Service, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Service{
		cfg: cfg, st: cfg.Store,
		dummy: sync.OnceValues(func() ([]byte, error) {
			return bcrypt.GenerateFromPassword([]byte("segbridge-no-such-user"), cfg.PasswordCost)
		}),
		log:             cfg.Logger.With(slog.String("component", "user")),
		byClientAccount: limiters{}, byClient: limiters{},
	}, nil
}

// Add creates a user. The e-mail must be a plain address; the password at
// least MinPasswordLen characters.
func (s *Service) Add(ctx context.Context, email, password string, role Role) (User, error) {
	email, err := ParseEmail(email)
	if err != nil {
		return User{}, err
	}
	if _, err := ParseRole(string(role)); err != nil {
		return User{}, err
	}
	hash, err := s.hash(password)
	if err != nil {
		return User{}, err
	}
	now := s.cfg.Now().UTC()
	u, err := s.st.CreateUser(ctx, User{Email: email, Role: role, CreatedAt: now, UpdatedAt: now}, hash)
	if err != nil {
		return User{}, fmt.Errorf("add user %s: %w", email, err)
	}
	s.log.Info("user added", "user_id", u.ID, "email", u.Email, "role", u.Role)
	return u, nil
}

// List returns every user ordered by e-mail.
func (s *Service) List(ctx context.Context) ([]User, error) {
	return s.st.ListUsers(ctx)
}

// Get finds a user by e-mail (case-insensitively) or id.
func (s *Service) Get(ctx context.Context, emailOrID string) (User, error) {
	return s.st.GetUser(ctx, strings.TrimSpace(emailOrID))
}

// Remove deletes a user with their sessions and API tokens. The last admin
// cannot be removed (ErrLastAdmin).
func (s *Service) Remove(ctx context.Context, emailOrID string) error {
	u, err := s.Get(ctx, emailOrID)
	if err != nil {
		return err
	}
	if err := s.st.DeleteUser(ctx, u.ID); err != nil {
		return fmt.Errorf("remove user %s: %w", u.Email, err)
	}
	s.log.Info("user removed", "user_id", u.ID, "email", u.Email)
	return nil
}

// SetRole changes a user's role; it applies to their next request.
// Demoting the last admin is ErrLastAdmin.
func (s *Service) SetRole(ctx context.Context, emailOrID string, role Role) (User, error) {
	if _, err := ParseRole(string(role)); err != nil {
		return User{}, err
	}
	u, err := s.Get(ctx, emailOrID)
	if err != nil {
		return User{}, err
	}
	u, err = s.st.SetUserRole(ctx, u.ID, role, s.cfg.Now().UTC())
	if err != nil {
		return User{}, fmt.Errorf("set role of %s: %w", emailOrID, err)
	}
	s.log.Info("user role set", "user_id", u.ID, "email", u.Email, "role", u.Role)
	return u, nil
}

// SetPassword replaces a user's password, signs them out everywhere and
// revokes their API tokens (a changed password is often a suspected leak).
func (s *Service) SetPassword(ctx context.Context, emailOrID, password string) error {
	hash, err := s.hash(password)
	if err != nil {
		return err
	}
	u, err := s.Get(ctx, emailOrID)
	if err != nil {
		return err
	}
	if err := s.st.SetUserPassword(ctx, u.ID, hash, s.cfg.Now().UTC()); err != nil {
		return fmt.Errorf("set password of %s: %w", u.Email, err)
	}
	s.log.Info("user password set", "user_id", u.ID, "email", u.Email)
	return nil
}

// DefaultAdminEmail is the first admin's e-mail when none is configured.
const DefaultAdminEmail = "admin@localhost"

// Bootstrap creates the first admin when no user exists: email (default
// DefaultAdminEmail) with password, or with a generated password that it
// returns for the caller to show once. With any user present it does
// nothing and returns a zero User.
func (s *Service) Bootstrap(ctx context.Context, email, password string) (User, string, error) {
	n, err := s.st.CountUsers(ctx)
	if err != nil {
		return User{}, "", fmt.Errorf("bootstrap: %w", err)
	}
	if n > 0 {
		return User{}, "", nil
	}
	if email == "" {
		email = DefaultAdminEmail
	}
	generated := ""
	if password == "" {
		if generated, err = GeneratePassword(); err != nil {
			return User{}, "", fmt.Errorf("bootstrap: %w", err)
		}
		password = generated
	}
	u, err := s.Add(ctx, email, password, RoleAdmin)
	if err != nil {
		// Another process may have bootstrapped at the same moment.
		if n, cerr := s.st.CountUsers(ctx); cerr == nil && n > 0 {
			return User{}, "", nil
		}
		return User{}, "", fmt.Errorf("bootstrap: %w", err)
	}
	return u, generated, nil
}

// ParseEmail checks that s (trimmed) is a plain e-mail address such as
// ann@example.com and returns it trimmed.
func ParseEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" || len(s) > 254 {
		return "", fmt.Errorf("e-mail %q: want a plain address such as ann@example.com", s)
	}
	return s, nil
}
