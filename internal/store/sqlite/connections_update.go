package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"segbridge/internal/connection"
	"segbridge/internal/store"
)

// UpdateConnection implements store.Connections.
func (s *Store) UpdateConnection(ctx context.Context, c connection.Connection, seal func(id int64) ([]byte, error)) (connection.Connection, error) {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE connections SET name = ?, access = ?, key_last4 = ?, brand_id = ?, brand_name = ?,
			checked_at = ?, export_user = ?, updated_at = ?, tagging = ?, dialect = ?, base_url = ? WHERE id = ?`,
			c.Name, string(c.Access), c.KeyLast4, c.BrandID, c.BrandName, nullMicros(c.CheckedAt), c.ExportUser, micros(c.UpdatedAt), store.TaggingOf(c),
			string(c.Dialect), c.BaseURL, c.ID)
		if err != nil {
			if strings.Contains(err.Error(), "UNIQUE constraint failed") {
				return fmt.Errorf("connection %q: %w", c.Name, store.ErrConflict)
			}
			return fmt.Errorf("update connection: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("connection %d: %w", c.ID, store.ErrNotFound)
		}
		if seal == nil {
			return nil
		}
		sealed, err := seal(c.ID)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE connections SET key_ciphertext = ? WHERE id = ?`, sealed, c.ID); err != nil {
			return fmt.Errorf("store sealed key: %w", err)
		}
		return nil
	})
	if err != nil {
		return connection.Connection{}, fmt.Errorf("sqlite: update connection %d: %w", c.ID, err)
	}
	return s.GetConnection(ctx, strconv.FormatInt(c.ID, 10))
}
