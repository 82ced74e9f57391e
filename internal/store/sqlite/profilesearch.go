package sqlite

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"segbridge/internal/profile"
	"segbridge/internal/store"
)

// emailExpr is the indexed expression of a profile's lower-cased e-mail
// (index profiles_email).
const emailExpr = `lower(json_extract(attrs, '$.email'))`

// valueMatch is true for a profile with an attribute whose value, as
// text and lower-cased, is the parameter; the LIKE before it skips most
// profiles without reading their JSON.
const valueMatch = `EXISTS (SELECT 1 FROM json_each(profiles.attrs) j WHERE
	(CASE j.type WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' ELSE lower(CAST(j.value AS TEXT)) END) = ?)`

// searchWhere is the condition of a search and its parameters.
func searchWhere(by store.SearchBy, q string) (string, []any) {
	switch by {
	case store.SearchEmail:
		q = strings.ToLower(q)
		return emailExpr + ` >= ? AND ` + emailExpr + ` < ?`, []any{q, store.PrefixEnd(q)}
	case store.SearchValue:
		q = strings.ToLower(q)
		if like, ok := store.JSONLike(q); ok {
			return `CAST(attrs AS TEXT) LIKE ? ESCAPE '\' AND ` + valueMatch, []any{like, q}
		}
		return valueMatch, []any{q}
	}
	if q == "" {
		return `1 = 1`, nil
	}
	return `id >= ? AND id < ?`, []any{q, store.PrefixEnd(q)}
}

// searchSQL is the query of a page of q (LIMIT: one more than the page,
// to tell whether more follow) and its parameters, and whether it reads
// backwards (Before).
func searchSQL(q store.ProfileQuery) (string, []any, bool) {
	where, args := searchWhere(q.By, q.Q)
	key, desc := q.After, false
	if q.Before != nil {
		key, desc = q.Before, true
	}
	cmp, dir := ">", "ASC"
	if desc {
		cmp, dir = "<", "DESC"
	}
	order := `id ` + dir
	switch {
	case q.By == store.SearchEmail:
		order = emailExpr + ` ` + dir + `, id ` + dir
		if key != nil {
			// One range on the index, from (or up to) the key: SQLite
			// picks one bound of each side, so the key's must be the
			// only one there.
			lo, hi := strings.ToLower(q.Q), store.PrefixEnd(strings.ToLower(q.Q))
			loOp, hiOp := ">=", "<"
			if desc && key.Email < hi {
				hi, hiOp = key.Email, "<="
			}
			if !desc && key.Email > lo {
				lo = key.Email
			}
			where = emailExpr + ` ` + loOp + ` ? AND ` + emailExpr + ` ` + hiOp + ` ? AND (` + emailExpr + `, id) ` + cmp + ` (?, ?)`
			args = []any{lo, hi, key.Email, key.ID}
		}
	case q.By == store.SearchID && q.Q != "" && key != nil:
		// Likewise one range on the primary key.
		lo, hi := q.Q, store.PrefixEnd(q.Q)
		loOp, hiOp := ">=", "<"
		if !desc && key.ID >= lo {
			lo, loOp = key.ID, ">"
		}
		if desc && key.ID < hi {
			hi = key.ID
		}
		where, args = `id `+loOp+` ? AND id `+hiOp+` ?`, []any{lo, hi}
	case key != nil:
		where += ` AND id ` + cmp + ` ?`
		args = append(args, key.ID)
	}
	args = append(args, q.EffectiveLimit()+1)
	return `SELECT id, attrs, created_at, updated_at FROM profiles WHERE ` + where + ` ORDER BY ` + order + ` LIMIT ?`, args, desc
}

// SearchProfiles implements store.ProfileSearch.
func (s *Store) SearchProfiles(ctx context.Context, q store.ProfileQuery) ([]profile.Profile, bool, error) {
	query, args, desc := searchSQL(q)
	rs, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, false, fmt.Errorf("sqlite: search profiles: %w", err)
	}
	var out []profile.Profile
	err = eachRow(rs, func() error {
		p, err := scanProfile(rs)
		out = append(out, p)
		return err
	})
	if err != nil {
		return nil, false, fmt.Errorf("sqlite: search profiles: %w", err)
	}
	limit := q.EffectiveLimit()
	more := len(out) > limit
	if more {
		out = out[:limit]
	}
	if desc {
		slices.Reverse(out)
	}
	return out, more, nil
}

