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
	"segbridge/internal/source"
	"segbridge/internal/store"
)

const sourceCols = `id, name, kind, settings, state, secret IS NOT NULL, created_at, updated_at`

func scanSource(sc interface{ Scan(...any) error }) (source.Source, error) {
	var (
		id                       int64
		name, kind, settings, st string
		hasSecret                bool
		created, updated         int64
	)
	if err := sc.Scan(&id, &name, &kind, &settings, &st, &hasSecret, &created, &updated); err != nil {
		return source.Source{}, err
	}
	return store.DecodeSource(id, name, kind, settings, st, hasSecret, fromMicros(created), fromMicros(updated))
}

// CreateSource implements store.Sources.
func (s *Store) CreateSource(ctx context.Context, src source.Source, seal func(id int64) ([]byte, error)) (source.Source, error) {
	settings, err := store.EncodeSourceSettings(src)
	if err != nil {
		return source.Source{}, err
	}
	state, err := store.EncodeSourceState(src.State)
	if err != nil {
		return source.Source{}, err
	}
	var id int64
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO sources (name, kind, settings, state, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, src.Name, string(src.Kind), settings, state,
			micros(src.CreatedAt), micros(src.UpdatedAt)).Scan(&id)
		if err != nil {
			if strings.Contains(err.Error(), "UNIQUE constraint failed") {
				return fmt.Errorf("source %q: %w", src.Name, store.ErrConflict)
			}
			return fmt.Errorf("insert source: %w", err)
		}
		return storeSecret(ctx, tx, id, seal)
	})
	if err != nil {
		return source.Source{}, fmt.Errorf("sqlite: create source: %w", err)
	}
	return s.GetSource(ctx, strconv.FormatInt(id, 10))
}

func storeSecret(ctx context.Context, tx *sql.Tx, id int64, seal func(id int64) ([]byte, error)) error {
	if seal == nil {
		return nil
	}
	sealed, err := seal(id)
	if err != nil {
		return err
	}
	var v any
	if sealed != nil {
		v = sealed
	}
	if _, err := tx.ExecContext(ctx, `UPDATE sources SET secret = ? WHERE id = ?`, v, id); err != nil {
		return fmt.Errorf("store sealed secret: %w", err)
	}
	return nil
}

// GetSource implements store.Sources.
func (s *Store) GetSource(ctx context.Context, nameOrID string) (source.Source, error) {
	var id any
	if n, err := strconv.ParseInt(nameOrID, 10, 64); err == nil {
		id = n
	}
	row := s.db.QueryRowContext(ctx, `SELECT `+sourceCols+` FROM sources
		WHERE name = ?1 COLLATE NOCASE OR id = ?2 ORDER BY name = ?1 COLLATE NOCASE DESC LIMIT 1`, nameOrID, id)
	src, err := scanSource(row)
	if errors.Is(err, sql.ErrNoRows) {
		return src, fmt.Errorf("source %q: %w", nameOrID, store.ErrNotFound)
	}
	if err != nil {
		return src, fmt.Errorf("sqlite: get source %q: %w", nameOrID, err)
	}
	return src, nil
}

// ListSources implements store.Sources.
func (s *Store) ListSources(ctx context.Context) ([]source.Source, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+sourceCols+` FROM sources ORDER BY name COLLATE NOCASE, id`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list sources: %w", err)
	}
	defer rows.Close()
	var out []source.Source
	for rows.Next() {
		src, err := scanSource(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list sources: %w", err)
		}
		out = append(out, src)
	}
	return out, rows.Err()
}

// UpdateSource implements store.Sources.
func (s *Store) UpdateSource(ctx context.Context, src source.Source, seal func(id int64) ([]byte, error)) (source.Source, error) {
	settings, err := store.EncodeSourceSettings(src)
	if err != nil {
		return source.Source{}, err
	}
	old, err := s.GetSource(ctx, strconv.FormatInt(src.ID, 10))
	if err != nil {
		return source.Source{}, err
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE sources SET name = ?, settings = ?, updated_at = ? WHERE id = ?`,
			src.Name, settings, micros(src.UpdatedAt), src.ID)
		if err != nil {
			if strings.Contains(err.Error(), "UNIQUE constraint failed") {
				return fmt.Errorf("source %q: %w", src.Name, store.ErrConflict)
			}
			return fmt.Errorf("update source: %w", err)
		}
		if old.Priority != src.Priority || old.Match != src.Match {
			if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO unify_pending (ukey)
				SELECT DISTINCT ukey FROM source_rows WHERE source_id = ?`, src.ID); err != nil {
				return fmt.Errorf("mark the source's profiles: %w", err)
			}
		}
		return storeSecret(ctx, tx, src.ID, seal)
	})
	if err != nil {
		return source.Source{}, fmt.Errorf("sqlite: update source: %w", err)
	}
	return s.GetSource(ctx, strconv.FormatInt(src.ID, 10))
}

