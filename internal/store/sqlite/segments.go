package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"segbridge/internal/run"
	"segbridge/internal/segment"
	"segbridge/internal/store"
)

const segmentCols = `id, name, slug, kind, rule, static_count, created_at, updated_at, refreshed_at, member_count`

// CreateSegment implements store.Segments.
func (s *Store) CreateSegment(ctx context.Context, n segment.Draft, now time.Time) (segment.Segment, error) {
	var id int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO segments (name, slug, kind, rule, static_count, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			n.Name, n.Slug, string(n.Kind), n.Rule, len(n.StaticIDs), micros(now), micros(now)).Scan(&id)
		if err != nil {
			if strings.Contains(err.Error(), "UNIQUE constraint failed") {
				return fmt.Errorf("segment %q: %w", n.Name, store.ErrConflict)
			}
			return fmt.Errorf("insert segment: %w", err)
		}
		return insertPairs(ctx, tx, "segment_static_ids", id, n.StaticIDs)
	})
	if err != nil {
		return segment.Segment{}, fmt.Errorf("sqlite: create segment: %w", err)
	}
	return s.getSegment(ctx, `id = ?`, id)
}

// UpdateSegmentRule implements store.Segments.
func (s *Store) UpdateSegmentRule(ctx context.Context, id int64, rule string, now time.Time) (segment.Segment, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE segments SET rule = ?, updated_at = ? WHERE id = ? AND kind = 'rule'`, rule, micros(now), id)
	if err != nil {
		return segment.Segment{}, fmt.Errorf("sqlite: update segment %d: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return segment.Segment{}, fmt.Errorf("rule segment %d: %w", id, store.ErrNotFound)
	}
	return s.getSegment(ctx, `id = ?`, id)
}

// insertPairs inserts (segmentID, id) rows into table, ignoring repeats.
func insertPairs(ctx context.Context, tx *sql.Tx, table string, segmentID int64, ids []string) error {
	return store.Chunks(ids, 400, func(c []string) error {
		args := make([]any, 0, 2*len(c))
		for _, id := range c {
			args = append(args, segmentID, id)
		}
		q := `INSERT OR IGNORE INTO ` + table + ` (segment_id, profile_id) VALUES ` + placeholders(len(c), 2)
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("insert into %s: %w", table, err)
		}
		return nil
	})
}

// GetSegment implements store.Segments.
func (s *Store) GetSegment(ctx context.Context, nameOrSlug string) (segment.Segment, error) {
	return s.getSegment(ctx, `name = ? COLLATE NOCASE OR slug = ?`, nameOrSlug, nameOrSlug)
}

func (s *Store) getSegment(ctx context.Context, where string, args ...any) (segment.Segment, error) {
	row := s.db.QueryRowContext(ctx, `SELECT `+segmentCols+` FROM segments WHERE `+where, args...)
	seg, err := scanSegment(row)
	if errors.Is(err, sql.ErrNoRows) {
		return segment.Segment{}, fmt.Errorf("segment %v: %w", args[0], store.ErrNotFound)
	}
	if err != nil {
		return segment.Segment{}, fmt.Errorf("sqlite: get segment: %w", err)
	}
	return seg, nil
}

// ListSegments implements store.Segments.
func (s *Store) ListSegments(ctx context.Context) ([]segment.Segment, error) {
	rs, err := s.db.QueryContext(ctx, `SELECT `+segmentCols+` FROM segments ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list segments: %w", err)
	}
	defer rs.Close()
	var out []segment.Segment
	for rs.Next() {
		seg, err := scanSegment(rs)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list segments: %w", err)
		}
		out = append(out, seg)
	}
	return out, rs.Err()
}

// DeleteSegment implements store.Segments. A segment that exports send is
// not deleted (store.ErrInUse naming them).
func (s *Store) DeleteSegment(ctx context.Context, id int64) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if err := segmentInUse(ctx, tx, id); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM segments WHERE id = ?`, id)
		if err != nil {
			return fmt.Errorf("sqlite: delete segment %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("segment %d: %w", id, store.ErrNotFound)
		}
		return nil
	})
}

// ScanStaticIDs implements store.Segments.
func (s *Store) ScanStaticIDs(ctx context.Context, segmentID int64, fn func(id string) error) error {
	return s.scanIDs(ctx, `SELECT profile_id FROM segment_static_ids WHERE segment_id = ? ORDER BY profile_id`, segmentID, fn)
}

// ScanMembers implements store.Segments.
func (s *Store) ScanMembers(ctx context.Context, segmentID int64, fn func(id string) error) error {
	return s.scanIDs(ctx, `SELECT profile_id FROM segment_members WHERE segment_id = ? ORDER BY profile_id`, segmentID, fn)
}

func (s *Store) scanIDs(ctx context.Context, q string, segmentID int64, fn func(id string) error) error {
	rs, err := s.db.QueryContext(ctx, q, segmentID)
	if err != nil {
		return fmt.Errorf("sqlite: scan segment %d: %w", segmentID, err)
	}
	defer rs.Close()
	var id string
	for rs.Next() {
		if err := rs.Scan(&id); err != nil {
			return fmt.Errorf("sqlite: scan segment %d: %w", segmentID, err)
		}
		if err := fn(id); err != nil {
			return err
		}
	}
	return rs.Err()
}

// ApplyMembership implements store.Segments.
func (s *Store) ApplyMembership(ctx context.Context, c segment.MembershipChange) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE segments SET refreshed_at = ?, member_count = ? WHERE id = ?`,
			micros(c.RefreshedAt), c.MemberCount, c.SegmentID)
		if err != nil {
			return fmt.Errorf("update segment: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("segment %d: %w", c.SegmentID, store.ErrNotFound)
		}
		err = store.Chunks(c.Remove, 500, func(ids []string) error {
			args := make([]any, 0, len(ids)+1)
			args = append(args, c.SegmentID)
			for _, id := range ids {
				args = append(args, id)
			}
			_, err := tx.ExecContext(ctx, `DELETE FROM segment_members WHERE segment_id = ? AND profile_id IN (`+
				placeholders(len(ids), 1)+`)`, args...)
			return err
		})
		if err != nil {
			return fmt.Errorf("remove members: %w", err)
		}
		if err := insertPairs(ctx, tx, "segment_members", c.SegmentID, c.Add); err != nil {
			return err
		}
		return logMemberChanges(ctx, tx, c)
	})
	if err != nil {
		return fmt.Errorf("sqlite: apply membership of segment %d: %w", c.SegmentID, err)
	}
	return nil
}

