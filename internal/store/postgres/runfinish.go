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
	if err := saveRun(ctx, s.pool, r); err != nil {
		return fmt.Errorf("postgres: finish run %d: %w", r.ID, err)
	}
	return nil
}

// TidyState implements run.Store: it vacuums and analyzes the
// exports' state, and analyzes run_ops (a run of a million contacts adds
// a million ops). VACUUM runs outside any transaction; it blocks neither
// reads nor writes.
func (s *Store) TidyState(ctx context.Context) error {
	for _, q := range []string{`VACUUM (ANALYZE) export_state`, `ANALYZE run_ops`} {
		if _, err := s.pool.Exec(ctx, q); err != nil {
			return fmt.Errorf("postgres: tidy the export state (%s): %w", q, err)
		}
	}
	return nil
}

// AnalyzeState implements run.Store: ANALYZE samples the state (a
// fixed number of rows, a fraction of a second at 1,000,000 contacts).
func (s *Store) AnalyzeState(ctx context.Context) error {
	if _, err := s.pool.Exec(ctx, `ANALYZE export_state`); err != nil {
		return fmt.Errorf("postgres: analyze the export state: %w", err)
	}
	return nil
}
