package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"segbridge/internal/store"
	"segbridge/internal/user"
)

// isForeignKeyViolation reports whether err is PostgreSQL's
// foreign_key_violation.
func isForeignKeyViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23503"
}

// CreateSession implements store.Users.
func (s *Store) CreateSession(ctx context.Context, tokenHash []byte, userID int64, expiresAt, now time.Time) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)`,
		tokenHash, userID, now, expiresAt)
	if isForeignKeyViolation(err) {
		return fmt.Errorf("user %d: %w", userID, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("postgres: create session: %w", err)
	}
	return nil
}

// SessionUser implements store.Users.
func (s *Store) SessionUser(ctx context.Context, tokenHash []byte, now time.Time) (user.User, bool, error) {
	row := s.pool.QueryRow(ctx, `SELECT u.id, u.email, u.role, u.created_at, u.updated_at
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND s.expires_at > $2`, tokenHash, now)
	u, err := scanUser(row)
	if errors.Is(err, pgx.ErrNoRows) {
		return u, false, nil
	}
	if err != nil {
		return u, false, fmt.Errorf("postgres: session user: %w", err)
	}
	return u, true, nil
}

// DeleteSession implements store.Users.
func (s *Store) DeleteSession(ctx context.Context, tokenHash []byte) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE token_hash = $1`, tokenHash); err != nil {
		return fmt.Errorf("postgres: delete session: %w", err)
	}
	return nil
}

// DeleteExpiredSessions implements store.Users.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE expires_at <= $1`, now)
	if err != nil {
		return 0, fmt.Errorf("postgres: delete expired sessions: %w", err)
	}
	return tag.RowsAffected(), nil
}

const tokenCols = `id, name, owner_id, last4, created_at, last_used_at`

// CreateAPIToken implements store.Users.
func (s *Store) CreateAPIToken(ctx context.Context, t user.Token, tokenHash []byte) (user.Token, error) {
	row := s.pool.QueryRow(ctx, `INSERT INTO api_tokens (token_hash, owner_id, name, last4, created_at)
		VALUES ($1, $2, $3, $4, $5) RETURNING `+tokenCols, tokenHash, t.OwnerID, t.Name, t.Last4, t.CreatedAt)
	got, err := scanToken(row)
	if isForeignKeyViolation(err) {
		return user.Token{}, fmt.Errorf("user %d: %w", t.OwnerID, store.ErrNotFound)
	}
	if err != nil {
		return user.Token{}, fmt.Errorf("postgres: create api token: %w", err)
	}
	return got, nil
}

// ListAPITokens implements store.Users.
func (s *Store) ListAPITokens(ctx context.Context, ownerID int64) ([]user.Token, error) {
	rs, err := s.pool.Query(ctx, `SELECT `+tokenCols+` FROM api_tokens WHERE owner_id = $1 ORDER BY id`, ownerID)
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
	var used *time.Time
	err := s.pool.QueryRow(ctx, `SELECT u.id, u.email, u.role, u.created_at, u.updated_at,
		t.id, t.name, t.owner_id, t.last4, t.created_at, t.last_used_at
		FROM api_tokens t JOIN users u ON u.id = t.owner_id WHERE t.token_hash = $1`, tokenHash).
		Scan(&u.ID, &u.Email, &role, &u.CreatedAt, &u.UpdatedAt, &t.ID, &t.Name, &t.OwnerID, &t.Last4, &t.CreatedAt, &used)
	if errors.Is(err, pgx.ErrNoRows) {
		return u, t, false, nil
	}
	if err != nil {
		return u, t, false, fmt.Errorf("postgres: api token user: %w", err)
	}
	u.Role, u.CreatedAt, u.UpdatedAt, t.CreatedAt = user.Role(role), u.CreatedAt.UTC(), u.UpdatedAt.UTC(), t.CreatedAt.UTC()
	if used != nil {
		t.LastUsedAt = used.UTC()
	}
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
	var used *time.Time
	if err := row.Scan(&t.ID, &t.Name, &t.OwnerID, &t.Last4, &t.CreatedAt, &used); err != nil {
		return t, err
	}
	t.CreatedAt = t.CreatedAt.UTC()
	if used != nil {
		t.LastUsedAt = used.UTC()
	}
	return t, nil
}
