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
		if _, err := tx.ExecContext(ctx, `DELETE FROM run_ops WHERE run_id = ?`, runID); err != nil {
			return fmt.Errorf("sqlite: clear plan of run %d: %w", runID, err)
		}
		return nil
	})
}

// Rows per multi-row statement of a plan; the statements of full chunks
// are prepared once and reused.
const (
	stateChunk = 500
	opsChunk   = 500
)

// StateOf implements run.Store.
func (s *Store) StateOf(ctx context.Context, exportID int64, emails []string) (map[string]run.StateEntry, error) {
	out := make(map[string]run.StateEntry)
	err := store.Chunks(emails, stateChunk, func(c []string) error {
		args := make([]any, 0, 1+len(c))
		args = append(args, exportID)
		for _, e := range c {
			args = append(args, e)
		}
		rs, err := s.query(ctx, len(c) == stateChunk, `SELECT email, profile_id, hash, tags, unsure FROM export_state
			WHERE export_id = ? AND email IN (`+placeholders(len(c), 1)+`)`, args...)
		if err != nil {
			return err
		}
		return eachRow(rs, func() error {
			st, err := scanState(rs)
			out[st.Email] = st
			return err
		})
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: confirmed state of export %d: %w", exportID, err)
	}
	return out, nil
}

// ScanState implements run.Store.
func (s *Store) ScanState(ctx context.Context, exportID int64, fn func(run.StateEntry) error) error {
	return s.scanStateWhere(ctx, exportID, "WHERE export_id = ?", fn)
}

func scanState(rs *sql.Rows) (run.StateEntry, error) {
	var st run.StateEntry
	var tags string
	err := rs.Scan(&st.Email, &st.ProfileID, &st.Hash, &tags, &st.Unsure)
	st.Tags = store.ParseTags(tags)
	return st, err
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
		return store.Chunks(ops, opsChunk, func(c []run.Op) error {
			args := make([]any, 0, 12*len(c))
			for _, op := range c {
				var contact any
				if op.Contact != nil {
					contact = string(op.Contact)
				}
				args = append(args, op.RunID, op.Seq, string(op.Kind), op.Email, op.ProfileID, op.New, op.Leaves,
					contact, op.Hash, store.TagsJSON(op.Tags), string(op.Status), op.Reason)
			}
			return s.txExec(ctx, tx, len(c) == opsChunk, `INSERT INTO run_ops (run_id, seq, kind, email, profile_id, is_new, leaves,
				contact, hash, tags, status, reason) VALUES `+placeholders(len(c), 12), args...)
		})
	})
	if err != nil {
		return fmt.Errorf("sqlite: add ops: %w", err)
	}
	return nil
}
