package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"segbridge/internal/store"
	"segbridge/internal/user"
)

// tokenSelect reads tokens with their owner's e-mail (scanToken's order).
const tokenSelect = `SELECT t.id, t.name, t.owner_id, u.email, t.last4, t.created_at, t.last_used_at, t.expires_at
	FROM api_tokens t JOIN users u ON u.id = t.owner_id`

// CreateAPIToken implements store.Users.
func (s *Store) CreateAPIToken(ctx context.Context, t user.Token, tokenHash []byte) (user.Token, error) {
	row := s.pool.QueryRow(ctx, `WITH t AS (
			INSERT INTO api_tokens (token_hash, owner_id, name, last4, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING *)
		SELECT t.id, t.name, t.owner_id, u.email, t.last4, t.created_at, t.last_used_at, t.expires_at
		FROM t JOIN users u ON u.id = t.owner_id`,
		tokenHash, t.OwnerID, t.Name, t.Last4, t.CreatedAt, nullTime(t.ExpiresAt))
	got, err := scanToken(row)
	if isForeignKeyViolation(err) {
		return user.Token{}, fmt.Errorf("user %d: %w", t.OwnerID, store.ErrNotFound)
	}
	if err != nil {
		return user.Token{}, fmt.Errorf("postgres: create api token: %w", err)
	}
	return got, nil
}

// GetAPIToken implements store.Users.
func (s *Store) GetAPIToken(ctx context.Context, id int64) (user.Token, error) {
	t, err := scanToken(s.pool.QueryRow(ctx, tokenSelect+` WHERE t.id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return t, fmt.Errorf("api token %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return t, fmt.Errorf("postgres: get api token %d: %w", id, err)
	}
	return t, nil
}

// ListAPITokens implements store.Users.
func (s *Store) ListAPITokens(ctx context.Context, ownerID int64) ([]user.Token, error) {
	return s.listTokens(ctx, tokenSelect+` WHERE t.owner_id = $1 ORDER BY t.id`, ownerID)
}

// ListAllAPITokens implements store.Users.
func (s *Store) ListAllAPITokens(ctx context.Context) ([]user.Token, error) {
	return s.listTokens(ctx, tokenSelect+` ORDER BY t.id`)
}

func (s *Store) listTokens(ctx context.Context, q string, args ...any) ([]user.Token, error) {
	rs, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: list api tokens: %w", err)
	}
	out, err := pgx.CollectRows(rs, func(r pgx.CollectableRow) (user.Token, error) { return scanToken(r) })
	if err != nil {
		return nil, fmt.Errorf("postgres: list api tokens: %w", err)
	}
	return out, nil
}

// DeleteAPIToken implements store.Users.
func (s *Store) DeleteAPIToken(ctx context.Context, ownerID, id int64) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM api_tokens WHERE id = $1 AND owner_id = $2`, id, ownerID)
	if err != nil {
		return fmt.Errorf("postgres: delete api token %d: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("api token %d: %w", id, store.ErrNotFound)
	}
	return nil
}

// APITokenUser implements store.Users.
func (s *Store) APITokenUser(ctx context.Context, tokenHash []byte) (user.User, user.Token, bool, error) {
	var u user.User
	var t user.Token
	var role string
	var used, expires *time.Time
	err := s.pool.QueryRow(ctx, `SELECT u.id, u.email, u.role, u.created_at, u.updated_at,
		t.id, t.name, t.owner_id, t.last4, t.created_at, t.last_used_at, t.expires_at
		FROM api_tokens t JOIN users u ON u.id = t.owner_id WHERE t.token_hash = $1`, tokenHash).
		Scan(&u.ID, &u.Email, &role, &u.CreatedAt, &u.UpdatedAt, &t.ID, &t.Name, &t.OwnerID, &t.Last4, &t.CreatedAt, &used, &expires)
	if errors.Is(err, pgx.ErrNoRows) {
		return u, t, false, nil
	}
	if err != nil {
		return u, t, false, fmt.Errorf("postgres: api token user: %w", err)
	}
	u.Role, u.CreatedAt, u.UpdatedAt, t.CreatedAt = user.Role(role), u.CreatedAt.UTC(), u.UpdatedAt.UTC(), t.CreatedAt.UTC()
	t.OwnerEmail, t.LastUsedAt, t.ExpiresAt = u.Email, utcOrZero(used), utcOrZero(expires)
	return u, t, true, nil
}

// TouchAPIToken implements store.Users.
func (s *Store) TouchAPIToken(ctx context.Context, id int64, at time.Time) error {
	if _, err := s.pool.Exec(ctx, `UPDATE api_tokens SET last_used_at = $1 WHERE id = $2`, at, id); err != nil {
		return fmt.Errorf("postgres: touch api token %d: %w", id, err)
	}
	return nil
}

func scanToken(row pgx.Row) (user.Token, error) {
	var t user.Token
	var used, expires *time.Time
	if err := row.Scan(&t.ID, &t.Name, &t.OwnerID, &t.OwnerEmail, &t.Last4, &t.CreatedAt, &used, &expires); err != nil {
		return t, err
	}
	t.CreatedAt, t.LastUsedAt, t.ExpiresAt = t.CreatedAt.UTC(), utcOrZero(used), utcOrZero(expires)
	return t, nil
}

// utcOrZero is *t in UTC, or the zero time for NULL.
func utcOrZero(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}
