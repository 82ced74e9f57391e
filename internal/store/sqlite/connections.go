package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"segbridge/internal/connection"
	"segbridge/internal/omnisend"
	"segbridge/internal/store"
)

const connectionCols = `id, name, access, key_last4, dialect, base_url, brand_id, brand_name, checked_at,
	consent_by, consent_at, consent_notice_version, export_user, created_at, updated_at, tagging`

// CreateConnection implements store.Connections.
func (s *Store) CreateConnection(ctx context.Context, c connection.Connection, seal func(id int64) ([]byte, error)) (connection.Connection, error) {
	var id int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO connections (name, access, key_ciphertext, key_last4, dialect, base_url,
			brand_id, brand_name, checked_at, consent_by, consent_at, consent_notice_version, export_user, created_at, updated_at, tagging)
			VALUES (?, ?, X'', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			c.Name, string(c.Access), c.KeyLast4, string(c.Dialect), c.BaseURL, c.BrandID, c.BrandName, nullMicros(c.CheckedAt),
			c.Consent.By, micros(c.Consent.At), c.Consent.NoticeVersion, c.ExportUser, micros(c.CreatedAt), micros(c.UpdatedAt), store.TaggingOf(c)).Scan(&id)
		if err != nil {
			if strings.Contains(err.Error(), "UNIQUE constraint failed") {
				return fmt.Errorf("connection %q: %w", c.Name, store.ErrConflict)
			}
			return fmt.Errorf("insert connection: %w", err)
		}
		sealed, err := seal(id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE connections SET key_ciphertext = ? WHERE id = ?`, sealed, id); err != nil {
			return fmt.Errorf("store sealed key: %w", err)
		}
		return nil
	})
	if err != nil {
		return connection.Connection{}, fmt.Errorf("sqlite: create connection: %w", err)
	}
	return s.GetConnection(ctx, strconv.FormatInt(id, 10))
}

// GetConnection implements store.Connections.
func (s *Store) GetConnection(ctx context.Context, nameOrID string) (connection.Connection, error) {
	var id any
	if n, err := strconv.ParseInt(nameOrID, 10, 64); err == nil {
		id = n
	}
	row := s.db.QueryRowContext(ctx, `SELECT `+connectionCols+` FROM connections
		WHERE name = ?1 COLLATE NOCASE OR id = ?2 ORDER BY name = ?1 COLLATE NOCASE DESC LIMIT 1`, nameOrID, id)
	c, err := scanConnection(row)
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("connection %q: %w", nameOrID, store.ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("sqlite: get connection %q: %w", nameOrID, err)
	}
	return c, nil
}

// ListConnections implements store.Connections.
func (s *Store) ListConnections(ctx context.Context) ([]connection.Connection, error) {
	rs, err := s.db.QueryContext(ctx, `SELECT `+connectionCols+` FROM connections ORDER BY lower(name), id`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list connections: %w", err)
	}
	defer rs.Close()
	var out []connection.Connection
	for rs.Next() {
		c, err := scanConnection(rs)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list connections: %w", err)
		}
		out = append(out, c)
	}
	return out, rs.Err()
}

// ConnectionKey implements store.Connections.
func (s *Store) ConnectionKey(ctx context.Context, id int64) ([]byte, error) {
	var sealed []byte
	err := s.db.QueryRowContext(ctx, `SELECT key_ciphertext FROM connections WHERE id = ?`, id).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("connection %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: read key of connection %d: %w", id, err)
	}
	return sealed, nil
}

// UpdateConnectionCheck implements store.Connections.
func (s *Store) UpdateConnectionCheck(ctx context.Context, id int64, c connection.Check) error {
	return s.execOne(ctx, id, `UPDATE connections SET brand_id = ?, brand_name = ?, checked_at = ?, updated_at = ? WHERE id = ?`,
		c.Brand.ID, c.Brand.Name, micros(c.At), micros(c.At), id)
}

// DeleteConnection implements store.Connections.
func (s *Store) DeleteConnection(ctx context.Context, id int64) error {
	return s.execOne(ctx, id, `DELETE FROM connections WHERE id = ?`, id)
}

// execOne runs a write that must touch connection id's row.
func (s *Store) execOne(ctx context.Context, id int64, q string, args ...any) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("sqlite: connection %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("connection %d: %w", id, store.ErrNotFound)
		}
		return nil
	})
}

func scanConnection(row scanner) (connection.Connection, error) {
	var c connection.Connection
	var access, dialect, tagging string
	var checked sql.NullInt64
	var consentAt, created, updated int64
	err := row.Scan(&c.ID, &c.Name, &access, &c.KeyLast4, &dialect, &c.BaseURL, &c.BrandID, &c.BrandName, &checked,
		&c.Consent.By, &consentAt, &c.Consent.NoticeVersion, &c.ExportUser, &created, &updated, &tagging)
	if err != nil {
		return c, err
	}
	c.Access, c.Dialect, c.Tagging = connection.Access(access), omnisend.Dialect(dialect), connection.Tagging(tagging)
	c.Consent.At, c.CreatedAt, c.UpdatedAt = fromMicros(consentAt), fromMicros(created), fromMicros(updated)
	if checked.Valid {
		c.CheckedAt = fromMicros(checked.Int64)
	}
	return c, nil
}

func nullMicros(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: micros(t), Valid: true}
}
