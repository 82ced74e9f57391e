package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"segbridge/internal/store"
	"segbridge/internal/user"
)

// tokenSelect reads tokens with their owner's e-mail (scanToken's order).
const tokenSelect = `SELECT t.id, t.name, t.owner_id, u.email, t.last4, t.created_at, t.last_used_at, t.expires_at
	FROM api_tokens t JOIN users u ON u.id = t.owner_id`

// CreateAPIToken implements store.Users.
func (s *Store) CreateAPIToken(ctx context.Context, t user.Token, tokenHash []byte) (user.Token, error) {
	var id int64
	err := s.db.QueryRowContext(ctx, `INSERT INTO api_tokens (token_hash, owner_id, name, last4, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
		tokenHash, t.OwnerID, t.Name, t.Last4, micros(t.CreatedAt), nullMicros(t.ExpiresAt)).Scan(&id)
	if err != nil {
		if strings.Contains(err.Error(), "FOREIGN KEY constraint failed") {
			return user.Token{}, fmt.Errorf("user %d: %w", t.OwnerID, store.ErrNotFound)
		}
		return user.Token{}, fmt.Errorf("sqlite: create api token: %w", err)
	}
	return s.GetAPIToken(ctx, id)
}

// GetAPIToken implements store.Users.
func (s *Store) GetAPIToken(ctx context.Context, id int64) (user.Token, error) {
	t, err := scanToken(s.db.QueryRowContext(ctx, tokenSelect+` WHERE t.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return t, fmt.Errorf("api token %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return t, fmt.Errorf("sqlite: get api token %d: %w", id, err)
	}
	return t, nil
}

// ListAPITokens implements store.Users.
func (s *Store) ListAPITokens(ctx context.Context, ownerID int64) ([]user.Token, error) {
	return s.listTokens(ctx, tokenSelect+` WHERE t.owner_id = ? ORDER BY t.id`, ownerID)
}

// ListAllAPITokens implements store.Users.
func (s *Store) ListAllAPITokens(ctx context.Context) ([]user.Token, error) {
	return s.listTokens(ctx, tokenSelect+` ORDER BY t.id`)
}

func (s *Store) listTokens(ctx context.Context, q string, args ...any) ([]user.Token, error) {
	rs, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list api tokens: %w", err)
	}
	defer rs.Close()
	var out []user.Token
	for rs.Next() {
		t, err := scanToken(rs)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list api tokens: %w", err)
		}
		out = append(out, t)
	}
	return out, rs.Err()
}

// DeleteAPIToken implements store.Users.
func (s *Store) DeleteAPIToken(ctx context.Context, ownerID, id int64) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM api_tokens WHERE id = ? AND owner_id = ?`, id, ownerID)
	if err != nil {
		return fmt.Errorf("sqlite: delete api token %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("api token %d: %w", id, store.ErrNotFound)
	}
	return nil
}

// APITokenUser implements store.Users.
func (s *Store) APITokenUser(ctx context.Context, tokenHash []byte) (user.User, user.Token, bool, error) {
	var u user.User
	var t user.Token
	var role string
	var uCreated, uUpdated, tCreated int64
	var used, expires sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT u.id, u.email, u.role, u.created_at, u.updated_at,
		t.id, t.name, t.owner_id, t.last4, t.created_at, t.last_used_at, t.expires_at
		FROM api_tokens t JOIN users u ON u.id = t.owner_id WHERE t.token_hash = ?`, tokenHash).
		Scan(&u.ID, &u.Email, &role, &uCreated, &uUpdated, &t.ID, &t.Name, &t.OwnerID, &t.Last4, &tCreated, &used, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return u, t, false, nil
	}
	if err != nil {
		return u, t, false, fmt.Errorf("sqlite: api token user: %w", err)
	}
	u.Role, u.CreatedAt, u.UpdatedAt, t.CreatedAt = user.Role(role), fromMicros(uCreated), fromMicros(uUpdated), fromMicros(tCreated)
	t.OwnerEmail, t.LastUsedAt, t.ExpiresAt = u.Email, fromNullMicros(used), fromNullMicros(expires)
	return u, t, true, nil
}

// TouchAPIToken implements store.Users.
func (s *Store) TouchAPIToken(ctx context.Context, id int64, at time.Time) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = ? WHERE id = ?`, micros(at), id); err != nil {
		return fmt.Errorf("sqlite: touch api token %d: %w", id, err)
	}
	return nil
}

func scanToken(row scanner) (user.Token, error) {
	var t user.Token
	var created int64
	var used, expires sql.NullInt64
	if err := row.Scan(&t.ID, &t.Name, &t.OwnerID, &t.OwnerEmail, &t.Last4, &created, &used, &expires); err != nil {
		return t, err
	}
	t.CreatedAt, t.LastUsedAt, t.ExpiresAt = fromMicros(created), fromNullMicros(used), fromNullMicros(expires)
	return t, nil
}

// fromNullMicros is the time v holds, or the zero time for NULL.
func fromNullMicros(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return fromMicros(v.Int64)
}
