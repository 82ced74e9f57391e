package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"segbridge/internal/segment"
	"segbridge/internal/store"
)

const segmentCols = `id, name, slug, kind, rule, static_count, created_at, updated_at, refreshed_at, member_count`

// CreateSegment implements store.Segments.
func (s *Store) CreateSegment(ctx context.Context, n segment.Draft, now time.Time) (segment.Segment, error) {
	var id int64
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO segments (name, slug, kind, rule, static_count, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id`,
			n.Name, n.Slug, string(n.Kind), n.Rule, len(n.StaticIDs), now).Scan(&id)
		if isUniqueViolation(err) {
			return fmt.Errorf("segment %q: %w", n.Name, store.ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("insert segment: %w", err)
		}
		return insertPairs(ctx, tx, "segment_static_ids", id, n.StaticIDs)
	})
	if err != nil {
		return segment.Segment{}, fmt.Errorf("postgres: create segment: %w", err)
	}
	return s.getSegment(ctx, `id = $1`, id)
}

// UpdateSegmentRule implements store.Segments.
func (s *Store) UpdateSegmentRule(ctx context.Context, id int64, rule string, now time.Time) (segment.Segment, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE segments SET rule = $1, updated_at = $2 WHERE id = $3 AND kind = 'rule'`, rule, now, id)
	if err != nil {
		return segment.Segment{}, fmt.Errorf("postgres: update segment %d: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return segment.Segment{}, fmt.Errorf("rule segment %d: %w", id, store.ErrNotFound)
	}
	return s.getSegment(ctx, `id = $1`, id)
}

// insertPairs inserts (segmentID, id) rows into table, ignoring repeats.
func insertPairs(ctx context.Context, tx pgx.Tx, table string, segmentID int64, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `INSERT INTO `+table+` (segment_id, profile_id)
		SELECT $1, id FROM unnest($2::text[]) AS t (id) ON CONFLICT DO NOTHING`, segmentID, ids)
	if err != nil {
		return fmt.Errorf("insert into %s: %w", table, err)
	}
	return nil
}

// GetSegment implements store.Segments.
func (s *Store) GetSegment(ctx context.Context, nameOrSlug string) (segment.Segment, error) {
	return s.getSegment(ctx, `lower(name) = lower($1) OR slug = $1`, nameOrSlug)
}

func (s *Store) getSegment(ctx context.Context, where string, arg any) (segment.Segment, error) {
	seg, err := scanSegment(s.pool.QueryRow(ctx, `SELECT `+segmentCols+` FROM segments WHERE `+where, arg))
	if errors.Is(err, pgx.ErrNoRows) {
		return segment.Segment{}, fmt.Errorf("segment %v: %w", arg, store.ErrNotFound)
	}
	if err != nil {
		return segment.Segment{}, fmt.Errorf("postgres: get segment: %w", err)
	}
	return seg, nil
}

// ListSegments implements store.Segments.
func (s *Store) ListSegments(ctx context.Context) ([]segment.Segment, error) {
	rs, err := s.pool.Query(ctx, `SELECT `+segmentCols+` FROM segments ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("postgres: list segments: %w", err)
	}
	out, err := pgx.CollectRows(rs, func(r pgx.CollectableRow) (segment.Segment, error) { return scanSegment(r) })
	if err != nil {
		return nil, fmt.Errorf("postgres: list segments: %w", err)
	}
	return out, nil
}

// DeleteSegment implements store.Segments. A segment that exports send is
// not deleted (store.ErrInUse naming them).
func (s *Store) DeleteSegment(ctx context.Context, id int64) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if err := segmentInUse(ctx, tx, id); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM segments WHERE id = $1`, id)
		if err != nil {
			return fmt.Errorf("postgres: delete segment %d: %w", id, err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("segment %d: %w", id, store.ErrNotFound)
		}
		return nil
	})
}

// ScanStaticIDs implements store.Segments.
func (s *Store) ScanStaticIDs(ctx context.Context, segmentID int64, fn func(id string) error) error {
	return s.scanIDs(ctx, `SELECT profile_id FROM segment_static_ids WHERE segment_id = $1 ORDER BY profile_id`, segmentID, fn)
}

// ScanMembers implements store.Segments.
func (s *Store) ScanMembers(ctx context.Context, segmentID int64, fn func(id string) error) error {
	return s.scanIDs(ctx, `SELECT profile_id FROM segment_members WHERE segment_id = $1 ORDER BY profile_id`, segmentID, fn)
}

