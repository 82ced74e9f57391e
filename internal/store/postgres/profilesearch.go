package postgres

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"segbridge/internal/profile"
	"segbridge/internal/store"
)

// emailExpr is the indexed expression of a profile's lower-cased e-mail
// (index profiles_email).
const emailExpr = `(lower(attrs->>'email') COLLATE "C")`

// args numbers query parameters as they are added.
type args []any

func (a *args) add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// searchWhere is the condition of a search, its parameters added to a.
func searchWhere(a *args, by store.SearchBy, q string) string {
	switch by {
	case store.SearchEmail:
		q = strings.ToLower(q)
		return emailExpr + ` >= ` + a.add(q) + ` AND ` + emailExpr + ` < ` + a.add(store.PrefixEnd(q))
	case store.SearchValue:
		q = strings.ToLower(q)
		match := `EXISTS (SELECT 1 FROM jsonb_each_text(profiles.attrs) j WHERE lower(j.value) = ` + a.add(q) + `)`
		if like, ok := store.JSONLike(q); ok {
			return `attrs::text ILIKE ` + a.add(like) + ` AND ` + match
		}
		return match
	}
	if q == "" {
		return `true`
	}
	return `id >= ` + a.add(q) + ` AND id < ` + a.add(store.PrefixEnd(q))
}

// searchSQL is the query of a page of q (LIMIT: one more than the page,
// to tell whether more follow) and its parameters, and whether it reads
// backwards (Before).
func searchSQL(q store.ProfileQuery) (string, []any, bool) {
	var a args
	where := searchWhere(&a, q.By, q.Q)
	key, desc := q.After, false
	if q.Before != nil {
		key, desc = q.Before, true
	}
	cmp, dir := ">", "ASC"
	if desc {
		cmp, dir = "<", "DESC"
	}
	order := `id ` + dir
	if key != nil {
		if q.By == store.SearchEmail {
			where += ` AND (` + emailExpr + `, id) ` + cmp + ` (` + a.add(key.Email) + `, ` + a.add(key.ID) + `)`
		} else {
			where += ` AND id ` + cmp + ` ` + a.add(key.ID)
		}
	}
	if q.By == store.SearchEmail {
		order = emailExpr + ` ` + dir + `, id ` + dir
	}
	return `SELECT id, attrs::text, created_at, updated_at FROM profiles WHERE ` + where +
		` ORDER BY ` + order + ` LIMIT ` + a.add(q.EffectiveLimit()+1), a, desc
}

// SearchProfiles implements store.ProfileSearch.
func (s *Store) SearchProfiles(ctx context.Context, q store.ProfileQuery) ([]profile.Profile, bool, error) {
	query, a, desc := searchSQL(q)
	limit := q.EffectiveLimit()
	rs, err := s.pool.Query(ctx, query, a...)
	if err != nil {
		return nil, false, fmt.Errorf("postgres: search profiles: %w", err)
	}
	out, err := pgx.CollectRows(rs, func(r pgx.CollectableRow) (profile.Profile, error) { return scanProfile(r) })
	if err != nil {
		return nil, false, fmt.Errorf("postgres: search profiles: %w", err)
	}
	more := len(out) > limit
	if more {
		out = out[:limit]
	}
	if desc {
		slices.Reverse(out)
	}
	return out, more, nil
}

// CountProfileMatches implements store.ProfileSearch.
func (s *Store) CountProfileMatches(ctx context.Context, by store.SearchBy, q string, max int) (int, error) {
	var a args
	where := searchWhere(&a, by, q)
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM (SELECT 1 FROM profiles WHERE `+where+` LIMIT `+a.add(max+1)+`) m`, a...).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("postgres: count profiles: %w", err)
	}
	return n, nil
}

// ProfileSegments implements store.ProfileSearch: one primary key look-up
// per segment.
func (s *Store) ProfileSegments(ctx context.Context, id string) ([]int64, error) {
	rs, err := s.pool.Query(ctx, `SELECT s.id FROM segments s WHERE EXISTS
		(SELECT 1 FROM segment_members m WHERE m.segment_id = s.id AND m.profile_id = $1) ORDER BY s.id`, id)
	if err != nil {
		return nil, fmt.Errorf("postgres: segments of profile %q: %w", id, err)
	}
	out, err := pgx.CollectRows(rs, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("postgres: segments of profile %q: %w", id, err)
	}
	return out, nil
}

// ExportStatesOf implements store.ProfileSearch: one primary key look-up
// per export.
func (s *Store) ExportStatesOf(ctx context.Context, email string) ([]store.ExportState, error) {
	rs, err := s.pool.Query(ctx, `SELECT e.id, st.profile_id, st.hash, st.tags, st.confirmed_at, st.unsure
		FROM exports e JOIN export_state st ON st.export_id = e.id AND st.email = $1 ORDER BY e.id`,
		strings.ToLower(strings.TrimSpace(email)))
	if err != nil {
		return nil, fmt.Errorf("postgres: export state of %q: %w", email, err)
	}
	out, err := pgx.CollectRows(rs, func(r pgx.CollectableRow) (store.ExportState, error) {
		var es store.ExportState
		var hash, tags string
		err := r.Scan(&es.ExportID, &es.ProfileID, &hash, &tags, &es.ConfirmedAt, &es.Unsure)
		es.Tags, es.Confirmed, es.ConfirmedAt = store.ParseTags(tags), hash != "", es.ConfirmedAt.UTC()
		return es, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: export state of %q: %w", email, err)
	}
	return out, nil
}

// RecordProfileImport implements store.ProfileImports.
func (s *Store) RecordProfileImport(ctx context.Context, im store.ProfileImport) (store.ProfileImport, error) {
	err := s.pool.QueryRow(ctx, `INSERT INTO profile_imports (at, actor, source, format, bytes, rows_read,
		inserted, updated, unchanged, rejected, status, message) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12) RETURNING id`,
		im.At, im.Actor, im.Source, im.Format, im.Bytes, im.Rows, im.Inserted, im.Updated, im.Unchanged,
		im.Rejected, im.Status, im.Message).Scan(&im.ID)
	if err != nil {
		return im, fmt.Errorf("postgres: record import: %w", err)
	}
	return im, nil
}

// ListProfileImports implements store.ProfileImports.
func (s *Store) ListProfileImports(ctx context.Context, before int64, limit int) ([]store.ProfileImport, error) {
	if before <= 0 {
		before = 1<<63 - 1
	}
	rs, err := s.pool.Query(ctx, `SELECT id, at, actor, source, format, bytes, rows_read, inserted, updated,
		unchanged, rejected, status, message FROM profile_imports WHERE id < $1 ORDER BY id DESC LIMIT $2`,
		before, store.ListOptions{Limit: limit}.EffectiveLimit())
	if err != nil {
		return nil, fmt.Errorf("postgres: list imports: %w", err)
	}
	out, err := pgx.CollectRows(rs, func(r pgx.CollectableRow) (store.ProfileImport, error) {
		var im store.ProfileImport
		err := r.Scan(&im.ID, &im.At, &im.Actor, &im.Source, &im.Format, &im.Bytes, &im.Rows, &im.Inserted,
			&im.Updated, &im.Unchanged, &im.Rejected, &im.Status, &im.Message)
		im.At = im.At.UTC()
		return im, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: list imports: %w", err)
	}
	if out == nil {
		out = []store.ProfileImport{}
	}
	return out, nil
}
