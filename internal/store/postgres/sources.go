package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"segbridge/internal/profile"
	"segbridge/internal/source"
	"segbridge/internal/store"
)

const sourceCols = `id, name, kind, settings, state, secret IS NOT NULL, created_at, updated_at`

func scanSource(sc pgx.Row) (source.Source, error) {
	var (
		id                       int64
		name, kind, settings, st string
		hasSecret                bool
		created, updated         time.Time
	)
	if err := sc.Scan(&id, &name, &kind, &settings, &st, &hasSecret, &created, &updated); err != nil {
		return source.Source{}, err
	}
	return store.DecodeSource(id, name, kind, settings, st, hasSecret, created.UTC(), updated.UTC())
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
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO sources (name, kind, settings, state, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, src.Name, string(src.Kind), settings, state,
			src.CreatedAt, src.UpdatedAt).Scan(&id)
		if err != nil {
			if isUniqueViolation(err) {
				return fmt.Errorf("source %q: %w", src.Name, store.ErrConflict)
			}
			return fmt.Errorf("insert source: %w", err)
		}
		return storeSourceSecret(ctx, tx, id, seal)
	})
	if err != nil {
		return source.Source{}, fmt.Errorf("postgres: create source: %w", err)
	}
	return s.GetSource(ctx, strconv.FormatInt(id, 10))
}

func storeSourceSecret(ctx context.Context, tx pgx.Tx, id int64, seal func(id int64) ([]byte, error)) error {
	if seal == nil {
		return nil
	}
	sealed, err := seal(id)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE sources SET secret = $1 WHERE id = $2`, sealed, id); err != nil {
		return fmt.Errorf("store sealed secret: %w", err)
	}
	return nil
}

// GetSource implements store.Sources.
func (s *Store) GetSource(ctx context.Context, nameOrID string) (source.Source, error) {
	var id *int64
	if n, err := strconv.ParseInt(nameOrID, 10, 64); err == nil {
		id = &n
	}
	row := s.pool.QueryRow(ctx, `SELECT `+sourceCols+` FROM sources
		WHERE lower(name) = lower($1) OR id = $2 ORDER BY lower(name) = lower($1) DESC LIMIT 1`, nameOrID, id)
	src, err := scanSource(row)
	if errors.Is(err, pgx.ErrNoRows) {
		return src, fmt.Errorf("source %q: %w", nameOrID, store.ErrNotFound)
	}
	if err != nil {
		return src, fmt.Errorf("postgres: get source %q: %w", nameOrID, err)
	}
	return src, nil
}

// ListSources implements store.Sources.
func (s *Store) ListSources(ctx context.Context) ([]source.Source, error) {
	rs, err := s.pool.Query(ctx, `SELECT `+sourceCols+` FROM sources ORDER BY lower(name), id`)
	if err != nil {
		return nil, fmt.Errorf("postgres: list sources: %w", err)
	}
	out, err := pgx.CollectRows(rs, func(r pgx.CollectableRow) (source.Source, error) { return scanSource(r) })
	if err != nil {
		return nil, fmt.Errorf("postgres: list sources: %w", err)
	}
	return out, nil
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
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE sources SET name = $1, settings = $2, updated_at = $3 WHERE id = $4`,
			src.Name, settings, src.UpdatedAt, src.ID)
		if err != nil {
			if isUniqueViolation(err) {
				return fmt.Errorf("source %q: %w", src.Name, store.ErrConflict)
			}
			return fmt.Errorf("update source: %w", err)
		}
		if old.Priority != src.Priority || old.Match != src.Match {
			if _, err := tx.Exec(ctx, `INSERT INTO unify_pending (ukey)
				SELECT DISTINCT ukey FROM source_rows WHERE source_id = $1 ON CONFLICT DO NOTHING`, src.ID); err != nil {
				return fmt.Errorf("mark the source's profiles: %w", err)
			}
		}
		return storeSourceSecret(ctx, tx, src.ID, seal)
	})
	if err != nil {
		return source.Source{}, fmt.Errorf("postgres: update source: %w", err)
	}
	return s.GetSource(ctx, strconv.FormatInt(src.ID, 10))
}

