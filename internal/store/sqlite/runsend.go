package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"segbridge/internal/run"
	"segbridge/internal/store"
)

const opCols = `run_id, seq, kind, email, profile_id, is_new, leaves, contact, hash, tags, status, reason, message, batch_no, batch_id`

func (s *Store) queryOps(ctx context.Context, q string, args ...any) ([]run.Op, error) {
	rs, err := s.db.QueryContext(ctx, `SELECT `+opCols+` FROM run_ops WHERE `+q, args...)
	if err != nil {
		return nil, err
	}
	var ops []run.Op
	err = eachRow(rs, func() error {
		var op run.Op
		var kind, tags, status string
		var contact sql.NullString
		if err := rs.Scan(&op.RunID, &op.Seq, &kind, &op.Email, &op.ProfileID, &op.New, &op.Leaves, &contact,
			&op.Hash, &tags, &status, &op.Reason, &op.Message, &op.BatchNo, &op.BatchID); err != nil {
			return err
		}
		op.Kind, op.Status, op.Tags = run.OpKind(kind), run.OpStatus(status), store.ParseTags(tags)
		if contact.Valid {
			op.Contact = []byte(contact.String)
		}
		ops = append(ops, op)
		return nil
	})
	return ops, err
}

// NextUpserts implements run.Store: a batch in flight at a crash first (it
// is resent alone, as it was), then upserts in no batch yet. Both are
// range scans of the run_ops_send index.
func (s *Store) NextUpserts(ctx context.Context, runID int64, limit int) ([]run.Op, error) {
	ops, err := s.queryOps(ctx, `run_id = ? AND batch_id = '' AND batch_no > 0 AND kind = 'upsert' AND status = 'pending'
		ORDER BY batch_no, seq LIMIT ?`, runID, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: next upserts of run %d: %w", runID, err)
	}
	if len(ops) > 0 {
		return store.FirstBatch(ops), nil
	}
	return s.FreshUpserts(ctx, runID, limit)
}

// FreshUpserts implements run.Store.
func (s *Store) FreshUpserts(ctx context.Context, runID int64, limit int) ([]run.Op, error) {
	ops, err := s.queryOps(ctx, `run_id = ? AND batch_id = '' AND batch_no = 0 AND kind = 'upsert' AND status = 'pending'
		ORDER BY seq LIMIT ?`, runID, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: fresh upserts of run %d: %w", runID, err)
	}
	return ops, nil
}

// AssignBatch implements run.Store.
func (s *Store) AssignBatch(ctx context.Context, runID int64, seqs []int64, batchNo int64) error {
	return s.updateSeqs(ctx, runID, seqs, `batch_no = ?`, batchNo)
}

// SetOpStatus implements run.Store.
func (s *Store) SetOpStatus(ctx context.Context, runID int64, seqs []int64, st run.OpStatus, reason, message string) error {
	return s.updateSeqs(ctx, runID, seqs, `status = ?, reason = ?, message = ?`, string(st), reason, message)
}

func (s *Store) updateSeqs(ctx context.Context, runID int64, seqs []int64, set string, vals ...any) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		return store.Chunks(seqs, 500, func(c []int64) error {
			args := append(append([]any{}, vals...), runID)
			for _, seq := range c {
				args = append(args, seq)
			}
			_, err := tx.ExecContext(ctx, `UPDATE run_ops SET `+set+` WHERE run_id = ? AND seq IN (`+placeholders(len(c), 1)+`)`, args...)
			return err
		})
	})
	if err != nil {
		return fmt.Errorf("sqlite: update ops of run %d: %w", runID, err)
	}
	return nil
}

// SetBatchID implements run.Store.
func (s *Store) SetBatchID(ctx context.Context, runID, batchNo int64, emails []string, batchID string) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		return store.Chunks(emails, 500, func(c []string) error {
			args := []any{batchID, runID, batchNo}
			for _, e := range c {
				args = append(args, e)
			}
			_, err := tx.ExecContext(ctx, `UPDATE run_ops SET batch_id = ? WHERE run_id = ? AND batch_id = '' AND batch_no = ? AND kind = 'upsert'
				AND email IN (`+placeholders(len(c), 1)+`)`, args...)
			return err
		})
	})
	if err != nil {
		return fmt.Errorf("sqlite: record batch %s of run %d: %w", batchID, runID, err)
	}
	return nil
}

// OpenBatches implements run.Store.
func (s *Store) OpenBatches(ctx context.Context, runID int64) ([]run.BatchRef, error) {
	rs, err := s.db.QueryContext(ctx, `SELECT batch_no, batch_id FROM run_ops
		WHERE run_id = ? AND kind = 'upsert' AND status = 'pending' AND batch_id <> ''
		GROUP BY batch_no, batch_id ORDER BY batch_no, batch_id`, runID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open batches of run %d: %w", runID, err)
	}
	var out []run.BatchRef
	err = eachRow(rs, func() error {
		var b run.BatchRef
		if err := rs.Scan(&b.No, &b.ID); err != nil {
			return err
		}
		out = append(out, b)
		return nil
	})
	return out, err
}

// ResolveBatch implements run.Store.
func (s *Store) ResolveBatch(ctx context.Context, runID int64, batchID string, out run.BatchOutcome) (int, error) {
	const mark = `UPDATE run_ops SET status = ?, reason = ?, message = ? WHERE run_id = ? AND batch_id = ? AND kind = 'upsert' AND status = 'pending'`
	n := 0
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		exec := func(q string, args ...any) error {
			res, err := tx.ExecContext(ctx, q, args...)
			if err != nil {
				return err
			}
			k, err := res.RowsAffected()
			n += int(k)
			return err
		}
		for email, msg := range out.Failed {
			if err := exec(mark+` AND email = ?`, string(run.OpFailed), run.ReasonRejected, msg, runID, batchID, email); err != nil {
				return err
			}
		}
		if !out.Stopped {
			return exec(mark, string(run.OpOK), "", "", runID, batchID)
		}
		for email := range out.OK {
			if err := exec(mark+` AND email = ?`, string(run.OpOK), "", "", runID, batchID, email); err != nil {
				return err
			}
		}
		return exec(mark, string(run.OpFailed), run.ReasonNotConfirmed,
			"Omnisend stopped the batch before processing this contact", runID, batchID)
	})
	if err != nil {
		return 0, fmt.Errorf("sqlite: resolve batch %s of run %d: %w", batchID, runID, err)
	}
	return n, nil
}

// PendingUntags implements run.Store.
func (s *Store) PendingUntags(ctx context.Context, runID int64, limit int) ([]run.Op, error) {
	ops, err := s.queryOps(ctx, `run_id = ? AND kind = 'untag' AND status = 'pending' ORDER BY seq LIMIT ?`, runID, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: pending untags of run %d: %w", runID, err)
	}
	return ops, nil
}

// ListOps implements run.Store.
func (s *Store) ListOps(ctx context.Context, runID int64, f run.OpFilter) ([]run.Op, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 1000
	}
	q, args := `run_id = ? AND seq > ?`, []any{runID, f.AfterSeq}
	if f.Status != "" {
		q, args = q+` AND status = ?`, append(args, string(f.Status))
	}
	ops, err := s.queryOps(ctx, q+` ORDER BY seq LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list ops of run %d: %w", runID, err)
	}
	return ops, nil
}
