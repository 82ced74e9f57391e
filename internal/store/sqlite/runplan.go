package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"segbridge/internal/run"
	"segbridge/internal/store"
)

// ClearPlan implements run.Store.
func (s *Store) ClearPlan(ctx context.Context, runID int64) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		for _, q := range []string{`DELETE FROM run_ops WHERE run_id = ?`, `DELETE FROM run_desired WHERE run_id = ?`} {
			if _, err := tx.ExecContext(ctx, q, runID); err != nil {
				return fmt.Errorf("sqlite: clear plan of run %d: %w", runID, err)
			}
		}
		return nil
	})
}

// AddDesired implements run.Store.
func (s *Store) AddDesired(ctx context.Context, runID int64, ds []run.Desired) ([]run.Desired, error) {
	inserted := make(map[string]bool, len(ds))
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		return store.Chunks(ds, 150, func(c []run.Desired) error {
			args := make([]any, 0, 6*len(c))
			for _, d := range c {
				args = append(args, runID, d.Email, d.ProfileID, string(d.Contact), d.Hash, store.TagsJSON(d.Tags))
			}
			rs, err := tx.QueryContext(ctx, `INSERT INTO run_desired (run_id, email, profile_id, contact, hash, tags) VALUES `+
				placeholders(len(c), 6)+` ON CONFLICT DO NOTHING RETURNING profile_id`, args...)
			if err != nil {
				return err
			}
			defer rs.Close()
			for rs.Next() {
				var id string
				if err := rs.Scan(&id); err != nil {
					return err
				}
				inserted[id] = true
			}
			return rs.Err()
		})
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: stage desired contacts of run %d: %w", runID, err)
	}
	var dups []run.Desired
	for _, d := range ds {
		if !inserted[d.ProfileID] {
			dups = append(dups, d)
		}
	}
	return dups, nil
}

// ScanPlanDiff implements run.Store: desired contacts with their state (if
// any), then state entries no desired contact matches.
func (s *Store) ScanPlanDiff(ctx context.Context, runID, exportID int64, fn func(d *run.Desired, st *run.StateEntry) error) error {
	rs, err := s.db.QueryContext(ctx, `SELECT d.email, d.profile_id, d.contact, d.hash, d.tags,
			s.email, s.profile_id, s.hash, s.tags
		FROM run_desired d LEFT JOIN export_state s ON s.export_id = ? AND s.email = d.email
		WHERE d.run_id = ?`, exportID, runID)
	if err != nil {
		return fmt.Errorf("sqlite: plan diff: %w", err)
	}
	err = eachRow(rs, func() error {
		var d run.Desired
		var contact, dtags string
		var se, sp, sh, stags sql.NullString
		if err := rs.Scan(&d.Email, &d.ProfileID, &contact, &d.Hash, &dtags, &se, &sp, &sh, &stags); err != nil {
			return err
		}
		d.Contact, d.Tags = []byte(contact), store.ParseTags(dtags)
		if !se.Valid {
			return fn(&d, nil)
		}
		return fn(&d, &run.StateEntry{Email: se.String, ProfileID: sp.String, Hash: sh.String, Tags: store.ParseTags(stags.String)})
	})
	if err != nil {
		return fmt.Errorf("sqlite: plan diff: %w", err)
	}
	rs, err = s.db.QueryContext(ctx, `SELECT s.email, s.profile_id, s.hash, s.tags FROM export_state s
		WHERE s.export_id = ? AND NOT EXISTS (SELECT 1 FROM run_desired d WHERE d.run_id = ? AND d.email = s.email)`, exportID, runID)
	if err != nil {
		return fmt.Errorf("sqlite: plan diff (leavers): %w", err)
	}
	err = eachRow(rs, func() error {
		var st run.StateEntry
		var tags string
		if err := rs.Scan(&st.Email, &st.ProfileID, &st.Hash, &tags); err != nil {
			return err
		}
		st.Tags = store.ParseTags(tags)
		return fn(nil, &st)
	})
	if err != nil {
		return fmt.Errorf("sqlite: plan diff (leavers): %w", err)
	}
	return nil
}

// eachRow calls fn for every row of rs and closes it.
func eachRow(rs *sql.Rows, fn func() error) error {
	defer rs.Close()
	for rs.Next() {
		if err := fn(); err != nil {
			return err
		}
	}
	return rs.Err()
}

// AddOps implements run.Store.
func (s *Store) AddOps(ctx context.Context, ops []run.Op) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		return store.Chunks(ops, 500, func(c []run.Op) error {
			args := make([]any, 0, 12*len(c))
			for _, op := range c {
				var contact any
				if op.Contact != nil {
					contact = string(op.Contact)
				}
				args = append(args, op.RunID, op.Seq, string(op.Kind), op.Email, op.ProfileID, op.New, op.Leaves,
					contact, op.Hash, store.TagsJSON(op.Tags), string(op.Status), op.Reason)
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO run_ops (run_id, seq, kind, email, profile_id, is_new, leaves,
				contact, hash, tags, status, reason) VALUES `+placeholders(len(c), 12), args...)
			return err
		})
	})
	if err != nil {
		return fmt.Errorf("sqlite: add ops: %w", err)
	}
	return nil
}
