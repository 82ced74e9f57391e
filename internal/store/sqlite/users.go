package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"segbridge/internal/store"
	"segbridge/internal/user"
)

var (
	_ store.Users = (*Store)(nil)
	_ store.Audit = (*Store)(nil)
)

const userCols = `id, email, role, created_at, updated_at`

// CreateUser implements store.Users.
func (s *Store) CreateUser(ctx context.Context, u user.User, passwordHash string) (user.User, error) {
	row := s.db.QueryRowContext(ctx, `INSERT INTO users (email, role, password_hash, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?) RETURNING `+userCols,
		u.Email, string(u.Role), passwordHash, micros(u.CreatedAt), micros(u.UpdatedAt))
	got, err := scanUser(row)
	if err != nil {
		if strings.Contains(err.Error(), "UNIQUE constraint failed") {
			return user.User{}, fmt.Errorf("user %q: %w", u.Email, store.ErrConflict)
		}
		return user.User{}, fmt.Errorf("sqlite: create user %q: %w", u.Email, err)
	}
	return got, nil
}

// GetUser implements store.Users.
func (s *Store) GetUser(ctx context.Context, emailOrID string) (user.User, error) {
	var id any
	if n, err := strconv.ParseInt(emailOrID, 10, 64); err == nil {
		id = n
	}
	row := s.db.QueryRowContext(ctx, `SELECT `+userCols+` FROM users
		WHERE email = ?1 OR id = ?2 ORDER BY email = ?1 DESC LIMIT 1`, emailOrID, id)
	u, err := scanUser(row)
	if errors.Is(err, sql.ErrNoRows) {
		return u, fmt.Errorf("user %q: %w", emailOrID, store.ErrNotFound)
	}
	if err != nil {
		return u, fmt.Errorf("sqlite: get user %q: %w", emailOrID, err)
	}
	return u, nil
}

// ListUsers implements store.Users.
func (s *Store) ListUsers(ctx context.Context) ([]user.User, error) {
	rs, err := s.db.QueryContext(ctx, `SELECT `+userCols+` FROM users ORDER BY lower(email), id`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list users: %w", err)
	}
	defer rs.Close()
	var out []user.User
	for rs.Next() {
		u, err := scanUser(rs)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list users: %w", err)
		}
		out = append(out, u)
	}
	return out, rs.Err()
}

// CountUsers implements store.Users.
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite: count users: %w", err)
	}
	return n, nil
}

// UserCredentials implements store.Users.
func (s *Store) UserCredentials(ctx context.Context, email string) (user.Credentials, bool, error) {
	var c user.Credentials
	var role string
	var created, updated int64
	err := s.db.QueryRowContext(ctx, `SELECT id, email, role, created_at, updated_at, password_hash FROM users WHERE email = ?`, email).
		Scan(&c.User.ID, &c.User.Email, &role, &created, &updated, &c.PasswordHash)
	if errors.Is(err, sql.ErrNoRows) {
		return c, false, nil
	}
	if err != nil {
		return c, false, fmt.Errorf("sqlite: user credentials: %w", err)
	}
	c.User.Role, c.User.CreatedAt, c.User.UpdatedAt = user.Role(role), fromMicros(created), fromMicros(updated)
	return c, true, nil
}

// SetUserRole implements store.Users.
func (s *Store) SetUserRole(ctx context.Context, id int64, role user.Role, now time.Time) (user.User, error) {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if role != user.RoleAdmin {
			if err := lastAdminGuard(ctx, tx, id); err != nil {
				return err
			}
		}
		return userExec(ctx, tx, id, `UPDATE users SET role = ?, updated_at = ? WHERE id = ?`, string(role), micros(now), id)
	})
	if err != nil {
		return user.User{}, err
	}
	return s.GetUser(ctx, strconv.FormatInt(id, 10))
}

// SetUserPassword implements store.Users.
func (s *Store) SetUserPassword(ctx context.Context, id int64, passwordHash string, now time.Time) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if err := userExec(ctx, tx, id, `UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?`, passwordHash, micros(now), id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, id); err != nil {
			return fmt.Errorf("sqlite: end sessions of user %d: %w", id, err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM api_tokens WHERE owner_id = ?`, id); err != nil {
			return fmt.Errorf("sqlite: revoke api tokens of user %d: %w", id, err)
		}
		return nil
	})
}

// DeleteUser implements store.Users. The foreign keys cascade too; the
// explicit deletes keep that true on a connection opened without them.
func (s *Store) DeleteUser(ctx context.Context, id int64) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if err := lastAdminGuard(ctx, tx, id); err != nil {
			return err
		}
		for _, q := range []string{`DELETE FROM sessions WHERE user_id = ?`, `DELETE FROM api_tokens WHERE owner_id = ?`} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return fmt.Errorf("sqlite: delete user %d: %w", id, err)
			}
		}
		return userExec(ctx, tx, id, `DELETE FROM users WHERE id = ?`, id)
	})
}

// lastAdminGuard returns user.ErrLastAdmin if user id is the only admin, or
// ErrNotFound if there is no user id. Write transactions are IMMEDIATE, so
// no other writer can change the answer before tx commits.
func lastAdminGuard(ctx context.Context, tx *sql.Tx, id int64) error {
	var role string
	err := tx.QueryRowContext(ctx, `SELECT role FROM users WHERE id = ?`, id).Scan(&role)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("user %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("sqlite: user %d: %w", id, err)
	}
	if role != string(user.RoleAdmin) {
		return nil
	}
	var admins int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE role = 'admin'`).Scan(&admins); err != nil {
		return fmt.Errorf("sqlite: count admins: %w", err)
	}
	if admins <= 1 {
		return user.ErrLastAdmin
	}
	return nil
}

// userExec runs a write that must touch user id's row.
func userExec(ctx context.Context, tx *sql.Tx, id int64, q string, args ...any) error {
	res, err := tx.ExecContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("sqlite: user %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("user %d: %w", id, store.ErrNotFound)
	}
	return nil
}

func scanUser(row scanner) (user.User, error) {
	var u user.User
	var role string
	var created, updated int64
	if err := row.Scan(&u.ID, &u.Email, &role, &created, &updated); err != nil {
		return u, err
	}
	u.Role, u.CreatedAt, u.UpdatedAt = user.Role(role), fromMicros(created), fromMicros(updated)
	return u, nil
}
