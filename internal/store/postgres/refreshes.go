package postgres

import (
	"context"
	"fmt"
	"time"

	"segbridge/internal/store"
)

// StartRefresh implements store.Refreshes.
func (s *Store) StartRefresh(ctx context.Context, now time.Time) (int64, error) {
	var id int64
	err := s.pool.QueryRow(ctx, `INSERT INTO system_refreshes (started_at, status) VALUES ($1, $2) RETURNING id`,
		now, store.RefreshRunning).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("postgres: start refresh: %w", err)
	}
	return id, nil
}

// FinishRefresh implements store.Refreshes.
func (s *Store) FinishRefresh(ctx context.Context, r store.SystemRefresh) error {
	tag, err := s.pool.Exec(ctx, `UPDATE system_refreshes SET finished_at = $1, status = $2, message = $3,
		segments = $4, runs = $5 WHERE id = $6`, r.FinishedAt, r.Status, r.Message, r.Segments, r.Runs, r.ID)
	if err != nil {
		return fmt.Errorf("postgres: finish refresh %d: %w", r.ID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: refresh %d: %w", r.ID, store.ErrNotFound)
	}
	return nil
}

// ListRefreshes implements store.Refreshes.
func (s *Store) ListRefreshes(ctx context.Context, limit int) ([]store.SystemRefresh, error) {
	if limit <= 0 {
		limit = 20
	}
	rows, err := s.pool.Query(ctx, `SELECT id, started_at, finished_at, status, message, segments, runs
		FROM system_refreshes ORDER BY id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: list refreshes: %w", err)
	}
	defer rows.Close()
	var out []store.SystemRefresh
	for rows.Next() {
		var r store.SystemRefresh
		var finished *time.Time
		if err := rows.Scan(&r.ID, &r.StartedAt, &finished, &r.Status, &r.Message, &r.Segments, &r.Runs); err != nil {
			return nil, fmt.Errorf("postgres: list refreshes: %w", err)
		}
		r.StartedAt = r.StartedAt.UTC()
		if finished != nil {
			r.FinishedAt = finished.UTC()
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
