package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"segbridge/internal/run"
	"segbridge/internal/store"
)

const opCols = `run_id, seq, kind, email, profile_id, is_new, leaves, contact, hash, tags, status, reason, message, batch_no, batch_id`

func (s *Store) queryOps(ctx context.Context, q string, args ...any) ([]run.Op, error) {
	return s.queryOpsIndexed(ctx, "", q, args...)
}

// The statements confirming a batch (INDEXED BY: see queryOpsIndexed).
const (
	resolveMarkSQL = `UPDATE run_ops INDEXED BY run_ops_send SET status = ?, reason = ?, message = ?
		WHERE run_id = ? AND batch_id = ? AND kind = 'upsert' AND status = 'pending'`
	foldSQL = `INSERT INTO export_state (export_id, email, profile_id, hash, tags, confirmed_at)
		SELECT r.export_id, o.email, o.profile_id, o.hash, o.tags, ? FROM run_ops o INDEXED BY run_ops_send JOIN export_runs r ON r.id = o.run_id
		WHERE o.run_id = ? AND o.batch_id = ? AND o.kind = 'upsert' AND o.status = 'ok'
		ON CONFLICT (export_id, email) DO UPDATE SET profile_id = excluded.profile_id, hash = excluded.hash,
			confirmed_at = excluded.confirmed_at, unsure = 0`
)

