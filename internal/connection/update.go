package connection

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"segbridge/internal/omnisend"
)

// Changes are what Update changes on a connection; nil fields are kept.
type Changes struct {
	Name       *string
	Access     *Access
	ExportUser *string
	// Tagging changes how the connection's exports tag contacts (from the
	// next run on; see Tagging).
	Tagging *Tagging
	// APIKey replaces the key. The new key is checked against Omnisend
	// first and must belong to the connection's brand (exports keep
	// sending to the brand they were made for).
	APIKey *omnisend.Secret
	// Dialect and BaseURL change which Omnisend API the connection talks
	// to. The key (the new one, or else the stored one) is checked against
	// the changed API first, like a key rotation, and must name the same
	// brand; a failed check changes nothing.
	Dialect *omnisend.Dialect
	BaseURL *string
}

// Fields names the fields c changes, for logs and the audit log.
func (c Changes) Fields() []string {
	var f []string
	for name, set := range map[string]bool{"name": c.Name != nil, "access": c.Access != nil,
		"export_user": c.ExportUser != nil, "api_key": c.APIKey != nil, "tagging": c.Tagging != nil,
		"dialect": c.Dialect != nil, "base_url": c.BaseURL != nil} {
		if set {
			f = append(f, name)
		}
	}
	slices.Sort(f)
	return f
}

// Update changes the connection nameOrID. A new key is checked and sealed
// in the same transaction as the other changes; a failed check changes
// nothing.
func (s *Service) Update(ctx context.Context, nameOrID string, ch Changes) (Connection, error) {
	c, err := s.cfg.Store.GetConnection(ctx, nameOrID)
	if err != nil {
		return Connection{}, err
	}
	if err := applyChanges(&c, ch); err != nil {
		return c, err
	}
	var seal func(int64) ([]byte, error)
	switch {
	case ch.APIKey != nil:
		// Checked against the connection's API as changed.
		if seal, err = s.rekey(ctx, &c, *ch.APIKey); err != nil {
			return c, err
		}
	case ch.Dialect != nil || ch.BaseURL != nil:
		if err := s.recheck(ctx, &c); err != nil {
			return c, err
		}
	}
	c.UpdatedAt = s.cfg.Now().UTC()
	saved, err := s.cfg.Store.UpdateConnection(ctx, c, seal)
	if err != nil {
		return c, fmt.Errorf("save connection %q: %w", c.Name, err)
	}
	s.log.InfoContext(ctx, "connection updated", slog.Int64("id", saved.ID), slog.String("name", saved.Name),
		slog.Any("changed", ch.Fields()), slog.String("key_last4", saved.KeyLast4))
	return saved, nil
}

// applyChanges sets and checks the changed settings on c.
func applyChanges(c *Connection, ch Changes) error {
	if ch.Name != nil {
		c.Name = strings.TrimSpace(*ch.Name)
		if err := ValidateName(c.Name); err != nil {
			return err
		}
	}
	if ch.Access != nil {
		a, err := ParseAccess(string(*ch.Access))
		if err != nil {
			return err
		}
		c.Access = a
	}
	if ch.ExportUser != nil {
		c.ExportUser = strings.TrimSpace(*ch.ExportUser)
		if err := ValidateExportUser(c.ExportUser); err != nil {
			return err
		}
	}
	if ch.Dialect != nil {
		if err := ValidateDialect(*ch.Dialect); err != nil {
			return err
		}
		c.Dialect = *ch.Dialect
	}
	if ch.BaseURL != nil {
		c.BaseURL = strings.TrimSpace(*ch.BaseURL)
		if err := ValidateBaseURL(c.BaseURL); err != nil {
			return err
		}
	}
	if ch.Dialect != nil && ch.Tagging == nil {
		if err := ValidateTagging(c.Tagging, c.Dialect); err != nil {
			return err
		}
	}
	if ch.Tagging != nil {
		t, err := ParseTagging(string(*ch.Tagging))
		if err != nil {
			return err
		}
		if err := ValidateTagging(t, c.Dialect); err != nil {
			return err
		}
		c.Tagging = t
	}
	return nil
}

// recheck checks c's stored key against c's (changed) dialect and base
// URL: it must still name c's brand.
func (s *Service) recheck(ctx context.Context, c *Connection) error {
	key, err := s.Key(ctx, *c)
	if err != nil {
		return err
	}
	brand, err := s.check(ctx, target{dialect: c.Dialect, baseURL: c.BaseURL, key: key})
	if err != nil {
		return err
	}
	if c.BrandID != "" && brand.ID != c.BrandID {
		return fmt.Errorf("connection %q: at %s the API key belongs to brand %s, not %s: %w; create a new connection for that brand",
			c.Name, c.BaseURL, brand.ID, c.BrandID, ErrBrandChanged)
	}
	c.BrandID, c.BrandName, c.CheckedAt = brand.ID, brand.Name, s.cfg.Now().UTC()
	return nil
}

// rekey checks key for c's brand and returns the seal of the new key.
func (s *Service) rekey(ctx context.Context, c *Connection, key omnisend.Secret) (func(int64) ([]byte, error), error) {
	if err := ValidateKey(key); err != nil {
		return nil, err
	}
	brand, err := s.check(ctx, target{dialect: c.Dialect, baseURL: c.BaseURL, key: key})
	if err != nil {
		return nil, err
	}
	if c.BrandID != "" && brand.ID != c.BrandID {
		return nil, fmt.Errorf("connection %q: the new API key belongs to brand %s, not %s: %w; create a new connection for that brand",
			c.Name, brand.ID, c.BrandID, ErrBrandChanged)
	}
	c.KeyLast4, c.BrandID, c.BrandName, c.CheckedAt = Last4(key.Reveal()), brand.ID, brand.Name, s.cfg.Now().UTC()
	return func(id int64) ([]byte, error) {
		sealed, err := s.cfg.Keys.Seal([]byte(key.Reveal()), KeyAD(id))
		if err != nil {
			return nil, fmt.Errorf("seal the API key: %w", err)
		}
		return sealed, nil
	}, nil
}
