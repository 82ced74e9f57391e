package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"segbridge/internal/run"
	"segbridge/internal/store"
)

// CountOps implements run.Store.
func (s *Store) CountOps(ctx context.Context, runID int64) (run.Counts, error) {
	rs, err := s.db.QueryContext(ctx, `SELECT kind, status, reason, is_new, count(*) FROM run_ops
		WHERE run_id = ? GROUP BY kind, status, reason, is_new`, runID)
	if err != nil {
		return run.Counts{}, fmt.Errorf("sqlite: count ops of run %d: %w", runID, err)
	}
	var c run.Counts
	err = eachRow(rs, func() error {
		var g run.OpGroup
		var kind, status string
		if err := rs.Scan(&kind, &status, &g.Reason, &g.New, &g.N); err != nil {
			return err
		}
		g.Kind, g.Status = run.OpKind(kind), run.OpStatus(status)
		c.AddGroup(g)
		return nil
	})
	if err != nil {
		return run.Counts{}, fmt.Errorf("sqlite: count ops of run %d: %w", runID, err)
	}
	return c, nil
}

// CountProgress implements run.Store.
func (s *Store) CountProgress(ctx context.Context, runID int64) (run.Progress, error) {
	var p run.Progress
	err := s.db.QueryRowContext(ctx, `SELECT
			coalesce(sum(kind = 'upsert'), 0),
			coalesce(sum(kind = 'upsert' AND (batch_id <> '' OR status <> 'pending')), 0),
			coalesce(sum(kind = 'upsert' AND status <> 'pending'), 0),
			coalesce(sum(kind = 'untag'), 0),
			coalesce(sum(kind = 'untag' AND status <> 'pending'), 0)
		FROM run_ops WHERE run_id = ?`, runID).Scan(&p.Upserts, &p.Sent, &p.Confirmed, &p.Untags, &p.Untagged)
	if err != nil {
		return p, fmt.Errorf("sqlite: progress of run %d: %w", runID, err)
	}
	return p, nil
}

// SaveProgress implements run.Store.
func (s *Store) SaveProgress(ctx context.Context, runID int64, p run.Progress) error {
	b, _ := json.Marshal(p) // plain ints always encode
	if _, err := s.db.ExecContext(ctx, `UPDATE export_runs SET progress = ? WHERE id = ?`, string(b), runID); err != nil {
		return fmt.Errorf("sqlite: save progress of run %d: %w", runID, err)
	}
	return nil
}

// RunProgress implements run.Store.
func (s *Store) RunProgress(ctx context.Context, runID int64) (run.Progress, error) {
	var p run.Progress
	var raw string
	err := s.db.QueryRowContext(ctx, `SELECT progress FROM export_runs WHERE id = ?`, runID).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return p, fmt.Errorf("run %d: %w", runID, store.ErrNotFound)
	}
	if err == nil {
		err = json.Unmarshal([]byte(raw), &p)
	}
	if err != nil {
		return p, fmt.Errorf("sqlite: progress of run %d: %w", runID, err)
	}
	return p, nil
}

// FinishRun implements run.Store.
func (s *Store) FinishRun(ctx context.Context, r run.Run) error {
	if err := s.inTx(ctx, func(tx *sql.Tx) error { return saveRun(ctx, tx, r) }); err != nil {
		return fmt.Errorf("sqlite: finish run %d: %w", r.ID, err)
	}
	return nil
}

// TidyState implements run.Store: nothing to do. SQLite keeps no dead
// index entries, and plans without table statistics (segbridge never
// runs ANALYZE on it); the statements whose plans went wrong without them
// name their indexes (INDEXED BY).
func (s *Store) TidyState(context.Context) error { return nil }

// AnalyzeState implements run.Store: nothing to do (see TidyState).
func (s *Store) AnalyzeState(context.Context) error { return nil }
