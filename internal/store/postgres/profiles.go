package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"segbridge/internal/profile"
	"segbridge/internal/store"
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
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		res, err = upsertEncoded(ctx, tx, rows, now)
		return err
	})
	if err != nil {
		return profile.UpsertResult{}, fmt.Errorf("write profiles: %w", err)
	}
	s.profileWrites.Add(int64(res.Inserted + res.Updated))
	return res, nil
}

// Atomically implements store.Profiles: one transaction for every batch.
func (s *Store) Atomically(ctx context.Context, fn func(tx profile.Sink) error) error {
	return s.inTx(ctx, func(tx pgx.Tx) error { return fn(txSink{tx: tx, writes: &s.profileWrites}) })
}

// emailIndexSQL creates index profiles_email (migration 0025) when it is
// missing: after a bulk import, and at Migrate after one that stopped
// before it could restore the index. A migration that changes the index
// must change this too.
const emailIndexSQL = `CREATE INDEX IF NOT EXISTS profiles_email ON profiles (` + emailExpr + `, id)`

// bulkTableMax is the most profiles a table may hold for a bulk import to
// set the e-mail index aside: building it again reads the whole table,
// updating it row by row costs every imported row an index insert in no
// order, so an import into a small table wins.
const bulkTableMax = 100_000

// analyzeAfter is how many profiles an import must have inserted or
// updated for Bulk to refresh the table's statistics (ANALYZE samples a
// fixed number of rows: about half a second at 1,000,000 profiles), and
// how many members a membership change must add or remove for
// ApplyMembership to do the same for the members. Autovacuum would do it
// in time when it is on and not busy; without it the planner of a
// changes-only plan guesses that a third of the profiles changed and
// reads them all (0.2–0.45 s at 1,000,000 profiles instead of a few
// milliseconds).
const analyzeAfter = 10_000

// analyzeProfiles refreshes the statistics of the profiles table, through
// the pool or in a transaction.
func analyzeProfiles(ctx context.Context, db interface {
	Exec(context.Context, string, ...any) (pgconn.CommandTag, error)
}) error {
	if _, err := db.Exec(ctx, `ANALYZE profiles`); err != nil {
		return fmt.Errorf("postgres: refresh the statistics of the profiles: %w", err)
	}
	return nil
}

// Bulk implements store.Profiles: when the profiles table is small it
// drops the e-mail index for the duration of fn (each in its own
// transaction) and builds it again afterwards. Meanwhile a search by
// e-mail reads the whole table: slower, still right. When fn wrote
// analyzeAfter profiles or more, it analyzes the table at the end.
func (s *Store) Bulk(ctx context.Context, fn func() error) error {
	var aside bool
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		aside, err = setEmailIndexAside(ctx, tx)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: prepare the import: %w", err)
	}
	before := s.profileWrites.Load()
	err = fn()
	ctx = context.WithoutCancel(ctx)
	var rerr, aerr error
	if aside {
		rerr = s.inTx(ctx, func(tx pgx.Tx) error { return restoreEmailIndex(ctx, tx) })
	}
	if s.profileWrites.Load()-before >= analyzeAfter {
		aerr = analyzeProfiles(ctx, s.pool)
	}
	return errors.Join(err, rerr, aerr)
}

// Bulk implements profile.BulkSink within the transaction: the index is
// dropped and built again in it (a rollback restores it as it was), and
// the table is analyzed in it when fn wrote analyzeAfter profiles or more
// (the statistics count once the transaction commits).
func (t txSink) Bulk(ctx context.Context, fn func() error) error {
	aside, err := setEmailIndexAside(ctx, t.tx)
	if err != nil {
		return fmt.Errorf("postgres: prepare the import: %w", err)
	}
	before := t.writes.Load()
	if err := fn(); err != nil {
		return err // a failed fn rolls the transaction back, index and all
	}
	if aside {
		if err := restoreEmailIndex(ctx, t.tx); err != nil {
			return err
		}
	}
	if t.writes.Load()-before >= analyzeAfter {
		return analyzeProfiles(ctx, t.tx)
	}
	return nil
}

// setEmailIndexAside drops index profiles_email when the profiles table
// holds at most bulkTableMax profiles and says whether it did.
func setEmailIndexAside(ctx context.Context, tx pgx.Tx) (bool, error) {
	var n int
	err := tx.QueryRow(ctx, `SELECT count(*) FROM (SELECT 1 FROM profiles LIMIT $1) t`, bulkTableMax+1).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("size the profiles table: %w", err)
	}
	if n > bulkTableMax {
		return false, nil
	}
	if _, err := tx.Exec(ctx, `DROP INDEX IF EXISTS profiles_email`); err != nil {
		return false, fmt.Errorf("set the e-mail index aside: %w", err)
	}
	return true, nil
}

func restoreEmailIndex(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, emailIndexSQL); err != nil {
		return fmt.Errorf("postgres: build the e-mail index: %w", err)
	}
	return nil
}

// txSink upserts profiles in one transaction.
type txSink struct {
	tx     pgx.Tx
	writes *atomic.Int64 // the store's profileWrites
}

func (t txSink) UpsertEncoded(ctx context.Context, rows []profile.Encoded, now time.Time) (profile.UpsertResult, error) {
	res, err := upsertEncoded(ctx, t.tx, rows, now)
	if err != nil {
		return profile.UpsertResult{}, fmt.Errorf("write profiles: %w", err)
	}
	t.writes.Add(int64(res.Inserted + res.Updated))
	return res, nil
}

