package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"segbridge/internal/profile"
	"segbridge/internal/store"
)

const (
	lookupChunk = 500 // ids per SELECT ... IN
	writeChunk  = 200 // rows per multi-row INSERT (5 parameters each)
)

// UpsertProfiles implements store.Profiles.
func (s *Store) UpsertProfiles(ctx context.Context, batch []profile.Profile, now time.Time) (profile.UpsertResult, error) {
	rows, err := profile.EncodeBatch(batch)
	if err != nil {
		return profile.UpsertResult{}, fmt.Errorf("write profiles: %w", err)
	}
	return s.UpsertEncoded(ctx, rows, now)
}

// UpsertEncoded implements profile.Sink.
func (s *Store) UpsertEncoded(ctx context.Context, rows []profile.Encoded, now time.Time) (profile.UpsertResult, error) {
	var res profile.UpsertResult
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		res, err = upsertEncoded(ctx, tx, rows, now)
		return err
	})
	if err != nil {
		return profile.UpsertResult{}, fmt.Errorf("write profiles: %w", err)
	}
	return res, nil
}

// Atomically implements store.Profiles: one transaction for every batch.
func (s *Store) Atomically(ctx context.Context, fn func(tx profile.Sink) error) error {
	return s.inTx(ctx, func(tx *sql.Tx) error { return fn(txSink{tx}) })
}

// txSink upserts profiles in one transaction.
type txSink struct{ tx *sql.Tx }

func (t txSink) UpsertEncoded(ctx context.Context, rows []profile.Encoded, now time.Time) (profile.UpsertResult, error) {
	res, err := upsertEncoded(ctx, t.tx, rows, now)
	if err != nil {
		return profile.UpsertResult{}, fmt.Errorf("write profiles: %w", err)
	}
	return res, nil
}

// upsertProfiles encodes batch and writes it in tx (upsertEncoded).
func upsertProfiles(ctx context.Context, tx *sql.Tx, batch []profile.Profile, now time.Time) (profile.UpsertResult, error) {
	rows, err := profile.EncodeBatch(batch)
	if err != nil {
		return profile.UpsertResult{}, err
	}
	return upsertEncoded(ctx, tx, rows, now)
}

// upsertEncoded writes the new and changed profiles of rows and their
// schema counts in tx.
func upsertEncoded(ctx context.Context, tx *sql.Tx, rows []profile.Encoded, now time.Time) (profile.UpsertResult, error) {
	stored, err := storedHashes(ctx, tx, rows)
	if err != nil {
		return profile.UpsertResult{}, err
	}
	write, res := store.Classify(rows, stored)
	old, err := storedAttrs(ctx, tx, store.UpdatedIDs(write, stored))
	if err != nil {
		return profile.UpsertResult{}, err
	}
	delta, err := store.SchemaDelta(write, old)
	if err != nil {
		return profile.UpsertResult{}, err
	}
	err = store.Chunks(write, writeChunk, func(c []profile.Encoded) error {
		return writeProfiles(ctx, tx, c, now)
	})
	if err != nil {
		return profile.UpsertResult{}, err
	}
	return res, addSchemaCounts(ctx, tx, delta)
}

func storedHashes(ctx context.Context, tx *sql.Tx, rows []profile.Encoded) (map[string]string, error) {
	stored := make(map[string]string, len(rows))
	err := store.Chunks(rows, lookupChunk, func(c []profile.Encoded) error {
		args := make([]any, len(c))
		for i, r := range c {
			args[i] = r.ID
		}
		q := `SELECT id, hash FROM profiles WHERE id IN (` + placeholders(len(c), 1) + `)`
		rs, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("look up stored profiles: %w", err)
		}
		defer rs.Close()
		for rs.Next() {
			var id, h string
			if err := rs.Scan(&id, &h); err != nil {
				return fmt.Errorf("scan stored profile: %w", err)
			}
			stored[id] = h
		}
		return rs.Err()
	})
	return stored, err
}