func scanSegment(row scanner) (segment.Segment, error) {
	var seg segment.Segment
	var kind string
	var created, updated int64
	var refreshed sql.NullInt64
	err := row.Scan(&seg.ID, &seg.Name, &seg.Slug, &kind, &seg.Rule, &seg.StaticCount,
		&created, &updated, &refreshed, &seg.MemberCount)
	if err != nil {
		return seg, err
	}
	seg.Kind, seg.CreatedAt, seg.UpdatedAt = segment.Kind(kind), fromMicros(created), fromMicros(updated)
	if refreshed.Valid {
		seg.RefreshedAt = fromMicros(refreshed.Int64)
	}
	return seg, nil
}

// ScanMemberProfiles implements store.Segments.
func (s *Store) ScanMemberProfiles(ctx context.Context, segmentIDs []int64, fn func(id string, attrs []byte, segs []int64) error) error {
	if len(segmentIDs) == 0 {
		return nil
	}
	args := make([]any, len(segmentIDs))
	for i, id := range segmentIDs {
		args[i] = id
	}
	// Group the small (profile, segment) pairs first, then fetch each
	// profile once by its key: sorting whole profiles would spill. One
	// segment needs no grouping: its members come in profile order from
	// the primary key, so rows stream from the first instead of after a
	// sort of every member.
	q := `SELECT p.id, p.attrs, g.segs FROM
		(SELECT profile_id, group_concat(segment_id) AS segs FROM segment_members
			WHERE segment_id IN (` + placeholders(len(args), 1) + `) GROUP BY profile_id) g
		JOIN profiles p ON p.id = g.profile_id ORDER BY g.profile_id`
	if len(args) == 1 {
		q = `SELECT p.id, p.attrs, CAST(m.segment_id AS TEXT) FROM segment_members m
		JOIN profiles p ON p.id = m.profile_id WHERE m.segment_id = ? ORDER BY m.profile_id`
	}
	rs, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("sqlite: scan member profiles: %w", err)
	}
	var id, segs string
	var attrs sql.RawBytes
	var fnErr error // the caller's own error, returned as it is
	err = eachRow(rs, func() error {
		if err := rs.Scan(&id, &attrs, &segs); err != nil {
			return err
		}
		ids, err := parseIDList(segs)
		if err != nil {
			return err
		}
		fnErr = fn(id, attrs, ids)
		return fnErr
	})
	if fnErr != nil {
		return fnErr
	}
	if err != nil {
		return fmt.Errorf("sqlite: scan member profiles: %w", err)
	}
	return nil
}

// parseIDList parses group_concat's "1,2,3".
func parseIDList(s string) ([]int64, error) {
	var ids []int64
	for _, part := range strings.Split(s, ",") {
		id, err := strconv.ParseInt(part, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("segment id list %q: %w", s, err)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// logMemberChanges records c's joins and leaves at c.RefreshedAt (a
// changes-only plan reads them) and forgets those older than
// run.ChangesKept.
func logMemberChanges(ctx context.Context, tx *sql.Tx, c segment.MembershipChange) error {
	at := micros(c.RefreshedAt)
	if _, err := tx.ExecContext(ctx, `DELETE FROM segment_member_changes WHERE segment_id = ? AND changed_at < ?`,
		c.SegmentID, micros(c.RefreshedAt.Add(-run.ChangesKept))); err != nil {
		return fmt.Errorf("forget old membership changes: %w", err)
	}
	for _, ids := range [][]string{c.Add, c.Remove} {
		err := store.Chunks(ids, 300, func(ch []string) error {
			args := make([]any, 0, 3*len(ch))
			for _, id := range ch {
				args = append(args, c.SegmentID, at, id)
			}
			_, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO segment_member_changes (segment_id, changed_at, profile_id) VALUES `+
				placeholders(len(ch), 3), args...)
			return err
		})
		if err != nil {
			return fmt.Errorf("record membership changes: %w", err)
		}
	}
	return nil
}
