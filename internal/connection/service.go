package connection

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"segbridge/internal/omnisend"
)

// Store is the storage a Service needs; store.Store satisfies it.
type Store interface {
	// CreateConnection inserts c and, in the same transaction, stores the
	// sealed key that seal returns for the new row's id.
	CreateConnection(ctx context.Context, c Connection, seal func(id int64) ([]byte, error)) (Connection, error)
	// GetConnection finds a connection by name (case-insensitively) or id.
	GetConnection(ctx context.Context, nameOrID string) (Connection, error)
	// ConnectionKey returns the sealed key of a connection.
	ConnectionKey(ctx context.Context, id int64) ([]byte, error)
	// UpdateConnectionCheck records a successful key check.
	UpdateConnectionCheck(ctx context.Context, id int64, c Check) error
	// UpdateConnection stores a changed connection and, when seal is not
	// nil, the sealed key it returns, in one transaction.
	UpdateConnection(ctx context.Context, c Connection, seal func(id int64) ([]byte, error)) (Connection, error)
	// DeleteConnection removes a connection.
	DeleteConnection(ctx context.Context, id int64) error
}

// Keys seals and opens API keys; *secret.Keyring satisfies it.
type Keys interface {
	Seal(plaintext, associatedData []byte) ([]byte, error)
	Open(sealed, associatedData []byte) ([]byte, error)
}

