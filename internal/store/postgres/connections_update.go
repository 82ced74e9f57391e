package postgres

import (
	"context"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"

	"segbridge/internal/connection"
	"segbridge/internal/store"
)

// UpdateConnection implements store.Connections.
func (s *Store) UpdateConnection(ctx context.Context, c connection.Connection, seal func(id int64) ([]byte, error)) (connection.Connection, error) {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE connections SET name = $1, access = $2, key_last4 = $3, brand_id = $4, brand_name = $5,
			checked_at = $6, export_user = $7, updated_at = $8, tagging = $10, dialect = $11, base_url = $12 WHERE id = $9`,
			c.Name, string(c.Access), c.KeyLast4, c.BrandID, c.BrandName, nullTime(c.CheckedAt), c.ExportUser, c.UpdatedAt, c.ID, store.TaggingOf(c),
			string(c.Dialect), c.BaseURL)
		if isUniqueViolation(err) {
			return fmt.Errorf("connection %q: %w", c.Name, store.ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("update connection: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("connection %d: %w", c.ID, store.ErrNotFound)
		}
		if seal == nil {
			return nil
		}
		sealed, err := seal(c.ID)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE connections SET key_ciphertext = $1 WHERE id = $2`, sealed, c.ID); err != nil {
			return fmt.Errorf("store sealed key: %w", err)
		}
		return nil
	})
	if err != nil {
		return connection.Connection{}, fmt.Errorf("postgres: update connection %d: %w", c.ID, err)
	}
	return s.GetConnection(ctx, strconv.FormatInt(c.ID, 10))
}
