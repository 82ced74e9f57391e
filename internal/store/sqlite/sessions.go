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

// CreateSession implements store.Users.
func (s *Store) CreateSession(ctx context.Context, tokenHash []byte, userID int64, expiresAt, now time.Time) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)`,
		tokenHash, userID, micros(now), micros(expiresAt))
	if err != nil {
		if strings.Contains(err.Error(), "FOREIGN KEY constraint failed") {
			return fmt.Errorf("user %d: %w", userID, store.ErrNotFound)
		}
		return fmt.Errorf("sqlite: create session: %w", err)
	}
	return nil
}

// SessionUser implements store.Users.
func (s *Store) SessionUser(ctx context.Context, tokenHash []byte, now time.Time) (user.User, bool, error) {
	row := s.db.QueryRowContext(ctx, `SELECT u.id, u.email, u.role, u.created_at, u.updated_at
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ? AND s.expires_at > ?`, tokenHash, micros(now))
	u, err := scanUser(row)
	if errors.Is(err, sql.ErrNoRows) {
		return u, false, nil
	}
	if err != nil {
		return u, false, fmt.Errorf("sqlite: session user: %w", err)
	}
	return u, true, nil
}

// DeleteSession implements store.Users.
func (s *Store) DeleteSession(ctx context.Context, tokenHash []byte) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = ?`, tokenHash); err != nil {
		return fmt.Errorf("sqlite: delete session: %w", err)
	}
	return nil
}

// DeleteExpiredSessions implements store.Users.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= ?`, micros(now))
	if err != nil {
		return 0, fmt.Errorf("sqlite: delete expired sessions: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

const tokenCols = `id, name, owner_id, last4, created_at, last_used_at`

// CreateAPIToken implements store.Users.
func (s *Store) CreateAPIToken(ctx context.Context, t user.Token, tokenHash []byte) (user.Token, error) {
	row := s.db.QueryRowContext(ctx, `INSERT INTO api_tokens (token_hash, owner_id, name, last4, created_at)
		VALUES (?, ?, ?, ?, ?) RETURNING `+tokenCols, tokenHash, t.OwnerID, t.Name, t.Last4, micros(t.CreatedAt))
	got, err := scanToken(row)
	if err != nil {
		if strings.Contains(err.Error(), "FOREIGN KEY constraint failed") {
			return user.Token{}, fmt.Errorf("user %d: %w", t.OwnerID, store.ErrNotFound)
		}
		return user.Token{}, fmt.Errorf("sqlite: create api token: %w", err)
	}
	return got, nil
}

// ListAPITokens implements store.Users.
func (s *Store) ListAPITokens(ctx context.Context, ownerID int64) ([]user.Token, error) {
	rs, err := s.db.QueryContext(ctx, `SELECT `+tokenCols+` FROM api_tokens WHERE owner_id = ? ORDER BY id`, ownerID)
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
	var used sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT u.id, u.email, u.role, u.created_at, u.updated_at,
		t.id, t.name, t.owner_id, t.last4, t.created_at, t.last_used_at
		FROM api_tokens t JOIN users u ON u.id = t.owner_id WHERE t.token_hash = ?`, tokenHash).
		Scan(&u.ID, &u.Email, &role, &uCreated, &uUpdated, &t.ID, &t.Name, &t.OwnerID, &t.Last4, &tCreated, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return u, t, false, nil
	}
	if err != nil {
		return u, t, false, fmt.Errorf("sqlite: api token user: %w", err)
	}
	u.Role, u.CreatedAt, u.UpdatedAt, t.CreatedAt = user.Role(role), fromMicros(uCreated), fromMicros(uUpdated), fromMicros(tCreated)
	if used.Valid {
		t.LastUsedAt = fromMicros(used.Int64)
	}
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
	var used sql.NullInt64
	if err := row.Scan(&t.ID, &t.Name, &t.OwnerID, &t.Last4, &created, &used); err != nil {
		return t, err
	}
	t.CreatedAt = fromMicros(created)
	if used.Valid {
		t.LastUsedAt = fromMicros(used.Int64)
	}
	return t, nil
}