// queryOpsIndexed is queryOps through index (INDEXED BY; "": SQLite's
// choice). Without statistics SQLite takes the results' run_ops_by_status
// (run_id, status) for any query naming a run and a status: on a run of a
// million ops each batch's query then walked every op with that status.
func (s *Store) queryOpsIndexed(ctx context.Context, index, q string, args ...any) ([]run.Op, error) {
	from := ` FROM run_ops WHERE `
	if index != "" {
		from = ` FROM run_ops INDEXED BY ` + index + ` WHERE `
	}
	rs, err := s.db.QueryContext(ctx, `SELECT `+opCols+from+q, args...)
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
func (s *Store) AssignBatch(ctx context.Context, exportID int64, ops []run.Op, batchNo int64, now time.Time) error {
	if len(ops) == 0 {
		return nil
	}
	runID := ops[0].RunID
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := updateSeqsTx(ctx, tx, runID, store.OpSeqs(ops), `batch_no = ?`, batchNo); err != nil {
			return err
		}
		tagsOf, err := stateTagsTx(ctx, tx, exportID, store.OpEmails(ops))
		if err != nil {
			return err
		}
		return store.Chunks(store.PossiblyPresent(ops, tagsOf), stateChunk, func(c []run.StateEntry) error {
			args := make([]any, 0, 5*len(c))
			for _, e := range c {
				args = append(args, exportID, e.Email, e.ProfileID, store.TagsJSON(e.Tags), micros(now))
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO export_state (export_id, email, profile_id, tags, confirmed_at, hash, unsure)
				VALUES `+strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, '', 1),", len(c)), ",")+`
				ON CONFLICT (export_id, email) DO UPDATE SET unsure = 1, tags = excluded.tags`, args...)
			if err != nil {
				return fmt.Errorf("mark unsure: %w", err)
			}
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("sqlite: assign batch %d of run %d: %w", batchNo, runID, err)
	}
	return nil
}

// stateTagsTx reads the state's tags of those of emails it has.
func stateTagsTx(ctx context.Context, tx *sql.Tx, exportID int64, emails []string) (map[string][]string, error) {
	out := make(map[string][]string, len(emails))
	err := store.Chunks(emails, stateChunk, func(c []string) error {
		args := make([]any, 0, 1+len(c))
		args = append(args, exportID)
		for _, e := range c {
			args = append(args, e)
		}
		rs, err := tx.QueryContext(ctx, `SELECT email, tags FROM export_state WHERE export_id = ? AND email IN (`+placeholders(len(c), 1)+`)`, args...)
		if err != nil {
			return err
		}
		return eachRow(rs, func() error {
			var email, tags string
			if err := rs.Scan(&email, &tags); err != nil {
				return err
			}
			out[email] = store.ParseTags(tags)
			return nil
		})
	})
	return out, err
}

// SetOpStatus implements run.Store.
func (s *Store) SetOpStatus(ctx context.Context, runID int64, seqs []int64, st run.OpStatus, reason, message string) error {
	return s.updateSeqs(ctx, runID, seqs, `status = ?, reason = ?, message = ?`, string(st), reason, message)
}

func (s *Store) updateSeqs(ctx context.Context, runID int64, seqs []int64, set string, vals ...any) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error { return updateSeqsTx(ctx, tx, runID, seqs, set, vals...) })
	if err != nil {
		return fmt.Errorf("sqlite: update ops of run %d: %w", runID, err)
	}
	return nil
}

func updateSeqsTx(ctx context.Context, tx *sql.Tx, runID int64, seqs []int64, set string, vals ...any) error {
	return store.Chunks(seqs, 500, func(c []int64) error {
		args := append(append([]any{}, vals...), runID)
		for _, seq := range c {
			args = append(args, seq)
		}
		_, err := tx.ExecContext(ctx, `UPDATE run_ops SET `+set+` WHERE run_id = ? AND seq IN (`+placeholders(len(c), 1)+`)`, args...)
		return err
	})
}

// ResolveUntags implements run.Store.
func (s *Store) ResolveUntags(ctx context.Context, exportID int64, ops []run.Op, st run.OpStatus, reason, message string) error {
	if len(ops) == 0 {
		return nil
	}
	runID := ops[0].RunID
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := updateSeqsTx(ctx, tx, runID, store.OpSeqs(ops), `status = ?, reason = ?, message = ?`, string(st), reason, message); err != nil {
			return err
		}
		if st != run.OpOK {
			return nil
		}
		var partial []run.Op
		for _, op := range ops {
			if op.Leaves {
				if _, err := tx.ExecContext(ctx, `DELETE FROM export_state WHERE export_id = ? AND email = ?`, exportID, op.Email); err != nil {
					return err
				}
				continue
			}
			partial = append(partial, op)
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
			_, err := tx.ExecContext(ctx, `UPDATE export_state SET tags = ? WHERE export_id = ? AND email = ?`,
				store.TagsJSON(store.WithoutTags(cur, op.Tags)), exportID, op.Email)
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlite: resolve untags of run %d: %w", runID, err)
	}
	return nil
}

// AbandonOps implements run.Store.
func (s *Store) AbandonOps(ctx context.Context, runID int64, reason, message string) (int, error) {
	var n int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE export_state SET unsure = 1
			WHERE export_id = (SELECT export_id FROM export_runs WHERE id = ?1)
			AND email IN (SELECT email FROM run_ops WHERE run_id = ?1 AND kind = 'tag' AND status = 'pending')`, runID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE run_ops SET status = ?, reason = ?, message = ? WHERE run_id = ? AND status = 'pending'`,
			string(run.OpSkipped), reason, message, runID)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("sqlite: carry over ops of run %d: %w", runID, err)
	}
	return int(n), nil
}

// PendingTags implements run.Store.
func (s *Store) PendingTags(ctx context.Context, runID, afterSeq int64, limit int) ([]run.Op, error) {
	ops, err := s.queryOpsIndexed(ctx, "run_ops_tags", `run_id = ? AND kind = 'tag' AND status = 'pending' AND seq > ? ORDER BY seq LIMIT ?`, runID, afterSeq, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: pending tags of run %d: %w", runID, err)
	}
	return ops, nil
}

// ResolveTags implements run.Store.
func (s *Store) ResolveTags(ctx context.Context, exportID int64, ops []run.Op, st run.OpStatus, reason, message string) error {
	if len(ops) == 0 {
		return nil
	}
	runID := ops[0].RunID
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := updateSeqsTx(ctx, tx, runID, store.OpSeqs(ops), `status = ?, reason = ?, message = ?`, string(st), reason, message); err != nil {
			return err
		}
		if st == run.OpOK {
			return nil
		}
		return store.Chunks(store.OpEmails(ops), 500, func(c []string) error {
			args := []any{exportID}
			for _, e := range c {
				args = append(args, e)
			}
			_, err := tx.ExecContext(ctx, `UPDATE export_state SET unsure = 1 WHERE export_id = ? AND email IN (`+placeholders(len(c), 1)+`)`, args...)
			return err
		})
	})
	if err != nil {
		return fmt.Errorf("sqlite: resolve tags of run %d: %w", runID, err)
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
func (s *Store) ResolveBatch(ctx context.Context, runID int64, batchID string, out run.BatchOutcome, now time.Time) (int, error) {
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
			if err := exec(resolveMarkSQL+` AND email = ?`, string(run.OpFailed), run.ReasonRejected, msg, runID, batchID, email); err != nil {
				return err
			}
		}
		if !out.Stopped {
			if err := exec(resolveMarkSQL, string(run.OpOK), "", "", runID, batchID); err != nil {
				return err
			}
			return foldConfirmed(ctx, tx, runID, batchID, now)
		}
		for email := range out.OK {
			if err := exec(resolveMarkSQL+` AND email = ?`, string(run.OpOK), "", "", runID, batchID, email); err != nil {
				return err
			}
		}
		if err := exec(resolveMarkSQL, string(run.OpFailed), run.ReasonNotConfirmed,
			"Omnisend stopped the batch before processing this contact", runID, batchID); err != nil {
			return err
		}
		return foldConfirmed(ctx, tx, runID, batchID, now)
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
	q, args := opWhere(runID, f)
	order := ` ORDER BY seq`
	if f.BeforeSeq > 0 && f.AfterSeq == 0 {
		order = ` ORDER BY seq DESC`
	}
	q += order + ` LIMIT ?`
	ops, err := s.queryOps(ctx, q, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list ops of run %d: %w", runID, err)
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
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM run_ops WHERE `+q, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite: count ops of run %d: %w", runID, err)
	}
	return n, nil
}

// opWhere is the WHERE clause of f's ops of run runID, and its arguments.
func opWhere(runID int64, f run.OpFilter) (string, []any) {
	args := []any{runID}
	arg := func(v any) string { args = append(args, v); return "?" }
	return `run_id = ?` + store.OpConds(f, arg), args
}

// foldConfirmed writes the confirmed upserts of a batch into the export's
// state: their hash and profile (the tags were merged in when the batch
// was assigned).
func foldConfirmed(ctx context.Context, tx *sql.Tx, runID int64, batchID string, now time.Time) error {
	_, err := tx.ExecContext(ctx, foldSQL, micros(now), runID, batchID)
	if err != nil {
		return fmt.Errorf("fold confirmed contacts: %w", err)
	}
	return nil
}