// DeleteSource implements store.Sources.
func (s *Store) DeleteSource(ctx context.Context, id int64) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM sources WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("source %d: %w", id, store.ErrNotFound)
		}
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO unify_pending (ukey)
			SELECT DISTINCT ukey FROM source_rows WHERE source_id = ?`, id); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM source_rows WHERE source_id = ?`, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: delete source %d: %w", id, err)
	}
	return nil
}

// SourceSecret implements store.Sources.
func (s *Store) SourceSecret(ctx context.Context, id int64) ([]byte, error) {
	var b []byte
	err := s.db.QueryRowContext(ctx, `SELECT secret FROM sources WHERE id = ?`, id).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("source %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: source secret %d: %w", id, err)
	}
	return b, nil
}

// SaveSourceState implements store.Sources.
func (s *Store) SaveSourceState(ctx context.Context, id int64, st source.State) error {
	state, err := store.EncodeSourceState(st)
	if err != nil {
		return err
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE sources SET state = ? WHERE id = ?`, state, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: save source state %d: %w", id, err)
	}
	return nil
}

// StageRows implements store.Sources.
func (s *Store) StageRows(ctx context.Context, src source.Source, gen int64, rows []source.Row, now time.Time) (store.StageResult, error) {
	enc, err := store.EncodeRows(src, rows)
	if err != nil {
		return store.StageResult{}, err
	}
	var res store.StageResult
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		stored, err := storedRows(ctx, tx, src.ID, enc)
		if err != nil {
			return err
		}
		write, unchanged, keys, r := store.ClassifyRows(enc, stored)
		res = r
		ts := micros(now)
		err = store.Chunks(write, 100, func(c []store.EncodedRow) error {
			args := make([]any, 0, 7*len(c))
			for _, w := range c {
				args = append(args, src.ID, w.RowID, w.Key, w.Attrs, w.Hash, gen, ts)
			}
			return s.txExec(ctx, tx, len(c) == 100, `INSERT INTO source_rows (source_id, row_id, ukey, attrs, hash, gen, changed_at) VALUES `+
				placeholders(len(c), 7)+` ON CONFLICT (source_id, row_id) DO UPDATE SET ukey = excluded.ukey, attrs = excluded.attrs,
				hash = excluded.hash, gen = excluded.gen, changed_at = excluded.changed_at`, args...)
		})
		if err != nil {
			return fmt.Errorf("write rows: %w", err)
		}
		err = store.Chunks(unchanged, lookupChunk, func(c []string) error {
			args := []any{gen, src.ID}
			for _, id := range c {
				args = append(args, id)
			}
			return s.txExec(ctx, tx, len(c) == lookupChunk, `UPDATE source_rows SET gen = ? WHERE source_id = ? AND row_id IN (`+placeholders(len(c), 1)+`)`, args...)
		})
		if err != nil {
			return fmt.Errorf("mark unchanged rows: %w", err)
		}
		return s.markPending(ctx, tx, keys)
	})
	if err != nil {
		return store.StageResult{}, fmt.Errorf("sqlite: stage rows of source %q: %w", src.Name, err)
	}
	return res, nil
}

func (s *Store) markPending(ctx context.Context, tx *sql.Tx, keys []string) error {
	return store.Chunks(keys, lookupChunk, func(c []string) error {
		args := make([]any, len(c))
		for i, k := range c {
			args[i] = k
		}
		err := s.txExec(ctx, tx, len(c) == lookupChunk, `INSERT OR IGNORE INTO unify_pending (ukey) VALUES `+rowsOf(len(c)), args...)
		if err != nil {
			return fmt.Errorf("mark profiles to unify: %w", err)
		}
		return nil
	})
}

// rowsOf returns "(?),(?),…" for n one-column rows.
func rowsOf(n int) string {
	return strings.TrimSuffix(strings.Repeat("(?),", n), ",")
}

func storedRows(ctx context.Context, tx *sql.Tx, sourceID int64, rows []store.EncodedRow) (map[string]store.StoredRow, error) {
	stored := make(map[string]store.StoredRow, len(rows))
	err := store.Chunks(rows, lookupChunk, func(c []store.EncodedRow) error {
		args := make([]any, 0, len(c)+1)
		args = append(args, sourceID)
		for _, r := range c {
			args = append(args, r.RowID)
		}
		rs, err := tx.QueryContext(ctx, `SELECT row_id, ukey, hash FROM source_rows WHERE source_id = ? AND row_id IN (`+
			placeholders(len(c), 1)+`)`, args...)
		if err != nil {
			return fmt.Errorf("look up stored rows: %w", err)
		}
		defer rs.Close()
		for rs.Next() {
			var id string
			var r store.StoredRow
			if err := rs.Scan(&id, &r.Key, &r.Hash); err != nil {
				return fmt.Errorf("look up stored rows: %w", err)
			}
			stored[id] = r
		}
		return rs.Err()
	})
	return stored, err
}

// DropUnseenRows implements store.Sources.
func (s *Store) DropUnseenRows(ctx context.Context, id, gen int64) (int, error) {
	var n int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO unify_pending (ukey)
			SELECT DISTINCT ukey FROM source_rows WHERE source_id = ? AND gen < ?`, id, gen); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM source_rows WHERE source_id = ? AND gen < ?`, id, gen)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("sqlite: remove unseen rows of source %d: %w", id, err)
	}
	return int(n), nil
}

// CountSourceRows implements store.Sources.
func (s *Store) CountSourceRows(ctx context.Context, id int64) (int, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM source_rows WHERE source_id = ?`, id).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite: count rows of source %d: %w", id, err)
	}
	return n, nil
}

