package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"segbridge/internal/store/sqlite"
)

// riverClient is what Client uses of a river.Client, whatever its engine's
// transaction type.
type riverClient interface {
	Start(ctx context.Context) error
	StopAndCancel(ctx context.Context) error
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	PeriodicJobs() *river.PeriodicJobBundle
}

// engine is River on one storage engine.
type engine struct {
	name string
	// exec runs driver-level operations (releasing a job left running by a
	// dead process).
	exec      riverdriver.Executor
	newClient func(cfg *river.Config) (riverClient, error)
	close     func() error
}

// migrationLockID serialises River's migrations across PostgreSQL
// processes (the store's migrations use another key).
const migrationLockID = 0x5e9b_0002

// openEngine opens River's own pool on the database url names and applies
// River's migrations.
func openEngine(ctx context.Context, url string, logger *slog.Logger) (*engine, error) {
	if strings.HasPrefix(url, "sqlite:") {
		return openSQLite(ctx, url, logger)
	}
	return openPostgres(ctx, url, logger)
}

// openSQLite opens a second database/sql pool on the store's file with one
// connection, as River's SQLite driver wants: River runs many small
// operations concurrently, and SQLite allows one writer at a time.
func openSQLite(ctx context.Context, url string, logger *slog.Logger) (*engine, error) {
	path, err := sqlite.PathFromURL(url)
	if err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite", sqlite.DSN(path))
	if err != nil {
		return nil, fmt.Errorf("jobs: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	driver := riversqlite.New(db)
	// _txlock=immediate makes the migration transaction take the write
	// lock first, so processes starting at once migrate one after another.
	err = migrate(ctx, driver, logger, func(ctx context.Context) (*sql.Tx, endTx, error) {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return nil, nil, err
		}
		return tx, func(_ context.Context, commit bool) error {
			if commit {
				return tx.Commit()
			}
			return tx.Rollback()
		}, nil
	})
	if err != nil {
		return nil, errors.Join(err, db.Close())
	}
	return &engine{
		name: "sqlite", exec: driver.GetExecutor(), close: db.Close,
		newClient: func(cfg *river.Config) (riverClient, error) { return river.NewClient(driver, cfg) },
	}, nil
}

func openPostgres(ctx context.Context, url string, logger *slog.Logger) (*engine, error) {
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("jobs: open postgres: %w", err)
	}
	driver := riverpgxv5.New(pool)
	if err := migratePostgres(ctx, pool, driver, logger); err != nil {
		pool.Close()
		return nil, err
	}
	return &engine{
		name: "postgres", exec: driver.GetExecutor(),
		close:     func() error { pool.Close(); return nil },
		newClient: func(cfg *river.Config) (riverClient, error) { return river.NewClient(driver, cfg) },
	}, nil
}

// endTx commits or rolls back a transaction of either engine.
type endTx func(ctx context.Context, commit bool) error

// migrate applies River's migrations in one transaction that begin opens.
func migrate[TTx any](ctx context.Context, driver riverdriver.Driver[TTx], logger *slog.Logger, begin func(context.Context) (TTx, endTx, error)) error {
	m, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: logger})
	if err != nil {
		return fmt.Errorf("jobs: migrate: %w", err)
	}
	tx, end, err := begin(ctx)
	if err != nil {
		return fmt.Errorf("jobs: migrate: begin: %w", err)
	}
	// MigrateTx is deprecated because some migrations cannot share a
	// transaction; River's current ones can, and one immediate transaction
	// is what keeps SQLite processes starting at once from migrating twice.
	//lint:ignore SA1019 see above
	if _, err := m.MigrateTx(ctx, tx, rivermigrate.DirectionUp, nil); err != nil {
		return errors.Join(fmt.Errorf("jobs: migrate River's tables: %w", err), end(ctx, false))
	}
	if err := end(ctx, true); err != nil {
		return fmt.Errorf("jobs: migrate: commit: %w", err)
	}
	return nil
}

// migratePostgres applies River's migrations under a session advisory
// lock, so processes starting at once migrate one after another. (They
// cannot share one transaction: some add enum values that later ones use.)
func migratePostgres(ctx context.Context, pool *pgxpool.Pool, driver *riverpgxv5.Driver, logger *slog.Logger) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("jobs: migrate: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrationLockID); err != nil {
		return fmt.Errorf("jobs: migrate: lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrationLockID) //nolint:errcheck // released with the session anyway
	m, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: logger})
	if err != nil {
		return fmt.Errorf("jobs: migrate: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("jobs: migrate River's tables: %w", err)
	}
	return nil
}