func writeProfiles(ctx context.Context, tx *sql.Tx, c []profile.Encoded, now time.Time) error {
	ts := micros(now)
	args := make([]any, 0, len(c)*5)
	for _, r := range c {
		args = append(args, r.ID, r.Attrs, r.Hash, ts, ts)
	}
	q := `INSERT INTO profiles (id, attrs, hash, created_at, updated_at) VALUES ` + placeholders(len(c), 5) +
		` ON CONFLICT (id) DO UPDATE SET attrs = excluded.attrs, hash = excluded.hash, updated_at = excluded.updated_at`
	if _, err := tx.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("write profiles: %w", err)
	}
	return nil
}

// placeholders returns "(?,?),(?,?)…": rows groups of cols parameters; a
// single column gives a flat "?,?,…" list.
func placeholders(rows, cols int) string {
	var b strings.Builder
	group := "(" + strings.TrimSuffix(strings.Repeat("?,", cols), ",") + ")"
	if cols == 1 {
		group = "?"
	}
	for i := range rows {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(group)
	}
	return b.String()
}

// CountProfiles implements store.Profiles.
func (s *Store) CountProfiles(ctx context.Context) (int, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM profiles`).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite: count profiles: %w", err)
	}
	return n, nil
}

// GetProfile implements store.Profiles.
func (s *Store) GetProfile(ctx context.Context, id string) (profile.Profile, error) {
	row := s.db.QueryRowContext(ctx, `SELECT id, attrs, created_at, updated_at FROM profiles WHERE id = ?`, id)
	p, err := scanProfile(row)
	if errors.Is(err, sql.ErrNoRows) {
		return profile.Profile{}, fmt.Errorf("profile %q: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return profile.Profile{}, fmt.Errorf("sqlite: get profile %q: %w", id, err)
	}
	return p, nil
}

// ListProfiles implements store.Profiles.
func (s *Store) ListProfiles(ctx context.Context, opts store.ListOptions) ([]profile.Profile, error) {
	rs, err := s.db.QueryContext(ctx, `SELECT id, attrs, created_at, updated_at FROM profiles
		WHERE id > ? ORDER BY id LIMIT ?`, opts.After, opts.EffectiveLimit())
	if err != nil {
		return nil, fmt.Errorf("sqlite: list profiles: %w", err)
	}
	defer rs.Close()
	var out []profile.Profile
	for rs.Next() {
		p, err := scanProfile(rs)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list profiles: %w", err)
		}
		out = append(out, p)
	}
	return out, rs.Err()
}

// ScanProfiles implements store.Profiles.
func (s *Store) ScanProfiles(ctx context.Context, fn func(id string, attrs []byte) error) error {
	rs, err := s.db.QueryContext(ctx, `SELECT id, attrs FROM profiles`)
	if err != nil {
		return fmt.Errorf("sqlite: scan profiles: %w", err)
	}
	defer rs.Close()
	var id string
	var attrs sql.RawBytes
	for rs.Next() {
		if err := rs.Scan(&id, &attrs); err != nil {
			return fmt.Errorf("sqlite: scan profiles: %w", err)
		}
		if err := fn(id, attrs); err != nil {
			return err
		}
	}
	if err := rs.Err(); err != nil {
		return fmt.Errorf("sqlite: scan profiles: %w", err)
	}
	return nil
}

type scanner interface{ Scan(dest ...any) error }

func scanProfile(row scanner) (profile.Profile, error) {
	var p profile.Profile
	var attrs []byte
	var created, updated int64
	if err := row.Scan(&p.ID, &attrs, &created, &updated); err != nil {
		return p, err
	}
	a, err := profile.DecodeAttrs(attrs)
	if err != nil {
		return p, fmt.Errorf("profile %q: %w", p.ID, err)
	}
	p.Attrs, p.CreatedAt, p.UpdatedAt = a, fromMicros(created), fromMicros(updated)
	return p, nil
}

// emailIndexSQL creates index profiles_email (migration 0025) when it is
// missing: after a bulk import, and at Migrate after one that stopped
// before it could restore the index. A migration that changes the index
// must change this too.
const emailIndexSQL = `CREATE INDEX IF NOT EXISTS profiles_email ON profiles (` + emailExpr + `, id)`

// bulkTableMax is the most profiles (estimated by the largest rowid) a
// table may hold for a bulk import to set the e-mail index aside:
// rebuilding the index costs about a second a million profiles, updating
// it row by row about 30 µs a profile once it outgrows the page cache
// (its keys arrive in no order), so an import into a small table wins
// and one of a few rows into a large table would lose.
const bulkTableMax = 100_000

// Bulk implements profile.BulkSink: when the profiles table is small it
// drops the e-mail index for the duration of fn (each in its own
// transaction) and builds it again afterwards. Meanwhile a search by
// e-mail reads the whole table: slower, still right.
func (s *Store) Bulk(ctx context.Context, fn func() error) error {
	var aside bool
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		aside, err = setEmailIndexAside(ctx, tx)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: prepare the import: %w", err)
	}
	err = fn()
	if !aside {
		return err
	}
	rerr := s.inTx(context.WithoutCancel(ctx), func(tx *sql.Tx) error { return restoreEmailIndex(ctx, tx) })
	return errors.Join(err, rerr)
}

// Bulk implements profile.BulkSink within the transaction: the index is
// dropped and built again in it (a rollback restores it as it was).
func (t txSink) Bulk(ctx context.Context, fn func() error) error {
	aside, err := setEmailIndexAside(ctx, t.tx)
	if err != nil {
		return fmt.Errorf("sqlite: prepare the import: %w", err)
	}
	err = fn()
	if !aside || err != nil {
		return err // a failed fn rolls the transaction back, index and all
	}
	return restoreEmailIndex(ctx, t.tx)
}

// setEmailIndexAside drops index profiles_email when the profiles table
// is small enough (bulkTableMax) and says whether it did.
func setEmailIndexAside(ctx context.Context, tx *sql.Tx) (bool, error) {
	var maxRowid int64
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(rowid), 0) FROM profiles`).Scan(&maxRowid); err != nil {
		return false, fmt.Errorf("size the profiles table: %w", err)
	}
	if maxRowid > bulkTableMax {
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, `DROP INDEX IF EXISTS profiles_email`); err != nil {
		return false, fmt.Errorf("set the e-mail index aside: %w", err)
	}
	return true, nil
}

// indexCacheKiB is the page cache the e-mail index is built with: CREATE
// INDEX sorts in as much memory again as the cache may hold, so building
// with the store's full cache would add that much to an import's peak.
const indexCacheKiB = 4 << 10

// restoreEmailIndex builds index profiles_email (when it is missing) with
// a smaller page cache, and gives the connection its cache back.
func restoreEmailIndex(ctx context.Context, tx *sql.Tx) (err error) {
	var cache int
	if err := tx.QueryRowContext(ctx, `PRAGMA cache_size`).Scan(&cache); err != nil {
		return fmt.Errorf("sqlite: read the page cache size: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `PRAGMA cache_size = -`+strconv.Itoa(indexCacheKiB)); err != nil {
		return fmt.Errorf("sqlite: shrink the page cache: %w", err)
	}
	defer func() {
		if _, rerr := tx.ExecContext(ctx, `PRAGMA cache_size = `+strconv.Itoa(cache)); rerr != nil {
			err = errors.Join(err, fmt.Errorf("sqlite: restore the page cache size: %w", rerr))
		}
	}()
	if _, err := tx.ExecContext(ctx, emailIndexSQL); err != nil {
		return fmt.Errorf("sqlite: build the e-mail index: %w", err)
	}
	return nil
}
