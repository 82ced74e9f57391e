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
		for _, q := range []string{`DELETE FROM run_ops WHERE run_id = $1`, `DELETE FROM run_desired WHERE run_id = $1`} {
			if _, err := tx.Exec(ctx, q, runID); err != nil {
				return fmt.Errorf("postgres: clear plan of run %d: %w", runID, err)
			}
		}
		return nil
	})
}

// AddDesired implements run.Store. Rows go in in the given order, so the
// first contact with an e-mail wins.
func (s *Store) AddDesired(ctx context.Context, runID int64, ds []run.Desired) ([]run.Desired, error) {
	inserted := make(map[string]bool, len(ds))
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		return store.Chunks(ds, 1000, func(c []run.Desired) error {
			n := len(c)
			emails, ids, contacts, hashes, tags := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
			for i, d := range c {
				emails[i], ids[i], contacts[i], hashes[i], tags[i] = d.Email, d.ProfileID, string(d.Contact), d.Hash, store.TagsJSON(d.Tags)
			}
			rs, err := tx.Query(ctx, `INSERT INTO run_desired (run_id, email, profile_id, contact, hash, tags)
				SELECT $1, email, profile_id, contact, hash, tags
				FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
					WITH ORDINALITY AS t (email, profile_id, contact, hash, tags, ord)
				ORDER BY ord
				ON CONFLICT DO NOTHING RETURNING profile_id`, runID, emails, ids, contacts, hashes, tags)
			if err != nil {
				return err
			}
			var id string
			_, err = pgx.ForEachRow(rs, []any{&id}, func() error {
				inserted[id] = true
				return nil
			})
			return err
		})
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: stage desired contacts of run %d: %w", runID, err)
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
	rs, err := s.pool.Query(ctx, `SELECT d.email, d.profile_id, d.contact, d.hash, d.tags,
			s.email, s.profile_id, s.hash, s.tags
		FROM run_desired d LEFT JOIN export_state s ON s.export_id = $1 AND s.email = d.email
		WHERE d.run_id = $2`, exportID, runID)
	if err != nil {
		return fmt.Errorf("postgres: plan diff: %w", err)
	}
	var d run.Desired
	var contact, dtags string
	var se, sp, sh, stags *string
	_, err = pgx.ForEachRow(rs, []any{&d.Email, &d.ProfileID, &contact, &d.Hash, &dtags, &se, &sp, &sh, &stags}, func() error {
		d := d // fn may keep the pointer
		d.Contact, d.Tags = []byte(contact), store.ParseTags(dtags)
		if se == nil {
			return fn(&d, nil)
		}
		return fn(&d, &run.StateEntry{Email: *se, ProfileID: *sp, Hash: *sh, Tags: store.ParseTags(*stags)})
	})
	if err != nil {
		return fmt.Errorf("postgres: plan diff: %w", err)
	}
	rs, err = s.pool.Query(ctx, `SELECT s.email, s.profile_id, s.hash, s.tags FROM export_state s
		WHERE s.export_id = $1 AND NOT EXISTS (SELECT 1 FROM run_desired d WHERE d.run_id = $2 AND d.email = s.email)`,
		exportID, runID)
	if err != nil {
		return fmt.Errorf("postgres: plan diff (leavers): %w", err)
	}
	var st run.StateEntry
	var tags string
	_, err = pgx.ForEachRow(rs, []any{&st.Email, &st.ProfileID, &st.Hash, &tags}, func() error {
		st := st
		st.Tags = store.ParseTags(tags)
		return fn(nil, &st)
	})
	if err != nil {
		return fmt.Errorf("postgres: plan diff (leavers): %w", err)
	}
	return nil
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