// DeleteSource implements store.Sources.
func (s *Store) DeleteSource(ctx context.Context, id int64) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM sources WHERE id = $1`, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("source %d: %w", id, store.ErrNotFound)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO unify_pending (ukey)
			SELECT DISTINCT ukey FROM source_rows WHERE source_id = $1 ON CONFLICT DO NOTHING`, id); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM source_rows WHERE source_id = $1`, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: delete source %d: %w", id, err)
	}
	return nil
}

// SourceSecret implements store.Sources.
func (s *Store) SourceSecret(ctx context.Context, id int64) ([]byte, error) {
	var b []byte
	err := s.pool.QueryRow(ctx, `SELECT secret FROM sources WHERE id = $1`, id).Scan(&b)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("source %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: source secret %d: %w", id, err)
	}
	return b, nil
}

// SaveSourceState implements store.Sources.
func (s *Store) SaveSourceState(ctx context.Context, id int64, st source.State) error {
	state, err := store.EncodeSourceState(st)
	if err != nil {
		return err
	}
	if _, err := s.pool.Exec(ctx, `UPDATE sources SET state = $1 WHERE id = $2`, state, id); err != nil {
		return fmt.Errorf("postgres: save source state %d: %w", id, err)
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
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		ids := make([]string, len(enc))
		for i, r := range enc {
			ids[i] = r.RowID
		}
		stored := make(map[string]store.StoredRow, len(enc))
		rs, err := tx.Query(ctx, `SELECT row_id, ukey, hash FROM source_rows WHERE source_id = $1 AND row_id = ANY($2)`, src.ID, ids)
		if err != nil {
			return fmt.Errorf("look up stored rows: %w", err)
		}
		var id string
		var sr store.StoredRow
		if _, err := pgx.ForEachRow(rs, []any{&id, &sr.Key, &sr.Hash}, func() error {
			stored[id] = sr
			return nil
		}); err != nil {
			return fmt.Errorf("look up stored rows: %w", err)
		}
		write, unchanged, keys, r := store.ClassifyRows(enc, stored)
		res = r
		if len(write) > 0 {
			wids, wkeys, wattrs, whash := make([]string, len(write)), make([]string, len(write)), make([]string, len(write)), make([]string, len(write))
			for i, w := range write {
				wids[i], wkeys[i], wattrs[i], whash[i] = w.RowID, w.Key, string(w.Attrs), w.Hash
			}
			_, err := tx.Exec(ctx, `INSERT INTO source_rows (source_id, row_id, ukey, attrs, hash, gen, changed_at)
				SELECT $1, id, k, a, h, $6, $7 FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) AS t (id, k, a, h)
				ON CONFLICT (source_id, row_id) DO UPDATE SET ukey = excluded.ukey, attrs = excluded.attrs,
				hash = excluded.hash, gen = excluded.gen, changed_at = excluded.changed_at`,
				src.ID, wids, wkeys, wattrs, whash, gen, now)
			if err != nil {
				return fmt.Errorf("write rows: %w", err)
			}
		}
		if len(unchanged) > 0 {
			if _, err := tx.Exec(ctx, `UPDATE source_rows SET gen = $1 WHERE source_id = $2 AND row_id = ANY($3)`, gen, src.ID, unchanged); err != nil {
				return fmt.Errorf("mark unchanged rows: %w", err)
			}
		}
		return markPending(ctx, tx, keys)
	})
	if err != nil {
		return store.StageResult{}, fmt.Errorf("postgres: stage rows of source %q: %w", src.Name, err)
	}
	return res, nil
}

func markPending(ctx context.Context, tx pgx.Tx, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, `INSERT INTO unify_pending (ukey) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING`, keys); err != nil {
		return fmt.Errorf("mark profiles to unify: %w", err)
	}
	return nil
}

// DropUnseenRows implements store.Sources.
func (s *Store) DropUnseenRows(ctx context.Context, id, gen int64) (int, error) {
	var n int64
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO unify_pending (ukey)
			SELECT DISTINCT ukey FROM source_rows WHERE source_id = $1 AND gen < $2 ON CONFLICT DO NOTHING`, id, gen); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM source_rows WHERE source_id = $1 AND gen < $2`, id, gen)
		n = tag.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("postgres: remove unseen rows of source %d: %w", id, err)
	}
	return int(n), nil
}

// CountSourceRows implements store.Sources.
func (s *Store) CountSourceRows(ctx context.Context, id int64) (int, error) {
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM source_rows WHERE source_id = $1`, id).Scan(&n); err != nil {
		return 0, fmt.Errorf("postgres: count rows of source %d: %w", id, err)
	}
	return n, nil
}

// PendingKeys implements store.Sources.
func (s *Store) PendingKeys(ctx context.Context, after string, limit int) ([]string, error) {
	rs, err := s.pool.Query(ctx, `SELECT ukey FROM unify_pending WHERE ukey COLLATE "C" > $1 ORDER BY ukey COLLATE "C" LIMIT $2`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: pending keys: %w", err)
	}
	out, err := pgx.CollectRows(rs, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("postgres: pending keys: %w", err)
	}
	return out, nil
}

