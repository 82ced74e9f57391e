// Package sqlite is the embedded storage engine: a SQLite file through the
// pure-Go modernc.org/sqlite driver, in WAL mode.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"segbridge/internal/store"
)

//go:embed migrations/*.sql
var migrationsFS embed.FS

// Store is the SQLite engine of store.Store.
type Store struct {
	db *sql.DB
	// stmts caches prepared statements by SQL text (see txExec).
	stmts sync.Map
	// txs lets one transaction of this store run at a time. Transactions
	// take SQLite's write lock when they begin (_txlock=immediate); waiting
	// here instead of in SQLite's busy handler, which sleeps in steps of up
	// to 100 ms, hands the lock over as soon as it is free — a run's
	// sender commits a few hundred small transactions a second.
	txs chan struct{}
	// stop ends checkpointLoop, which closes stopped.
	stop, stopped chan struct{}
	stopOnce      sync.Once
}

var _ store.Store = (*Store)(nil)

// PathFromURL turns "sqlite:///abs/file.db" or "sqlite://rel/file.db" into a
// file path.
func PathFromURL(url string) (string, error) {
	p, ok := strings.CutPrefix(url, "sqlite://")
	if !ok {
		p, ok = strings.CutPrefix(url, "sqlite:")
	}
	if !ok || p == "" {
		return "", fmt.Errorf("sqlite URL %q: want sqlite:///path/to/file.db", url)
	}
	return p, nil
}

// DSN is the modernc.org/sqlite data source name segbridge opens path with:
// immediate write transactions, WAL, a 10 s busy timeout, foreign keys, and
// no automatic checkpoints (the store checkpoints on its own, see
// checkpointLoop). Other pools on the same file (River's) use it too.
func DSN(path string) string { return dsn(path, 8<<10) }

// dsn is DSN with a page cache of cacheKiB per connection.
func dsn(path string, cacheKiB int) string {
	return "file:" + path + "?_txlock=immediate" +
		"&_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)" +
		"&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)" +
		"&_pragma=wal_autocheckpoint(0)&_pragma=journal_size_limit(67108864)" +
		"&_pragma=cache_size(-" + strconv.Itoa(cacheKiB) + ")"
}

// storeConns and storeCacheKiB size the store's pool: a reader and a
// writer of a run's plan at once, plus one for progress; each connection's
// page cache holds a large plan's indexes (memory: 3 × 24 MiB at most).
const (
	storeConns    = 3
	storeCacheKiB = 24 << 10
)

// Open opens (creating if needed) the database file at path. It does not
// migrate; call Migrate.
func Open(ctx context.Context, path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("sqlite: create directory for %s: %w", path, err)
	}
	db, err := sql.Open("sqlite", dsn(path, storeCacheKiB))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(storeConns)
	db.SetConnMaxIdleTime(time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	s := &Store{db: db, txs: make(chan struct{}, 1), stop: make(chan struct{}), stopped: make(chan struct{})}
	go s.checkpointLoop()
	return s, nil
}

// checkpointEvery is how often the store checkpoints the WAL.
const checkpointEvery = time.Second

// checkpointLoop copies the WAL back into the database file every
// checkpointEvery, until Close. SQLite's automatic checkpoint runs inside
// the commit that crosses its threshold, and while a long read (a plan's
// member scan) pins part of the WAL, each such attempt sorts the whole WAL
// index again: commits of a million-member plan got 60 % slower and River's
// small transactions timed out. Here no commit pays for a checkpoint, and
// one that cannot progress returns at once.
func (s *Store) checkpointLoop() {
	defer close(s.stopped)
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			var busy, logFrames, done int
			_ = s.db.QueryRowContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &logFrames, &done)
		}
	}
}

// Engine implements store.Store.
func (s *Store) Engine() string { return "sqlite" }

// Close implements store.Store.
func (s *Store) Close() error {
	s.stopOnce.Do(func() { close(s.stop) })
	<-s.stopped
	s.stmts.Range(func(_, v any) bool {
		v.(*sql.Stmt).Close()
		return true
	})
	return s.db.Close()
}

// txExec runs q, which returns no rows, in tx. When reuse is set the
// statement is prepared once per store (and by database/sql once per
// connection) and kept, so the large multi-row statements a plan runs
// thousands of times are parsed once; set it only for a bounded set of SQL
// texts (full-size chunks).
func (s *Store) txExec(ctx context.Context, tx *sql.Tx, reuse bool, q string, args ...any) error {
	if !reuse {
		_, err := tx.ExecContext(ctx, q, args...)
		return err
	}
	st, err := s.prepared(ctx, tx, q)
	if err != nil {
		return err
	}
	_, err = st.ExecContext(ctx, args...)
	return err
}

// query runs a read outside a transaction (it takes no lock), reusing
// its prepared statement as txExec does.
func (s *Store) query(ctx context.Context, reuse bool, q string, args ...any) (*sql.Rows, error) {
	if !reuse {
		return s.db.QueryContext(ctx, q, args...)
	}
	st, err := s.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

func (s *Store) prepared(ctx context.Context, tx *sql.Tx, q string) (*sql.Stmt, error) {
	st, err := s.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	return tx.StmtContext(ctx, st), nil
}

// stmt returns q prepared on the pool, once per store.
func (s *Store) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	v, ok := s.stmts.Load(q)
	if !ok {
		st, err := s.db.PrepareContext(ctx, q)
		if err != nil {
			return nil, err
		}
		if v, ok = s.stmts.LoadOrStore(q, st); ok {
			st.Close()
		}
	}
	return v.(*sql.Stmt), nil
}

// Migrate implements store.Store: each pending migration runs in its own
// transaction together with its bookkeeping row.
func (s *Store) Migrate(ctx context.Context) error {
	migs, err := store.LoadMigrations(migrationsFS, "migrations")
	if err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("sqlite: create schema_migrations: %w", err)
	}
	for _, m := range migs {
		if err := s.applyMigration(ctx, m); err != nil {
			return err
		}
	}
	// A bulk import that stopped before it could build the e-mail index
	// again (the process died) left it missing.
	if _, err := s.db.ExecContext(ctx, emailIndexSQL); err != nil {
		return fmt.Errorf("sqlite: build the e-mail index: %w", err)
	}
	return s.recountSchemaIfNeeded(ctx)
}

func (s *Store) applyMigration(ctx context.Context, m store.Migration) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, m.Version).Scan(&n); err != nil {
			return fmt.Errorf("sqlite: check migration %s: %w", m.Name, err)
		}
		if n > 0 {
			return nil
		}
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			return fmt.Errorf("sqlite: apply migration %s: %w", m.Name, err)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
			m.Version, m.Name, time.Now().UnixMicro())
		if err != nil {
			return fmt.Errorf("sqlite: record migration %s: %w", m.Name, err)
		}
		return nil
	})
}

// inTx runs fn in a write transaction, committing when it returns nil.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	select {
	case s.txs <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("sqlite: begin: %w", ctx.Err())
	}
	defer func() { <-s.txs }()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		return errors.Join(err, tx.Rollback())
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: commit: %w", err)
	}
	return nil
}

func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(v int64) time.Time { return time.UnixMicro(v).UTC() }
