package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"segbridge/internal/run"
	"segbridge/internal/store"
)

// CountOps implements run.Store.
func (s *Store) CountOps(ctx context.Context, runID int64) (run.Counts, error) {
	rs, err := s.pool.Query(ctx, `SELECT kind, status, reason, is_new, count(*) FROM run_ops
		WHERE run_id = $1 GROUP BY kind, status, reason, is_new`, runID)
	if err != nil {
		return run.Counts{}, fmt.Errorf("postgres: count ops of run %d: %w", runID, err)
	}
	var c run.Counts
	var g run.OpGroup
	var kind, status string
	_, err = pgx.ForEachRow(rs, []any{&kind, &status, &g.Reason, &g.New, &g.N}, func() error {
		g.Kind, g.Status = run.OpKind(kind), run.OpStatus(status)
		c.AddGroup(g)
		return nil
	})
	if err != nil {
		return run.Counts{}, fmt.Errorf("postgres: count ops of run %d: %w", runID, err)
	}
	return c, nil
}

// CountProgress implements run.Store.
func (s *Store) CountProgress(ctx context.Context, runID int64) (run.Progress, error) {
	var p run.Progress
	err := s.pool.QueryRow(ctx, `SELECT
			count(*) FILTER (WHERE kind = 'upsert'),
			count(*) FILTER (WHERE kind = 'upsert' AND (batch_id <> '' OR status <> 'pending')),
			count(*) FILTER (WHERE kind = 'upsert' AND status <> 'pending'),
			count(*) FILTER (WHERE kind = 'untag'),
			count(*) FILTER (WHERE kind = 'untag' AND status <> 'pending')
		FROM run_ops WHERE run_id = $1`, runID).Scan(&p.Upserts, &p.Sent, &p.Confirmed, &p.Untags, &p.Untagged)
	if err != nil {
		return p, fmt.Errorf("postgres: progress of run %d: %w", runID, err)
	}
	return p, nil
}

// SaveProgress implements run.Store.
func (s *Store) SaveProgress(ctx context.Context, runID int64, p run.Progress) error {
	b, _ := json.Marshal(p) // plain ints always encode
	if _, err := s.pool.Exec(ctx, `UPDATE export_runs SET progress = $1 WHERE id = $2`, string(b), runID); err != nil {
		return fmt.Errorf("postgres: save progress of run %d: %w", runID, err)
	}
	return nil
}

// RunProgress implements run.Store.
func (s *Store) RunProgress(ctx context.Context, runID int64) (run.Progress, error) {
	var p run.Progress
	var raw string
	err := s.pool.QueryRow(ctx, `SELECT progress FROM export_runs WHERE id = $1`, runID).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, fmt.Errorf("run %d: %w", runID, store.ErrNotFound)
	}
	if err == nil {
		err = json.Unmarshal([]byte(raw), &p)
	}
	if err != nil {
		return p, fmt.Errorf("postgres: progress of run %d: %w", runID, err)
	}
	return p, nil
}

// FinishRun implements run.Store.
func (s *Store) FinishRun(ctx context.Context, r run.Run) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO export_state (export_id, email, profile_id, hash, tags, confirmed_at)
			SELECT $1, email, profile_id, hash, tags, $2 FROM run_ops WHERE run_id = $3 AND kind = 'upsert' AND status = 'ok'
				AND email NOT IN (SELECT u.email FROM run_ops u WHERE u.run_id = $3 AND u.kind = 'untag' AND u.status <> 'ok')
			ON CONFLICT (export_id, email) DO UPDATE SET profile_id = excluded.profile_id, hash = excluded.hash,
				tags = excluded.tags, confirmed_at = excluded.confirmed_at`, r.ExportID, r.FinishedAt, r.ID)
		if err != nil {
			return fmt.Errorf("fold upserts: %w", err)
		}
		_, err = tx.Exec(ctx, `DELETE FROM export_state WHERE export_id = $1 AND email IN
			(SELECT email FROM run_ops WHERE run_id = $2 AND kind = 'untag' AND leaves AND status = 'ok')`, r.ExportID, r.ID)
		if err != nil {
			return fmt.Errorf("fold leavers: %w", err)
		}
		return saveRun(ctx, tx, r)
	})
	if err != nil {
		return fmt.Errorf("postgres: finish run %d: %w", r.ID, err)
	}
	return nil
}