func (s *Store) scanIDs(ctx context.Context, q string, segmentID int64, fn func(id string) error) error {
	rs, err := s.pool.Query(ctx, q, segmentID)
	if err != nil {
		return fmt.Errorf("postgres: scan segment %d: %w", segmentID, err)
	}
	defer rs.Close()
	for rs.Next() {
		if err := fn(string(rs.RawValues()[0])); err != nil {
			return err
		}
	}
	if err := rs.Err(); err != nil {
		return fmt.Errorf("postgres: scan segment %d: %w", segmentID, err)
	}
	return nil
}

// ApplyMembership implements store.Segments.
func (s *Store) ApplyMembership(ctx context.Context, c segment.MembershipChange) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE segments SET refreshed_at = $1, member_count = $2 WHERE id = $3`,
			c.RefreshedAt, c.MemberCount, c.SegmentID)
		if err != nil {
			return fmt.Errorf("update segment: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("segment %d: %w", c.SegmentID, store.ErrNotFound)
		}
		if len(c.Remove) > 0 {
			_, err = tx.Exec(ctx, `DELETE FROM segment_members WHERE segment_id = $1 AND profile_id = ANY($2)`, c.SegmentID, c.Remove)
			if err != nil {
				return fmt.Errorf("remove members: %w", err)
			}
		}
		if err := insertPairs(ctx, tx, "segment_members", c.SegmentID, c.Add); err != nil {
			return err
		}
		return logMemberChanges(ctx, tx, c)
	})
	if err != nil {
		return fmt.Errorf("postgres: apply membership of segment %d: %w", c.SegmentID, err)
	}
	if len(c.Add)+len(c.Remove) >= analyzeAfter {
		// As after a large import (analyzeAfter): a changes-only plan
		// reads the members of the profiles it plans and the changes.
		// VACUUM also marks the pages all-visible, so that reading a
		// membership by its key reads the index alone: with autovacuum
		// off nothing else does, and a 1 % plan of 1,000,000 members
		// fetched 20,000 heap rows to check what the index held.
		if _, err := s.pool.Exec(ctx, `VACUUM (ANALYZE) segment_members, segment_member_changes`); err != nil {
			return fmt.Errorf("postgres: refresh the statistics of segment %d's members: %w", c.SegmentID, err)
		}
	}
	return nil
}

func scanSegment(row pgx.Row) (segment.Segment, error) {
	var seg segment.Segment
	var kind string
	var refreshed *time.Time
	err := row.Scan(&seg.ID, &seg.Name, &seg.Slug, &kind, &seg.Rule, &seg.StaticCount,
		&seg.CreatedAt, &seg.UpdatedAt, &refreshed, &seg.MemberCount)
	if err != nil {
		return seg, err
	}
	seg.Kind, seg.CreatedAt, seg.UpdatedAt = segment.Kind(kind), seg.CreatedAt.UTC(), seg.UpdatedAt.UTC()
	if refreshed != nil {
		seg.RefreshedAt = refreshed.UTC()
	}
	return seg, nil
}

// ScanMemberProfiles implements store.Segments.
func (s *Store) ScanMemberProfiles(ctx context.Context, segmentIDs []int64, fn func(id string, attrs []byte, segs []int64) error) error {
	if len(segmentIDs) == 0 {
		return nil
	}
	// Group the small (profile, segment) pairs first, then fetch each
	// profile once by its key: sorting whole profiles would spill.
	rs, err := s.pool.Query(ctx, `SELECT p.id, p.attrs::text, g.segs FROM
		(SELECT profile_id, array_agg(segment_id ORDER BY segment_id) AS segs FROM segment_members
			WHERE segment_id = ANY($1) GROUP BY profile_id) g
		JOIN profiles p ON p.id = g.profile_id ORDER BY g.profile_id`, segmentIDs)
	if err != nil {
		return fmt.Errorf("postgres: scan member profiles: %w", err)
	}
	defer rs.Close()
	var id, attrs string
	var segs []int64
	for rs.Next() {
		if err := rs.Scan(&id, &attrs, &segs); err != nil {
			return fmt.Errorf("postgres: scan member profiles: %w", err)
		}
		if err := fn(id, []byte(attrs), segs); err != nil {
			return err
		}
	}
	if err := rs.Err(); err != nil {
		return fmt.Errorf("postgres: scan member profiles: %w", err)
	}
	return nil
}
