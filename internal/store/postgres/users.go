package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

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
	row := s.pool.QueryRow(ctx, `INSERT INTO users (email, role, password_hash, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5) RETURNING `+userCols,
		u.Email, string(u.Role), passwordHash, u.CreatedAt, u.UpdatedAt)
	got, err := scanUser(row)
	if isUniqueViolation(err) {
		return user.User{}, fmt.Errorf("user %q: %w", u.Email, store.ErrConflict)
	}
	if err != nil {
		return user.User{}, fmt.Errorf("postgres: create user %q: %w", u.Email, err)
	}
	return got, nil
}

// GetUser implements store.Users.
func (s *Store) GetUser(ctx context.Context, emailOrID string) (user.User, error) {
	var id *int64
	if n, err := strconv.ParseInt(emailOrID, 10, 64); err == nil {
		id = &n
	}
	row := s.pool.QueryRow(ctx, `SELECT `+userCols+` FROM users
		WHERE lower(email) = lower($1) OR id = $2 ORDER BY lower(email) = lower($1) DESC LIMIT 1`, emailOrID, id)
	u, err := scanUser(row)
	if errors.Is(err, pgx.ErrNoRows) {
		return u, fmt.Errorf("user %q: %w", emailOrID, store.ErrNotFound)
	}
	if err != nil {
		return u, fmt.Errorf("postgres: get user %q: %w", emailOrID, err)
	}
	return u, nil
}

// ListUsers implements store.Users.
func (s *Store) ListUsers(ctx context.Context) ([]user.User, error) {
	rs, err := s.pool.Query(ctx, `SELECT `+userCols+` FROM users ORDER BY lower(email), id`)
	if err != nil {
		return nil, fmt.Errorf("postgres: list users: %w", err)
	}
	out, err := pgx.CollectRows(rs, func(r pgx.CollectableRow) (user.User, error) { return scanUser(r) })
	if err != nil {
		return nil, fmt.Errorf("postgres: list users: %w", err)
	}
	return out, nil
}

// CountUsers implements store.Users.
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("postgres: count users: %w", err)
	}
	return n, nil
}

// UserCredentials implements store.Users.
func (s *Store) UserCredentials(ctx context.Context, email string) (user.Credentials, bool, error) {
	var c user.Credentials
	var role string
	err := s.pool.QueryRow(ctx, `SELECT id, email, role, created_at, updated_at, password_hash FROM users
		WHERE lower(email) = lower($1)`, email).
		Scan(&c.User.ID, &c.User.Email, &role, &c.User.CreatedAt, &c.User.UpdatedAt, &c.PasswordHash)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, false, nil
	}
	if err != nil {
		return c, false, fmt.Errorf("postgres: user credentials: %w", err)
	}
	c.User.Role, c.User.CreatedAt, c.User.UpdatedAt = user.Role(role), c.User.CreatedAt.UTC(), c.User.UpdatedAt.UTC()
	return c, true, nil
}

// SetUserRole implements store.Users.
func (s *Store) SetUserRole(ctx context.Context, id int64, role user.Role, now time.Time) (user.User, error) {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if role != user.RoleAdmin {
			if err := lastAdminGuard(ctx, tx, id); err != nil {
				return err
			}
		}
		return userExec(ctx, tx, id, `UPDATE users SET role = $1, updated_at = $2 WHERE id = $3`, string(role), now, id)
	})
	if err != nil {
		return user.User{}, err
	}
	return s.GetUser(ctx, strconv.FormatInt(id, 10))
}

// SetUserPassword implements store.Users.
func (s *Store) SetUserPassword(ctx context.Context, id int64, passwordHash string, now time.Time) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if err := userExec(ctx, tx, id, `UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3`, passwordHash, now, id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1`, id); err != nil {
			return fmt.Errorf("postgres: end sessions of user %d: %w", id, err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM api_tokens WHERE owner_id = $1`, id); err != nil {
			return fmt.Errorf("postgres: revoke api tokens of user %d: %w", id, err)
		}
		return nil
	})
}

// DeleteUser implements store.Users; sessions and tokens go by cascade.
func (s *Store) DeleteUser(ctx context.Context, id int64) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if err := lastAdminGuard(ctx, tx, id); err != nil {
			return err
		}
		return userExec(ctx, tx, id, `DELETE FROM users WHERE id = $1`, id)
	})
}

// lastAdminLock is the transaction-level advisory lock that every change
// able to take away an admin holds while it checks: such changes take turns.
const lastAdminLock = 0x5e9b_0001

// lastAdminGuard returns user.ErrLastAdmin if user id is the only admin, or
// ErrNotFound if there is no user id. Changes that may remove an admin take
// one advisory lock first, so two transactions removing or demoting the
// last two admins at once cannot both pass: the second waits, then counts
// without the first's. (Locking the rows alone, the user's and then every
// admin's, let two such transactions each hold one row the other wanted: a
// deadlock PostgreSQL broke by failing one of them.)
func lastAdminGuard(ctx context.Context, tx pgx.Tx, id int64) error {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(lastAdminLock)); err != nil {
		return fmt.Errorf("postgres: user %d: %w", id, err)
	}
	var role string
	err := tx.QueryRow(ctx, `SELECT role FROM users WHERE id = $1 FOR UPDATE`, id).Scan(&role)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("user %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("postgres: user %d: %w", id, err)
	}
	if role != string(user.RoleAdmin) {
		return nil
	}
	rs, err := tx.Query(ctx, `SELECT id FROM users WHERE role = 'admin' FOR UPDATE`)
	if err != nil {
		return fmt.Errorf("postgres: count admins: %w", err)
	}
	admins, err := pgx.CollectRows(rs, pgx.RowTo[int64])
	if err != nil {
		return fmt.Errorf("postgres: count admins: %w", err)
	}
	if len(admins) <= 1 {
		return user.ErrLastAdmin
	}
	return nil
}

// userExec runs a write that must touch user id's row.
func userExec(ctx context.Context, tx pgx.Tx, id int64, q string, args ...any) error {
	tag, err := tx.Exec(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("postgres: user %d: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("user %d: %w", id, store.ErrNotFound)
	}
	return nil
}

func scanUser(row pgx.Row) (user.User, error) {
	var u user.User
	var role string
	if err := row.Scan(&u.ID, &u.Email, &role, &u.CreatedAt, &u.UpdatedAt); err != nil {
		return u, err
	}
	u.Role, u.CreatedAt, u.UpdatedAt = user.Role(role), u.CreatedAt.UTC(), u.UpdatedAt.UTC()
	return u, nil
}
