package postgres

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"segbridge/internal/run"
	"segbridge/internal/store"
)

const opCols = `run_id, seq, kind, email, profile_id, is_new, leaves, contact, hash, tags, status, reason, message, batch_no, batch_id`

func (s *Store) queryOps(ctx context.Context, q string, args ...any) ([]run.Op, error) {
	rs, err := s.pool.Query(ctx, `SELECT `+opCols+` FROM run_ops WHERE `+q, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rs, func(r pgx.CollectableRow) (run.Op, error) {
		var op run.Op
		var kind, tags, status string
		var contact *string
		if err := r.Scan(&op.RunID, &op.Seq, &kind, &op.Email, &op.ProfileID, &op.New, &op.Leaves, &contact,
			&op.Hash, &tags, &status, &op.Reason, &op.Message, &op.BatchNo, &op.BatchID); err != nil {
			return op, err
		}
		op.Kind, op.Status, op.Tags = run.OpKind(kind), run.OpStatus(status), store.ParseTags(tags)
		if contact != nil {
			op.Contact = []byte(*contact)
		}
		return op, nil
	})
}

// NextUpserts implements run.Store: a batch in flight at a crash first (it
// is resent alone, as it was), then upserts in no batch yet. Both are
// range scans of the run_ops_send index.
func (s *Store) NextUpserts(ctx context.Context, runID int64, limit int) ([]run.Op, error) {
	ops, err := s.queryOps(ctx, `run_id = $1 AND batch_id = '' AND batch_no > 0 AND kind = 'upsert' AND status = 'pending'
		ORDER BY batch_no, seq LIMIT $2`, runID, sqlLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("postgres: next upserts of run %d: %w", runID, err)
	}
	if len(ops) > 0 {
		return store.FirstBatch(ops), nil
	}
	return s.FreshUpserts(ctx, runID, limit)
}

// FreshUpserts implements run.Store.
func (s *Store) FreshUpserts(ctx context.Context, runID int64, limit int) ([]run.Op, error) {
	ops, err := s.queryOps(ctx, `run_id = $1 AND batch_id = '' AND batch_no = 0 AND kind = 'upsert' AND status = 'pending'
		ORDER BY seq LIMIT $2`, runID, sqlLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("postgres: fresh upserts of run %d: %w", runID, err)
	}
	return ops, nil
}

// AssignBatch implements run.Store.
func (s *Store) AssignBatch(ctx context.Context, exportID int64, ops []run.Op, batchNo int64, now time.Time) error {
	if len(ops) == 0 {
		return nil
	}
	runID := ops[0].RunID
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE run_ops SET batch_no = $3 WHERE run_id = $1 AND seq = ANY($2)`, runID, store.OpSeqs(ops), batchNo); err != nil {
			return err
		}
		return possiblyPresentTx(ctx, tx, exportID, ops, now)
	})
	if err != nil {
		return fmt.Errorf("postgres: assign batch %d of run %d: %w", batchNo, runID, err)
	}
	return nil
}

// setOpsStatusTx sets the status, reason and message of ops (all of one
// run) in tx.
func setOpsStatusTx(ctx context.Context, tx pgx.Tx, ops []run.Op, st run.OpStatus, reason, message string) error {
	_, err := tx.Exec(ctx, `UPDATE run_ops SET status = $3, reason = $4, message = $5 WHERE run_id = $1 AND seq = ANY($2)`,
		ops[0].RunID, store.OpSeqs(ops), string(st), reason, message)
	return err
}

// ResolveUntags implements run.Store.
func (s *Store) ResolveUntags(ctx context.Context, exportID int64, ops []run.Op, st run.OpStatus, reason, message string) error {
	if len(ops) == 0 {
		return nil
	}
	runID := ops[0].RunID
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := setOpsStatusTx(ctx, tx, ops, st, reason, message); err != nil {
			return err
		}
		if st != run.OpOK {
			return nil
		}
		var leavers []string
		var partial []run.Op
		for _, op := range ops {
			if op.Leaves {
				leavers = append(leavers, op.Email)
			} else {
				partial = append(partial, op)
			}
		}
		if len(leavers) > 0 {
			if _, err := tx.Exec(ctx, `DELETE FROM export_state WHERE export_id = $1 AND email = ANY($2)`, exportID, leavers); err != nil {
				return err
			}
		}
		tagsOf, err := stateTagsTx(ctx, tx, exportID, store.OpEmails(partial))
		if err != nil {
			return err
		}
		for _, op := range partial {
			cur, ok := tagsOf[op.Email]
			if !ok {
				continue
			}
			if _, err := tx.Exec(ctx, `UPDATE export_state SET tags = $1 WHERE export_id = $2 AND email = $3`,
				store.TagsJSON(store.WithoutTags(cur, op.Tags)), exportID, op.Email); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("postgres: resolve untags of run %d: %w", runID, err)
	}
	return nil
}

// AbandonOps implements run.Store.
func (s *Store) AbandonOps(ctx context.Context, runID int64, reason, message string) (int, error) {
	var n int64
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE export_state st SET unsure = true FROM run_ops o JOIN export_runs r ON r.id = o.run_id
			WHERE o.run_id = $1 AND o.kind = 'tag' AND o.status = 'pending' AND st.export_id = r.export_id AND st.email = o.email`,
			runID); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `UPDATE run_ops SET status = $1, reason = $2, message = $3 WHERE run_id = $4 AND status = 'pending'`,
			string(run.OpSkipped), reason, message, runID)
		n = tag.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("postgres: carry over ops of run %d: %w", runID, err)
	}
	return int(n), nil
}

