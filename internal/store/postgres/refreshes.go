package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

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
	steps, held := store.EncodeSteps(r)
	tag, err := s.pool.Exec(ctx, `UPDATE system_refreshes SET finished_at = $1, status = $2, message = $3,
		segments = $4, runs = $5, steps = $6, held = $7 WHERE id = $8`, r.FinishedAt, r.Status, r.Message, r.Segments, r.Runs,
		steps, held, r.ID)
	if err != nil {
		return fmt.Errorf("postgres: finish refresh %d: %w", r.ID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: refresh %d: %w", r.ID, store.ErrNotFound)
	}
	return nil
}

const refreshCols = `id, started_at, finished_at, status, message, segments, runs, steps, held`

func scanRefresh(sc pgx.Row) (store.SystemRefresh, error) {
	var r store.SystemRefresh
	var finished *time.Time
	var steps, held string
	if err := sc.Scan(&r.ID, &r.StartedAt, &finished, &r.Status, &r.Message, &r.Segments, &r.Runs, &steps, &held); err != nil {
		return r, err
	}
	r.StartedAt = r.StartedAt.UTC()
	if finished != nil {
		r.FinishedAt = finished.UTC()
	}
	return r, store.DecodeSteps(&r, steps, held)
}

// ListRefreshes implements store.Refreshes.
func (s *Store) ListRefreshes(ctx context.Context, limit int) ([]store.SystemRefresh, error) {
	if limit <= 0 {
		limit = 20
	}
	rows, err := s.pool.Query(ctx, `SELECT `+refreshCols+` FROM system_refreshes ORDER BY id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: list refreshes: %w", err)
	}
	defer rows.Close()
	var out []store.SystemRefresh
	for rows.Next() {
		r, err := scanRefresh(rows)
		if err != nil {
			return nil, fmt.Errorf("postgres: list refreshes: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// GetRefresh implements store.Refreshes.
func (s *Store) GetRefresh(ctx context.Context, id int64) (store.SystemRefresh, error) {
	r, err := scanRefresh(s.pool.QueryRow(ctx, `SELECT `+refreshCols+` FROM system_refreshes WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return r, fmt.Errorf("refresh %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return r, fmt.Errorf("postgres: get refresh %d: %w", id, err)
	}
	return r, nil
}