// AdoptProfiles implements store.Sources.
func (s *Store) AdoptProfiles(ctx context.Context, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO source_rows (source_id, row_id, ukey, attrs, hash, gen, changed_at)
		SELECT 0, p.id, p.id, p.attrs::text, '', 0, p.updated_at FROM profiles p
		WHERE p.id = ANY($1)
		AND NOT EXISTS (SELECT 1 FROM unified_profiles u WHERE u.id = p.id)
		ON CONFLICT DO NOTHING`, keys)
	if err != nil {
		return fmt.Errorf("postgres: adopt profiles imported by hand: %w", err)
	}
	return nil
}

// StagedRows implements store.Sources.
func (s *Store) StagedRows(ctx context.Context, keys []string) ([]source.Staged, error) {
	rs, err := s.pool.Query(ctx, `SELECT r.ukey, r.source_id, r.row_id, r.attrs, r.changed_at,
		COALESCE((s.settings::jsonb ->> 'priority')::int, $2) AS prio
		FROM source_rows r LEFT JOIN sources s ON s.id = r.source_id
		WHERE r.ukey = ANY($1)
		ORDER BY r.ukey COLLATE "C", prio DESC, r.source_id = 0, r.source_id`, keys, store.HandPriority)
	if err != nil {
		return nil, fmt.Errorf("postgres: read staged rows: %w", err)
	}
	out, err := pgx.CollectRows(rs, func(r pgx.CollectableRow) (source.Staged, error) {
		var st source.Staged
		var attrs string
		err := r.Scan(&st.Key, &st.SourceID, &st.RowID, &attrs, &st.ChangedAt, &st.Priority)
		st.Attrs, st.ChangedAt = []byte(attrs), st.ChangedAt.UTC()
		return st, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: read staged rows: %w", err)
	}
	return out, nil
}

// ApplyUnified implements store.Sources.
func (s *Store) ApplyUnified(ctx context.Context, b store.UnifiedBatch, now time.Time) (store.UnifyResult, error) {
	var res store.UnifyResult
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		up, err := upsertProfiles(ctx, tx, b.Profiles, now)
		if err != nil {
			return err
		}
		res.UpsertResult = up
		if len(b.Profiles) > 0 {
			ids, origins := make([]string, len(b.Profiles)), make([]string, len(b.Profiles))
			for i, p := range b.Profiles {
				ids[i], origins[i] = p.ID, string(b.Origins[p.ID])
			}
			if _, err := tx.Exec(ctx, `INSERT INTO unified_profiles (id, origins)
				SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT (id) DO UPDATE SET origins = excluded.origins`,
				ids, origins); err != nil {
				return fmt.Errorf("write attribute origins: %w", err)
			}
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
		_, err = tx.Exec(ctx, `DELETE FROM unify_pending WHERE ukey = ANY($1)`, b.Keys)
		return err
	})
	if err != nil {
		return store.UnifyResult{}, fmt.Errorf("postgres: unify profiles: %w", err)
	}
	return res, s.analyzeUnified(ctx, res.Inserted+res.Updated)
}

// analyzeUnified analyzes profiles once unification has written
// analyzeAfter profiles, and again each time that count doubles (a
// source refresh writes in batches, not inside Bulk; see analyzeAfter).
func (s *Store) analyzeUnified(ctx context.Context, wrote int) error {
	n := s.unified.Add(int64(wrote))
	at := s.unifiedAnalyzeAt.Load()
	if n < max(at, analyzeAfter) || !s.unifiedAnalyzeAt.CompareAndSwap(at, 2*n) {
		return nil // not yet, or another batch analyzes
	}
	return analyzeProfiles(ctx, s.pool)
}

// removeUnified removes the unified profiles among ids (and their schema
// counts); ids that no unification made are left alone.
func removeUnified(ctx context.Context, tx pgx.Tx, ids []string) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	rs, err := tx.Query(ctx, `DELETE FROM profiles p USING unified_profiles u
		WHERE u.id = p.id AND p.id = ANY($1) RETURNING p.id, p.attrs::text`, ids)
	if err != nil {
		return 0, fmt.Errorf("remove profiles no source returns: %w", err)
	}
	delta := profile.TypeCounts{}
	n := 0
	var id, attrs string
	if _, err := pgx.ForEachRow(rs, []any{&id, &attrs}, func() error {
		a, err := profile.DecodeAttrs([]byte(attrs))
		if err != nil {
			return fmt.Errorf("profile %q: %w", id, err)
		}
		delta.Count(a, -1)
		n++
		return nil
	}); err != nil {
		return 0, fmt.Errorf("remove profiles no source returns: %w", err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM unified_profiles WHERE id = ANY($1)`, ids); err != nil {
		return 0, fmt.Errorf("remove profiles no source returns: %w", err)
	}
	return n, addSchemaCounts(ctx, tx, delta)
}

// GetProfileOrigins implements store.Sources.
func (s *Store) GetProfileOrigins(ctx context.Context, id string) (source.Origins, error) {
	var b string
	err := s.pool.QueryRow(ctx, `SELECT origins FROM unified_profiles WHERE id = $1`, id).Scan(&b)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("profile %q: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: profile origins %q: %w", id, err)
	}
	return source.DecodeOrigins([]byte(b))
}