// PendingTags implements run.Store.
func (s *Store) PendingTags(ctx context.Context, runID, afterSeq int64, limit int) ([]run.Op, error) {
	ops, err := s.queryOps(ctx, `run_id = $1 AND kind = 'tag' AND status = 'pending' AND seq > $2 ORDER BY seq LIMIT $3`,
		runID, afterSeq, sqlLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("postgres: pending tags of run %d: %w", runID, err)
	}
	return ops, nil
}

// ResolveTags implements run.Store.
func (s *Store) ResolveTags(ctx context.Context, exportID int64, ops []run.Op, st run.OpStatus, reason, message string) error {
	if len(ops) == 0 {
		return nil
	}
	runID := ops[0].RunID
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := setOpsStatusTx(ctx, tx, ops, st, reason, message); err != nil {
			return err
		}
		if st == run.OpOK {
			return nil
		}
		_, err := tx.Exec(ctx, `UPDATE export_state SET unsure = true WHERE export_id = $1 AND email = ANY($2)`,
			exportID, store.OpEmails(ops))
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: resolve tags of run %d: %w", runID, err)
	}
	return nil
}

// SetOpStatus implements run.Store.
func (s *Store) SetOpStatus(ctx context.Context, runID int64, seqs []int64, st run.OpStatus, reason, message string) error {
	return s.updateSeqs(ctx, runID, seqs, `status = $3, reason = $4, message = $5`, string(st), reason, message)
}

// updateSeqs applies set (whose parameters start at $3) to ops seqs of runID.
func (s *Store) updateSeqs(ctx context.Context, runID int64, seqs []int64, set string, vals ...any) error {
	if len(seqs) == 0 {
		return nil
	}
	_, err := s.pool.Exec(ctx, `UPDATE run_ops SET `+set+` WHERE run_id = $1 AND seq = ANY($2)`,
		append([]any{runID, seqs}, vals...)...)
	if err != nil {
		return fmt.Errorf("postgres: update ops of run %d: %w", runID, err)
	}
	return nil
}

// SetBatchID implements run.Store.
func (s *Store) SetBatchID(ctx context.Context, runID, batchNo int64, emails []string, batchID string) error {
	if len(emails) == 0 {
		return nil
	}
	_, err := s.pool.Exec(ctx, `UPDATE run_ops SET batch_id = $1 WHERE run_id = $2 AND batch_id = '' AND batch_no = $3 AND kind = 'upsert'
		AND email = ANY($4)`, batchID, runID, batchNo, emails)
	if err != nil {
		return fmt.Errorf("postgres: record batch %s of run %d: %w", batchID, runID, err)
	}
	return nil
}

// OpenBatches implements run.Store.
func (s *Store) OpenBatches(ctx context.Context, runID int64) ([]run.BatchRef, error) {
	rs, err := s.pool.Query(ctx, `SELECT batch_no, batch_id FROM run_ops
		WHERE run_id = $1 AND kind = 'upsert' AND status = 'pending' AND batch_id <> ''
		GROUP BY batch_no, batch_id ORDER BY batch_no, batch_id`, runID)
	if err != nil {
		return nil, fmt.Errorf("postgres: open batches of run %d: %w", runID, err)
	}
	out, err := pgx.CollectRows(rs, pgx.RowToStructByPos[run.BatchRef])
	if err != nil {
		return nil, fmt.Errorf("postgres: open batches of run %d: %w", runID, err)
	}
	return out, nil
}