// PendingKeys implements store.Sources.
func (s *Store) PendingKeys(ctx context.Context, after string, limit int) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT ukey FROM unify_pending WHERE ukey > ? ORDER BY ukey LIMIT ?`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: pending keys: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, fmt.Errorf("sqlite: pending keys: %w", err)
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// AdoptProfiles implements store.Sources.
func (s *Store) AdoptProfiles(ctx context.Context, keys []string) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		return store.Chunks(keys, lookupChunk, func(c []string) error {
			args := make([]any, len(c))
			for i, k := range c {
				args[i] = k
			}
			rs, err := tx.QueryContext(ctx, `SELECT p.id, p.attrs, p.updated_at FROM profiles p
				WHERE p.id IN (`+placeholders(len(c), 1)+`)
				AND NOT EXISTS (SELECT 1 FROM unified_profiles u WHERE u.id = p.id)
				AND NOT EXISTS (SELECT 1 FROM source_rows r WHERE r.source_id = 0 AND r.row_id = p.id)`, args...)
			if err != nil {
				return err
			}
			type hand struct {
				id    string
				attrs []byte
				at    int64
			}
			var found []hand
			for rs.Next() {
				var h hand
				if err := rs.Scan(&h.id, &h.attrs, &h.at); err != nil {
					rs.Close()
					return err
				}
				found = append(found, h)
			}
			if err := errors.Join(rs.Err(), rs.Close()); err != nil {
				return err
			}
			for _, h := range found {
				if _, err := tx.ExecContext(ctx, `INSERT INTO source_rows (source_id, row_id, ukey, attrs, hash, gen, changed_at)
					VALUES (0, ?, ?, ?, ?, 0, ?)`, h.id, h.id, h.attrs, store.StagedHash(h.attrs, h.id), h.at); err != nil {
					return err
				}
			}
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("sqlite: adopt profiles imported by hand: %w", err)
	}
	return nil
}

// StagedRows implements store.Sources.
func (s *Store) StagedRows(ctx context.Context, keys []string) ([]source.Staged, error) {
	var out []source.Staged
	err := store.Chunks(keys, lookupChunk, func(c []string) error {
		args := make([]any, 0, len(c)+1)
		args = append(args, store.HandPriority)
		for _, k := range c {
			args = append(args, k)
		}
		rows, err := s.db.QueryContext(ctx, `SELECT r.ukey, r.source_id, r.row_id, r.attrs, r.changed_at,
			COALESCE(CAST(json_extract(s.settings, '$.priority') AS INTEGER), ?1) AS prio
			FROM source_rows r LEFT JOIN sources s ON s.id = r.source_id
			WHERE r.ukey IN (`+placeholders(len(c), 1)+`)
			ORDER BY r.ukey, prio DESC, r.source_id = 0, r.source_id`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var st source.Staged
			var at int64
			if err := rows.Scan(&st.Key, &st.SourceID, &st.RowID, &st.Attrs, &at, &st.Priority); err != nil {
				return err
			}
			st.ChangedAt = fromMicros(at)
			out = append(out, st)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: read staged rows: %w", err)
	}
	return out, nil
}

// ApplyUnified implements store.Sources.
func (s *Store) ApplyUnified(ctx context.Context, b store.UnifiedBatch, now time.Time) (store.UnifyResult, error) {
	var res store.UnifyResult
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		up, err := upsertProfiles(ctx, tx, b.Profiles, now)
		if err != nil {
			return err
		}
		res.UpsertResult = up
		err = store.Chunks(b.Profiles, 200, func(c []profile.Profile) error {
			args := make([]any, 0, 2*len(c))
			for _, p := range c {
				args = append(args, p.ID, b.Origins[p.ID])
			}
			return s.txExec(ctx, tx, len(c) == 200, `INSERT INTO unified_profiles (id, origins) VALUES `+placeholders(len(c), 2)+
				` ON CONFLICT (id) DO UPDATE SET origins = excluded.origins`, args...)
		})
		if err != nil {
			return fmt.Errorf("write attribute origins: %w", err)
		}
		has := make(map[string]bool, len(b.Profiles))
		for _, p := range b.Profiles {
			has[p.ID] = true
		}
		var gone []string
		for _, k := range b.Keys {
			if !has[k] {
				gone = append(gone, k)
			}
		}
		res.Removed, err = removeUnified(ctx, tx, gone)
		if err != nil {
			return err
		}
		return store.Chunks(b.Keys, lookupChunk, func(c []string) error {
			args := make([]any, len(c))
			for i, k := range c {
				args[i] = k
			}
			return s.txExec(ctx, tx, len(c) == lookupChunk, `DELETE FROM unify_pending WHERE ukey IN (`+placeholders(len(c), 1)+`)`, args...)
		})
	})
	if err != nil {
		return store.UnifyResult{}, fmt.Errorf("sqlite: unify profiles: %w", err)
	}
	return res, nil
}

// removeUnified removes the unified profiles among ids (and their schema
// counts); ids that no unification made are left alone.
func removeUnified(ctx context.Context, tx *sql.Tx, ids []string) (int, error) {
	n := 0
	err := store.Chunks(ids, lookupChunk, func(c []string) error {
		args := make([]any, len(c))
		for i, k := range c {
			args[i] = k
		}
		in := placeholders(len(c), 1)
		rs, err := tx.QueryContext(ctx, `SELECT p.id, p.attrs FROM profiles p JOIN unified_profiles u ON u.id = p.id
			WHERE p.id IN (`+in+`)`, args...)
		if err != nil {
			return err
		}
		delta := profile.TypeCounts{}
		var del []any
		for rs.Next() {
			var id string
			var attrs []byte
			if err := rs.Scan(&id, &attrs); err != nil {
				rs.Close()
				return err
			}
			a, err := profile.DecodeAttrs(attrs)
			if err != nil {
				rs.Close()
				return fmt.Errorf("profile %q: %w", id, err)
			}
			delta.Count(a, -1)
			del = append(del, id)
		}
		if err := errors.Join(rs.Err(), rs.Close()); err != nil {
			return err
		}
		if len(del) > 0 {
			if _, err := tx.ExecContext(ctx, `DELETE FROM profiles WHERE id IN (`+placeholders(len(del), 1)+`)`, del...); err != nil {
				return err
			}
			n += len(del)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM unified_profiles WHERE id IN (`+in+`)`, args...); err != nil {
			return err
		}
		return addSchemaCounts(ctx, tx, delta)
	})
	if err != nil {
		return 0, fmt.Errorf("remove profiles no source returns: %w", err)
	}
	return n, nil
}

// GetProfileOrigins implements store.Sources.
func (s *Store) GetProfileOrigins(ctx context.Context, id string) (source.Origins, error) {
	var b []byte
	err := s.db.QueryRowContext(ctx, `SELECT origins FROM unified_profiles WHERE id = ?`, id).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("profile %q: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: profile origins %q: %w", id, err)
	}
	return source.DecodeOrigins(b)
}
