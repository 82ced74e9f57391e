package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"segbridge/internal/run"
	"segbridge/internal/store"
)

// ClearPlan implements run.Store.
func (s *Store) ClearPlan(ctx context.Context, runID int64) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM run_ops WHERE run_id = $1`, runID); err != nil {
			return fmt.Errorf("postgres: clear plan of run %d: %w", runID, err)
		}
		return nil
	})
}

// StateOf implements run.Store.
func (s *Store) StateOf(ctx context.Context, exportID int64, emails []string) (map[string]run.StateEntry, error) {
	out := make(map[string]run.StateEntry)
	if len(emails) == 0 {
		return out, nil
	}
	rs, err := s.pool.Query(ctx, `SELECT email, profile_id, hash, tags, unsure FROM export_state
		WHERE export_id = $1 AND email = ANY($2::text[])`, exportID, emails)
	if err != nil {
		return nil, fmt.Errorf("postgres: confirmed state of export %d: %w", exportID, err)
	}
	if err := eachState(rs, func(st run.StateEntry) error {
		out[st.Email] = st
		return nil
	}); err != nil {
		return nil, fmt.Errorf("postgres: confirmed state of export %d: %w", exportID, err)
	}
	return out, nil
}

// ScanState implements run.Store.
func (s *Store) ScanState(ctx context.Context, exportID int64, fn func(run.StateEntry) error) error {
	rs, err := s.pool.Query(ctx, `SELECT email, profile_id, hash, tags, unsure FROM export_state WHERE export_id = $1`, exportID)
	if err == nil {
		err = eachState(rs, fn)
	}
	if err != nil {
		return fmt.Errorf("postgres: scan confirmed state of export %d: %w", exportID, err)
	}
	return nil
}

// eachState calls fn for every state row of rs and closes it.
func eachState(rs pgx.Rows, fn func(run.StateEntry) error) error {
	var st run.StateEntry
	var tags string
	_, err := pgx.ForEachRow(rs, []any{&st.Email, &st.ProfileID, &st.Hash, &tags, &st.Unsure}, func() error {
		e := st
		e.Tags = store.ParseTags(tags)
		return fn(e)
	})
	return err
}

// AddOps implements run.Store.
func (s *Store) AddOps(ctx context.Context, ops []run.Op) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		return store.Chunks(ops, 1000, func(c []run.Op) error {
			n := len(c)
			runIDs, seqs := make([]int64, n), make([]int64, n)
			kinds, emails, ids, hashes, tags, statuses, reasons := make([]string, n), make([]string, n), make([]string, n),
				make([]string, n), make([]string, n), make([]string, n), make([]string, n)
			isNew, leaves := make([]bool, n), make([]bool, n)
			contacts := make([]*string, n)
			for i, op := range c {
				runIDs[i], seqs[i], kinds[i], emails[i], ids[i] = op.RunID, op.Seq, string(op.Kind), op.Email, op.ProfileID
				isNew[i], leaves[i], hashes[i], tags[i] = op.New, op.Leaves, op.Hash, store.TagsJSON(op.Tags)
				statuses[i], reasons[i] = string(op.Status), op.Reason
				if op.Contact != nil {
					v := string(op.Contact)
					contacts[i] = &v
				}
			}
			_, err := tx.Exec(ctx, `INSERT INTO run_ops (run_id, seq, kind, email, profile_id, is_new, leaves,
					contact, hash, tags, status, reason)
				SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::boolean[],
					$7::boolean[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[])`,
				runIDs, seqs, kinds, emails, ids, isNew, leaves, contacts, hashes, tags, statuses, reasons)
			return err
		})
	})
	if err != nil {
		return fmt.Errorf("postgres: add ops: %w", err)
	}
	return nil
}
