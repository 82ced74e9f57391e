package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"segbridge/internal/connection"
	"segbridge/internal/omnisend"
	"segbridge/internal/store"
)

const connectionCols = `id, name, access, key_last4, dialect, base_url, brand_id, brand_name, checked_at,
	consent_by, consent_at, consent_notice_version, export_user, created_at, updated_at, tagging`

// CreateConnection implements store.Connections.
func (s *Store) CreateConnection(ctx context.Context, c connection.Connection, seal func(id int64) ([]byte, error)) (connection.Connection, error) {
	var id int64
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO connections (name, access, key_ciphertext, key_last4, dialect, base_url,
			brand_id, brand_name, checked_at, consent_by, consent_at, consent_notice_version, export_user, created_at, updated_at, tagging)
			VALUES ($1, $2, '', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id`,
			c.Name, string(c.Access), c.KeyLast4, string(c.Dialect), c.BaseURL, c.BrandID, c.BrandName, nullTime(c.CheckedAt),
			c.Consent.By, c.Consent.At, c.Consent.NoticeVersion, c.ExportUser, c.CreatedAt, c.UpdatedAt, store.TaggingOf(c)).Scan(&id)
		if isUniqueViolation(err) {
			return fmt.Errorf("connection %q: %w", c.Name, store.ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("insert connection: %w", err)
		}
		sealed, err := seal(id)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE connections SET key_ciphertext = $1 WHERE id = $2`, sealed, id); err != nil {
			return fmt.Errorf("store sealed key: %w", err)
		}
		return nil
	})
	if err != nil {
		return connection.Connection{}, fmt.Errorf("postgres: create connection: %w", err)
	}
	return s.GetConnection(ctx, strconv.FormatInt(id, 10))
}

// GetConnection implements store.Connections.
func (s *Store) GetConnection(ctx context.Context, nameOrID string) (connection.Connection, error) {
	var id *int64
	if n, err := strconv.ParseInt(nameOrID, 10, 64); err == nil {
		id = &n
	}
	row := s.pool.QueryRow(ctx, `SELECT `+connectionCols+` FROM connections
		WHERE lower(name) = lower($1) OR id = $2 ORDER BY lower(name) = lower($1) DESC LIMIT 1`, nameOrID, id)
	c, err := scanConnection(row)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, fmt.Errorf("connection %q: %w", nameOrID, store.ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("postgres: get connection %q: %w", nameOrID, err)
	}
	return c, nil
}

// ListConnections implements store.Connections.
func (s *Store) ListConnections(ctx context.Context) ([]connection.Connection, error) {
	rs, err := s.pool.Query(ctx, `SELECT `+connectionCols+` FROM connections ORDER BY lower(name), id`)
	if err != nil {
		return nil, fmt.Errorf("postgres: list connections: %w", err)
	}
	out, err := pgx.CollectRows(rs, func(r pgx.CollectableRow) (connection.Connection, error) { return scanConnection(r) })
	if err != nil {
		return nil, fmt.Errorf("postgres: list connections: %w", err)
	}
	return out, nil
}

// ConnectionKey implements store.Connections.
func (s *Store) ConnectionKey(ctx context.Context, id int64) ([]byte, error) {
	var sealed []byte
	err := s.pool.QueryRow(ctx, `SELECT key_ciphertext FROM connections WHERE id = $1`, id).Scan(&sealed)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("connection %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: read key of connection %d: %w", id, err)
	}
	return sealed, nil
}

// UpdateConnectionCheck implements store.Connections.
func (s *Store) UpdateConnectionCheck(ctx context.Context, id int64, c connection.Check) error {
	return s.execOne(ctx, id, `UPDATE connections SET brand_id = $1, brand_name = $2, checked_at = $3, updated_at = $3 WHERE id = $4`,
		c.Brand.ID, c.Brand.Name, c.At, id)
}

// DeleteConnection implements store.Connections.
func (s *Store) DeleteConnection(ctx context.Context, id int64) error {
	return s.execOne(ctx, id, `DELETE FROM connections WHERE id = $1`, id)
}

// execOne runs a write that must touch connection id's row.
func (s *Store) execOne(ctx context.Context, id int64, q string, args ...any) error {
	tag, err := s.pool.Exec(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("postgres: connection %d: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("connection %d: %w", id, store.ErrNotFound)
	}
	return nil
}

func scanConnection(row pgx.Row) (connection.Connection, error) {
	var c connection.Connection
	var access, dialect, tagging string
	var checked *time.Time
	err := row.Scan(&c.ID, &c.Name, &access, &c.KeyLast4, &dialect, &c.BaseURL, &c.BrandID, &c.BrandName, &checked,
		&c.Consent.By, &c.Consent.At, &c.Consent.NoticeVersion, &c.ExportUser, &c.CreatedAt, &c.UpdatedAt, &tagging)
	if err != nil {
		return c, err
	}
	c.Access, c.Dialect, c.Tagging = connection.Access(access), omnisend.Dialect(dialect), connection.Tagging(tagging)
	c.Consent.At, c.CreatedAt, c.UpdatedAt = c.Consent.At.UTC(), c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	if checked != nil {
		c.CheckedAt = checked.UTC()
	}
	return c, nil
}

func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