// Config configures a Service.
type Config struct {
	// Store keeps connections. Required.
	Store Store
	// Keys seals API keys at rest. Required.
	Keys Keys
	// HTTPClient talks to Omnisend (default: the omnisend client's own).
	HTTPClient *http.Client
	// Timeout bounds each request of a key check (default 10 s).
	Timeout time.Duration
	// Retry bounds the retries of a key check. An admin is waiting, so the
	// default is short: 3 attempts, at most 2 s apart.
	Retry omnisend.RetryConfig
	// Logger receives one line per change (default: discard). It never
	// sees a key.
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// WithDefaults returns c with every unset field at its default.
func (c Config) WithDefaults() Config {
	if c.Timeout == 0 {
		c.Timeout = omnisend.DefaultTimeout
	}
	if c.Retry.MaxAttempts == 0 {
		c.Retry.MaxAttempts = 3
	}
	if c.Retry.BaseDelay == 0 {
		c.Retry.BaseDelay = 250 * time.Millisecond
	}
	if c.Retry.MaxDelay == 0 {
		c.Retry.MaxDelay = 2 * time.Second
	}
	if c.Retry.MaxRetryAfter == 0 {
		c.Retry.MaxRetryAfter = 5 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Validate reports the first invalid field, naming it.
func (c Config) Validate() error {
	switch {
	case c.Store == nil:
		return errors.New("connection: config: Store: required")
	case c.Keys == nil:
		return errors.New("connection: config: Keys: required")
	case c.Timeout < 0:
		return fmt.Errorf("connection: config: Timeout: must be positive, got %s", c.Timeout)
	}
	return nil
}

// Service creates, checks and removes connections.
type Service struct {
	cfg Config
	log *slog.Logger
}

// NewService returns a service for cfg (defaults applied, then validated).
func NewService(cfg Config) (*Service, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Service{cfg: cfg, log: cfg.Logger.With(slog.String("component", "connection"))}, nil
}

// Connect validates d and checks its key against Omnisend: the key must
// name a brand and may read and write contacts. It stores nothing. A
// failed check is a *CheckError.
func (s *Service) Connect(ctx context.Context, d Draft) (Brand, error) {
	d = d.WithDefaults()
	if err := d.Validate(); err != nil {
		return Brand{}, err
	}
	return s.check(ctx, target{dialect: d.Dialect, baseURL: d.BaseURL, key: d.APIKey})
}

// Create connects d (see Connect) and only then saves it, the key sealed
// and bound to the new connection's id.
func (s *Service) Create(ctx context.Context, d Draft) (Connection, error) {
	d = d.WithDefaults()
	brand, err := s.Connect(ctx, d)
	if err != nil {
		return Connection{}, err
	}
	now := s.cfg.Now().UTC()
	c := Connection{
		Name: d.Name, Access: d.Access, KeyLast4: Last4(d.APIKey.Reveal()),
		Dialect: d.Dialect, BaseURL: d.BaseURL, Tagging: d.Tagging, BrandID: brand.ID, BrandName: brand.Name,
		CheckedAt: now, Consent: d.Consent, ExportUser: d.ExportUser, CreatedAt: now, UpdatedAt: now,
	}
	c.Consent.At = c.Consent.At.UTC()
	seal := func(id int64) ([]byte, error) {
		sealed, err := s.cfg.Keys.Seal([]byte(d.APIKey.Reveal()), KeyAD(id))
		if err != nil {
			return nil, fmt.Errorf("seal the API key: %w", err)
		}
		return sealed, nil
	}
	c, err = s.cfg.Store.CreateConnection(ctx, c, seal)
	if err != nil {
		return Connection{}, fmt.Errorf("save connection %q: %w", d.Name, err)
	}
	s.log.InfoContext(ctx, "connection created", slog.Int64("id", c.ID), slog.String("name", c.Name),
		slog.String("brand", c.BrandID), slog.String("key_last4", c.KeyLast4), slog.String("consent_by", c.Consent.By))
	return c, nil
}

// Key opens the stored API key of c, for the code that talks to Omnisend.
func (s *Service) Key(ctx context.Context, c Connection) (omnisend.Secret, error) {
	sealed, err := s.cfg.Store.ConnectionKey(ctx, c.ID)
	if err != nil {
		return omnisend.Secret{}, fmt.Errorf("read the API key of connection %q: %w", c.Name, err)
	}
	plain, err := s.cfg.Keys.Open(sealed, KeyAD(c.ID))
	if err != nil {
		return omnisend.Secret{}, fmt.Errorf("open the API key of connection %q: %w", c.Name, err)
	}
	return omnisend.NewSecret(string(plain)), nil
}

// ErrBrandChanged is returned (wrapped) by Check when the stored key now
// names a different brand than the connection was made for.
var ErrBrandChanged = errors.New("the API key now belongs to another brand")

// Check checks the stored key of the connection nameOrID again and records
// the brand and time. A failed check changes nothing.
func (s *Service) Check(ctx context.Context, nameOrID string) (Connection, error) {
	c, err := s.cfg.Store.GetConnection(ctx, nameOrID)
	if err != nil {
		return Connection{}, err
	}
	key, err := s.Key(ctx, c)
	if err != nil {
		return c, err
	}
	brand, err := s.check(ctx, target{dialect: c.Dialect, baseURL: c.BaseURL, key: key})
	if err != nil {
		return c, err
	}
	if c.BrandID != "" && brand.ID != c.BrandID {
		return c, fmt.Errorf("connection %q: %w (was %s, now %s); create a new connection for that brand",
			c.Name, ErrBrandChanged, c.BrandID, brand.ID)
	}
	chk := Check{Brand: brand, At: s.cfg.Now().UTC()}
	if err := s.cfg.Store.UpdateConnectionCheck(ctx, c.ID, chk); err != nil {
		return c, fmt.Errorf("record the check of connection %q: %w", c.Name, err)
	}
	s.log.InfoContext(ctx, "connection checked", slog.Int64("id", c.ID), slog.String("brand", brand.ID))
	return s.cfg.Store.GetConnection(ctx, fmt.Sprint(c.ID))
}

// Remove deletes the connection nameOrID. Exports that use it are detached
// by the store (they keep their settings and stop running).
func (s *Service) Remove(ctx context.Context, nameOrID string) (Connection, error) {
	c, err := s.cfg.Store.GetConnection(ctx, nameOrID)
	if err != nil {
		return Connection{}, err
	}
	if err := s.cfg.Store.DeleteConnection(ctx, c.ID); err != nil {
		return c, fmt.Errorf("remove connection %q: %w", c.Name, err)
	}
	s.log.InfoContext(ctx, "connection removed", slog.Int64("id", c.ID), slog.String("name", c.Name))
	return c, nil
}