// upsertProfiles encodes batch and writes it in tx (upsertEncoded).
func upsertProfiles(ctx context.Context, tx pgx.Tx, batch []profile.Profile, now time.Time) (profile.UpsertResult, error) {
	rows, err := profile.EncodeBatch(batch)
	if err != nil {
		return profile.UpsertResult{}, err
	}
	return upsertEncoded(ctx, tx, rows, now)
}

// upsertEncoded writes the new and changed profiles of rows and their
// schema counts in tx.
func upsertEncoded(ctx context.Context, tx pgx.Tx, rows []profile.Encoded, now time.Time) (profile.UpsertResult, error) {
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	stored, err := storedHashes(ctx, tx, ids)
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
	if err := writeProfiles(ctx, tx, write, now); err != nil {
		return profile.UpsertResult{}, err
	}
	return res, addSchemaCounts(ctx, tx, delta)
}

func storedHashes(ctx context.Context, tx pgx.Tx, ids []string) (map[string]string, error) {
	rs, err := tx.Query(ctx, `SELECT id, hash FROM profiles WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("look up stored profiles: %w", err)
	}
	stored := make(map[string]string, len(ids))
	var id, h string
	_, err = pgx.ForEachRow(rs, []any{&id, &h}, func() error {
		stored[id] = h
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("look up stored profiles: %w", err)
	}
	return stored, nil
}

func writeProfiles(ctx context.Context, tx pgx.Tx, rows []profile.Encoded, now time.Time) error {
	if len(rows) == 0 {
		return nil
	}
	ids, attrs, hashes := make([]string, len(rows)), make([]string, len(rows)), make([]string, len(rows))
	for i, r := range rows {
		ids[i], attrs[i], hashes[i] = r.ID, string(r.Attrs), r.Hash
	}
	_, err := tx.Exec(ctx, `INSERT INTO profiles (id, attrs, hash, created_at, updated_at)
		SELECT id, attrs::jsonb, hash, $4, $4 FROM unnest($1::text[], $2::text[], $3::text[]) AS t (id, attrs, hash)
		ON CONFLICT (id) DO UPDATE SET attrs = excluded.attrs, hash = excluded.hash, updated_at = excluded.updated_at`,
		ids, attrs, hashes, now)
	if err != nil {
		return fmt.Errorf("write profiles: %w", err)
	}
	return nil
}

// CountProfiles implements store.Profiles.
func (s *Store) CountProfiles(ctx context.Context) (int, error) {
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM profiles`).Scan(&n); err != nil {
		return 0, fmt.Errorf("postgres: count profiles: %w", err)
	}
	return n, nil
}

// GetProfile implements store.Profiles.
func (s *Store) GetProfile(ctx context.Context, id string) (profile.Profile, error) {
	row := s.pool.QueryRow(ctx, `SELECT id, attrs::text, created_at, updated_at FROM profiles WHERE id = $1`, id)
	p, err := scanProfile(row)
	if errors.Is(err, pgx.ErrNoRows) {
		return profile.Profile{}, fmt.Errorf("profile %q: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return profile.Profile{}, fmt.Errorf("postgres: get profile %q: %w", id, err)
	}
	return p, nil
}

// ListProfiles implements store.Profiles.
func (s *Store) ListProfiles(ctx context.Context, opts store.ListOptions) ([]profile.Profile, error) {
	rs, err := s.pool.Query(ctx, `SELECT id, attrs::text, created_at, updated_at FROM profiles
		WHERE id > $1 ORDER BY id LIMIT $2`, opts.After, opts.EffectiveLimit())
	if err != nil {
		return nil, fmt.Errorf("postgres: list profiles: %w", err)
	}
	out, err := pgx.CollectRows(rs, func(r pgx.CollectableRow) (profile.Profile, error) { return scanProfile(r) })
	if err != nil {
		return nil, fmt.Errorf("postgres: list profiles: %w", err)
	}
	return out, nil
}

// ScanProfiles implements store.Profiles.
func (s *Store) ScanProfiles(ctx context.Context, fn func(id string, attrs []byte) error) error {
	rs, err := s.pool.Query(ctx, `SELECT id, attrs::text FROM profiles`)
	if err != nil {
		return fmt.Errorf("postgres: scan profiles: %w", err)
	}
	defer rs.Close()
	for rs.Next() {
		raw := rs.RawValues()
		if err := fn(string(raw[0]), raw[1]); err != nil {
			return err
		}
	}
	if err := rs.Err(); err != nil {
		return fmt.Errorf("postgres: scan profiles: %w", err)
	}
	return nil
}

func scanProfile(row pgx.Row) (profile.Profile, error) {
	var p profile.Profile
	var attrs []byte
	if err := row.Scan(&p.ID, &attrs, &p.CreatedAt, &p.UpdatedAt); err != nil {
		return p, err
	}
	a, err := profile.DecodeAttrs(attrs)
	if err != nil {
		return p, fmt.Errorf("profile %q: %w", p.ID, err)
	}
	p.Attrs, p.CreatedAt, p.UpdatedAt = a, p.CreatedAt.UTC(), p.UpdatedAt.UTC()
	return p, nil
}