// countSQL is the query counting the matches of a search up to max+1.
func countSQL(by store.SearchBy, q string, max int) (string, []any) {
	where, args := searchWhere(by, q)
	return `SELECT count(*) FROM (SELECT 1 FROM profiles WHERE ` + where + ` LIMIT ?)`, append(args, max+1)
}

// CountProfileMatches implements store.ProfileSearch.
func (s *Store) CountProfileMatches(ctx context.Context, by store.SearchBy, q string, max int) (int, error) {
	query, args := countSQL(by, q, max)
	var n int
	err := s.db.QueryRowContext(ctx, query, args...).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("sqlite: count profiles: %w", err)
	}
	return n, nil
}

// ProfileSegments implements store.ProfileSearch: one primary key look-up
// per segment.
func (s *Store) ProfileSegments(ctx context.Context, id string) ([]int64, error) {
	rs, err := s.db.QueryContext(ctx, `SELECT s.id FROM segments s WHERE EXISTS
		(SELECT 1 FROM segment_members m WHERE m.segment_id = s.id AND m.profile_id = ?) ORDER BY s.id`, id)
	if err != nil {
		return nil, fmt.Errorf("sqlite: segments of profile %q: %w", id, err)
	}
	var out []int64
	err = eachRow(rs, func() error {
		var sid int64
		err := rs.Scan(&sid)
		out = append(out, sid)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: segments of profile %q: %w", id, err)
	}
	return out, nil
}

// ExportStatesOf implements store.ProfileSearch: one primary key look-up
// per export.
func (s *Store) ExportStatesOf(ctx context.Context, email string) ([]store.ExportState, error) {
	rs, err := s.db.QueryContext(ctx, `SELECT e.id, st.profile_id, st.hash, st.tags, st.confirmed_at, st.unsure
		FROM exports e JOIN export_state st ON st.export_id = e.id AND st.email = ? ORDER BY e.id`,
		strings.ToLower(strings.TrimSpace(email)))
	if err != nil {
		return nil, fmt.Errorf("sqlite: export state of %q: %w", email, err)
	}
	var out []store.ExportState
	err = eachRow(rs, func() error {
		var (
			es         store.ExportState
			hash, tags string
			at         int64
		)
		err := rs.Scan(&es.ExportID, &es.ProfileID, &hash, &tags, &at, &es.Unsure)
		es.Tags, es.Confirmed, es.ConfirmedAt = store.ParseTags(tags), hash != "", fromMicros(at)
		out = append(out, es)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: export state of %q: %w", email, err)
	}
	return out, nil
}

// RecordProfileImport implements store.ProfileImports.
func (s *Store) RecordProfileImport(ctx context.Context, im store.ProfileImport) (store.ProfileImport, error) {
	res, err := s.db.ExecContext(ctx, `INSERT INTO profile_imports (at, actor, source, format, bytes, rows_read,
		inserted, updated, unchanged, rejected, status, message) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`,
		micros(im.At), im.Actor, im.Source, im.Format, im.Bytes, im.Rows, im.Inserted, im.Updated, im.Unchanged,
		im.Rejected, im.Status, im.Message)
	if err != nil {
		return im, fmt.Errorf("sqlite: record import: %w", err)
	}
	im.ID, err = res.LastInsertId()
	return im, err
}

// ListProfileImports implements store.ProfileImports.
func (s *Store) ListProfileImports(ctx context.Context, before int64, limit int) ([]store.ProfileImport, error) {
	if before <= 0 {
		before = 1<<63 - 1
	}
	rs, err := s.db.QueryContext(ctx, `SELECT id, at, actor, source, format, bytes, rows_read, inserted, updated,
		unchanged, rejected, status, message FROM profile_imports WHERE id < ? ORDER BY id DESC LIMIT ?`,
		before, store.ListOptions{Limit: limit}.EffectiveLimit())
	if err != nil {
		return nil, fmt.Errorf("sqlite: list imports: %w", err)
	}
	out := []store.ProfileImport{}
	err = eachRow(rs, func() error {
		var im store.ProfileImport
		var at int64
		err := rs.Scan(&im.ID, &at, &im.Actor, &im.Source, &im.Format, &im.Bytes, &im.Rows, &im.Inserted,
			&im.Updated, &im.Unchanged, &im.Rejected, &im.Status, &im.Message)
		im.At = fromMicros(at)
		out = append(out, im)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: list imports: %w", err)
	}
	return out, nil
}
