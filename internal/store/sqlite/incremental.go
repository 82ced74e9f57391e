package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"segbridge/internal/run"
	"segbridge/internal/store"
)

// The reads of a changes-only plan (run.Changes, and run.Store's state
// and retry reads); see internal/run/incremental.go.

// ChangedProfiles implements store.Profiles.
func (s *Store) ChangedProfiles(ctx context.Context, since time.Time, fn func(id string) error) error {
	return s.scanStrings(ctx, "changed profiles", fn, `SELECT id FROM profiles WHERE updated_at >= ?`, micros(since))
}

// MemberChanges implements store.Segments.
func (s *Store) MemberChanges(ctx context.Context, segmentIDs []int64, after time.Time, fn func(id string) error) error {
	for _, sid := range segmentIDs {
		err := s.scanStrings(ctx, "membership changes", fn,
			`SELECT profile_id FROM segment_member_changes WHERE segment_id = ? AND changed_at > ?`, sid, micros(after))
		if err != nil {
			return err
		}
	}
	return nil
}

// CountMembers implements store.Segments.
func (s *Store) CountMembers(ctx context.Context, segmentIDs []int64) (int, error) {
	if len(segmentIDs) == 0 {
		return 0, nil
	}
	args := make([]any, len(segmentIDs))
	for i, id := range segmentIDs {
		args[i] = id
	}
	q := `SELECT count(DISTINCT m.profile_id) FROM segment_members m JOIN profiles p ON p.id = m.profile_id
		WHERE m.segment_id IN (` + placeholders(len(args), 1) + `)`
	if len(args) == 1 {
		q = `SELECT member_count FROM segments WHERE id = ?`
	}
	var n int
	if err := s.db.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite: count members: %w", err)
	}
	return n, nil
}

// ScanMemberProfilesOf implements store.Segments.
func (s *Store) ScanMemberProfilesOf(ctx context.Context, segmentIDs []int64, ids []string, fn func(id string, attrs []byte, segs []int64) error) error {
	if len(segmentIDs) == 0 {
		return nil
	}
	var fnErr error
	err := store.Chunks(ids, lookupChunk, func(c []string) error {
		args := make([]any, 0, len(c)+len(segmentIDs))
		for _, id := range c {
			args = append(args, id)
		}
		for _, sid := range segmentIDs {
			args = append(args, sid)
		}
		// Driven by the membership's key (segment, profile): one lookup
		// per id, never a scan of a segment's members.
		rs, err := s.query(ctx, len(c) == lookupChunk, `SELECT m.profile_id, p.attrs, group_concat(m.segment_id)
			FROM segment_members m CROSS JOIN profiles p
			WHERE m.profile_id IN (`+placeholders(len(c), 1)+`) AND m.segment_id IN (`+placeholders(len(segmentIDs), 1)+`)
			AND p.id = m.profile_id
			GROUP BY m.profile_id ORDER BY m.profile_id`, args...)
		if err != nil {
			return err
		}
		var id, segs string
		var attrs sql.RawBytes
		return eachRow(rs, func() error {
			if err := rs.Scan(&id, &attrs, &segs); err != nil {
				return err
			}
			in, err := parseIDList(segs)
			if err != nil {
				return err
			}
			fnErr = fn(id, attrs, in)
			return fnErr
		})
	})
	if fnErr != nil {
		return fnErr
	}
	if err != nil {
		return fmt.Errorf("sqlite: read member profiles: %w", err)
	}
	return nil
}

