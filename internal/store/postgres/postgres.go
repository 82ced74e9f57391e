// Package postgres is the storage engine for PostgreSQL through pgx: the
// engine for several segbridge processes on several machines.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"segbridge/internal/store"
)

//go:embed migrations/*.sql
var migrationsFS embed.FS

// migrationLockID serialises migrations of concurrent processes.
const migrationLockID = 0x5e9b71d9e

// Store is the PostgreSQL engine of store.Store.
type Store struct {
	pool *pgxpool.Pool
	// profileWrites counts the profiles this store inserted or updated,
	// so that Bulk can tell how many an import wrote (see analyzeAfter).
	profileWrites atomic.Int64
	// unified counts the profiles unification inserted or updated, and
	// unifiedAnalyzeAt is the count at which it analyzes profiles next
	// (see ApplyUnified).
	unified, unifiedAnalyzeAt atomic.Int64
}

var _ store.Store = (*Store)(nil)

// Open connects to url (postgres://...). Parameters pgx does not know, such
// as search_path, are sent as run-time parameters. It does not migrate.
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse URL: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: connect to %s:%d: %w", cfg.ConnConfig.Host, cfg.ConnConfig.Port, err)
	}
	return &Store{pool: pool}, nil
}

// Engine implements store.Store.
func (s *Store) Engine() string { return "postgres" }

// Close implements store.Store.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Migrate implements store.Store. An advisory lock lets many processes
// start at once; each migration runs in its own transaction.
func (s *Store) Migrate(ctx context.Context) error {
	migs, err := store.LoadMigrations(migrationsFS, "migrations")
	if err != nil {
		return err
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrationLockID); err != nil {
		return fmt.Errorf("postgres: migrate: lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrationLockID) //nolint:errcheck // released with the session anyway
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL)`); err != nil {
		return fmt.Errorf("postgres: create schema_migrations: %w", err)
	}
	for _, m := range migs {
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			var n int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM schema_migrations WHERE version = $1`, m.Version).Scan(&n); err != nil || n > 0 {
				return err
			}
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
				m.Version, m.Name, time.Now())
			return err
		})
		if err != nil {
			return fmt.Errorf("postgres: apply migration %s: %w", m.Name, err)
		}
	}
	// A bulk import that stopped before it could build the e-mail index
	// again (the process died) left it missing.
	if _, err := conn.Exec(ctx, emailIndexSQL); err != nil {
		return fmt.Errorf("postgres: build the e-mail index: %w", err)
	}
	return s.recountSchemaIfNeeded(ctx)
}

// inTx runs fn in a transaction, committing when it returns nil.
func (s *Store) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.pool, fn)
}

// isUniqueViolation reports whether err is PostgreSQL's unique_violation.
func isUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}
