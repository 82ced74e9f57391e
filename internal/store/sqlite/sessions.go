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