// ResolveBatch implements run.Store.
func (s *Store) ResolveBatch(ctx context.Context, runID int64, batchID string, out run.BatchOutcome, now time.Time) (int, error) {
	const mark = `UPDATE run_ops SET status = $1, reason = $2, message = $3 WHERE run_id = $4 AND batch_id = $5 AND kind = 'upsert' AND status = 'pending'`
	n := 0
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		exec := func(q string, args ...any) error {
			tag, err := tx.Exec(ctx, q, args...)
			n += int(tag.RowsAffected())
			return err
		}
		for _, email := range slices.Sorted(maps.Keys(out.Failed)) {
			if err := exec(mark+` AND email = $6`, string(run.OpFailed), run.ReasonRejected, out.Failed[email], runID, batchID, email); err != nil {
				return err
			}
		}
		if !out.Stopped {
			if err := exec(mark, string(run.OpOK), "", "", runID, batchID); err != nil {
				return err
			}
			return foldConfirmed(ctx, tx, runID, batchID, now)
		}
		if len(out.OK) > 0 {
			if err := exec(mark+` AND email = ANY($6)`, string(run.OpOK), "", "", runID, batchID, slices.Collect(maps.Keys(out.OK))); err != nil {
				return err
			}
		}
		if err := exec(mark, string(run.OpFailed), run.ReasonNotConfirmed,
			"Omnisend stopped the batch before processing this contact", runID, batchID); err != nil {
			return err
		}
		return foldConfirmed(ctx, tx, runID, batchID, now)
	})
	if err != nil {
		return 0, fmt.Errorf("postgres: resolve batch %s of run %d: %w", batchID, runID, err)
	}
	return n, nil
}

// PendingUntags implements run.Store.
func (s *Store) PendingUntags(ctx context.Context, runID int64, limit int) ([]run.Op, error) {
	ops, err := s.queryOps(ctx, `run_id = $1 AND kind = 'untag' AND status = 'pending' ORDER BY seq LIMIT $2`, runID, sqlLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("postgres: pending untags of run %d: %w", runID, err)
	}
	return ops, nil
}

// ListOps implements run.Store.
func (s *Store) ListOps(ctx context.Context, runID int64, f run.OpFilter) ([]run.Op, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 1000
	}
	q, args := opWhere(runID, f)
	order := ` ORDER BY seq`
	if f.BeforeSeq > 0 && f.AfterSeq == 0 {
		order = ` ORDER BY seq DESC`
	}
	q += order + fmt.Sprintf(` LIMIT $%d`, len(args)+1)
	ops, err := s.queryOps(ctx, q, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("postgres: list ops of run %d: %w", runID, err)
	}
	if order == ` ORDER BY seq DESC` {
		ops = store.Reversed(ops)
	}
	return ops, nil
}

// CountListed implements run.Store.
func (s *Store) CountListed(ctx context.Context, runID int64, f run.OpFilter) (int, error) {
	q, args := opWhere(runID, f)
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM run_ops WHERE `+q, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("postgres: count ops of run %d: %w", runID, err)
	}
	return n, nil
}

// opWhere is the WHERE clause of f's ops of run runID, and its arguments.
func opWhere(runID int64, f run.OpFilter) (string, []any) {
	args := []any{runID}
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	return `run_id = $1` + store.OpConds(f, arg), args
}

// foldConfirmed writes the confirmed upserts of a batch into the export's
// state: their hash and profile (the tags were merged in when the batch
// was assigned).
func foldConfirmed(ctx context.Context, tx pgx.Tx, runID int64, batchID string, now time.Time) error {
	_, err := tx.Exec(ctx, `INSERT INTO export_state (export_id, email, profile_id, hash, tags, confirmed_at)
		SELECT r.export_id, o.email, o.profile_id, o.hash, o.tags, $1 FROM run_ops o JOIN export_runs r ON r.id = o.run_id
		WHERE o.run_id = $2 AND o.batch_id = $3 AND o.kind = 'upsert' AND o.status = 'ok'
		ON CONFLICT (export_id, email) DO UPDATE SET profile_id = excluded.profile_id, hash = excluded.hash,
			confirmed_at = excluded.confirmed_at, unsure = false`, now, runID, batchID)
	if err != nil {
		return fmt.Errorf("fold confirmed contacts: %w", err)
	}
	return nil
}