// StateOfProfiles implements run.Store.
func (s *Store) StateOfProfiles(ctx context.Context, exportID int64, ids []string) ([]run.StateEntry, error) {
	var out []run.StateEntry
	err := store.Chunks(ids, stateChunk, func(c []string) error {
		args := make([]any, 0, 1+len(c))
		args = append(args, exportID)
		for _, id := range c {
			args = append(args, id)
		}
		// (Without INDEXED BY, SQLite walks the export's whole state by
		// its primary key.)
		rs, err := s.query(ctx, len(c) == stateChunk, `SELECT email, profile_id, hash, tags, unsure FROM export_state
			INDEXED BY export_state_profile WHERE export_id = ? AND profile_id IN (`+placeholders(len(c), 1)+`)`, args...)
		if err != nil {
			return err
		}
		return eachRow(rs, func() error {
			st, err := scanState(rs)
			out = append(out, st)
			return err
		})
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: confirmed state of export %d: %w", exportID, err)
	}
	return out, nil
}

// UnsureState implements run.Store.
func (s *Store) UnsureState(ctx context.Context, exportID int64) ([]run.StateEntry, error) {
	var out []run.StateEntry
	err := s.scanStateWhere(ctx, exportID, "INDEXED BY export_state_unsure WHERE export_id = ? AND unsure", func(st run.StateEntry) error {
		out = append(out, st)
		return nil
	})
	return out, err
}

// scanStateWhere streams the export's state entries that cond (SQL after
// the table's name, exportID its parameter) selects.
func (s *Store) scanStateWhere(ctx context.Context, exportID int64, cond string, fn func(run.StateEntry) error) error {
	rs, err := s.db.QueryContext(ctx, `SELECT email, profile_id, hash, tags, unsure FROM export_state `+cond, exportID)
	if err != nil {
		return fmt.Errorf("sqlite: confirmed state of export %d: %w", exportID, err)
	}
	err = eachRow(rs, func() error {
		st, err := scanState(rs)
		if err != nil {
			return err
		}
		return fn(st)
	})
	if err != nil {
		return fmt.Errorf("sqlite: confirmed state of export %d: %w", exportID, err)
	}
	return nil
}

// CountState implements run.Store.
func (s *Store) CountState(ctx context.Context, exportID int64, atMost int) (int, error) {
	limit := -1 // no limit
	if atMost > 0 {
		limit = atMost
	}
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM export_state WHERE export_id = ? LIMIT ?)`,
		exportID, limit).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite: count the confirmed state of export %d: %w", exportID, err)
	}
	return n, nil
}

// RelinkState implements run.Store.
func (s *Store) RelinkState(ctx context.Context, exportID int64, entries []run.StateEntry) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for _, e := range entries {
			if _, err := tx.ExecContext(ctx, `UPDATE export_state SET profile_id = ? WHERE export_id = ? AND email = ?`,
				e.ProfileID, exportID, e.Email); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlite: relink the confirmed state of export %d: %w", exportID, err)
	}
	return nil
}

// RetryProfiles implements run.Store.
func (s *Store) RetryProfiles(ctx context.Context, runID int64) ([]string, error) {
	var out []string
	err := s.scanStrings(ctx, "the failures of a run", func(id string) error {
		out = append(out, id)
		return nil
	}, `SELECT DISTINCT profile_id FROM run_ops INDEXED BY run_ops_retry
		WHERE run_id = ? AND status IN ('failed', 'skipped') AND kind <> 'skip' AND profile_id <> ''`, runID)
	return out, err
}

// ExportSkips implements run.Store.
func (s *Store) ExportSkips(ctx context.Context, exportID int64) ([]run.Op, error) {
	var out []run.Op
	var op run.Op
	err := s.scanRows(ctx, "the skipped members of an export", func(scan func(...any) error) error {
		if err := scan(&op.ProfileID, &op.Email, &op.Reason); err != nil {
			return err
		}
		op.Kind, op.Status = run.OpSkip, run.OpSkipped
		out = append(out, op)
		return nil
	}, `SELECT profile_id, email, reason FROM export_skips WHERE export_id = ?`, exportID)
	return out, err
}

// KeepSkips implements run.Store.
func (s *Store) KeepSkips(ctx context.Context, exportID int64, full bool, reread []string, skips []run.Op) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if full {
			if _, err := tx.ExecContext(ctx, `DELETE FROM export_skips WHERE export_id = ?`, exportID); err != nil {
				return err
			}
		}
		err := store.Chunks(reread, lookupChunk, func(c []string) error {
			args := make([]any, 0, 1+len(c))
			args = append(args, exportID)
			for _, id := range c {
				args = append(args, id)
			}
			_, err := tx.ExecContext(ctx, `DELETE FROM export_skips WHERE export_id = ? AND profile_id IN (`+placeholders(len(c), 1)+`)`, args...)
			return err
		})
		if err != nil {
			return err
		}
		return store.Chunks(skips, lookupChunk/2, func(c []run.Op) error {
			args := make([]any, 0, 4*len(c))
			for _, op := range c {
				args = append(args, exportID, op.ProfileID, op.Email, op.Reason)
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO export_skips (export_id, profile_id, email, reason) VALUES `+
				placeholders(len(c), 4)+` ON CONFLICT (export_id, profile_id) DO UPDATE SET email = excluded.email, reason = excluded.reason`, args...)
			return err
		})
	})
	if err != nil {
		return fmt.Errorf("sqlite: keep the skipped members of export %d: %w", exportID, err)
	}
	return nil
}

// SetRunPlan implements run.Store.
func (s *Store) SetRunPlan(ctx context.Context, runID int64, p run.PlanInfo) error {
	b, err := store.PlanJSON(p)
	if err == nil {
		_, err = s.db.ExecContext(ctx, `UPDATE export_runs SET plan = ? WHERE id = ?`, b, runID)
	}
	if err != nil {
		return fmt.Errorf("sqlite: record the plan of run %d: %w", runID, err)
	}
	return nil
}

func (s *Store) scanStrings(ctx context.Context, what string, fn func(string) error, q string, args ...any) error {
	rs, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", what, err)
	}
	var v string
	var fnErr error
	err = eachRow(rs, func() error {
		if err := rs.Scan(&v); err != nil {
			return err
		}
		fnErr = fn(v)
		return fnErr
	})
	if fnErr != nil {
		return fnErr
	}
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", what, err)
	}
	return nil
}

func (s *Store) scanRows(ctx context.Context, what string, fn func(scan func(...any) error) error, q string, args ...any) error {
	rs, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", what, err)
	}
	if err := eachRow(rs, func() error { return fn(rs.Scan) }); err != nil {
		return fmt.Errorf("sqlite: %s: %w", what, err)
	}
	return nil
}
