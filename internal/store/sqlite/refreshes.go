package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"segbridge/internal/store"
)

// StartRefresh implements store.Refreshes.
func (s *Store) StartRefresh(ctx context.Context, now time.Time) (int64, error) {
	var id int64
	err := s.db.QueryRowContext(ctx, `INSERT INTO system_refreshes (started_at, status) VALUES (?, ?) RETURNING id`,
		micros(now), store.RefreshRunning).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("sqlite: start refresh: %w", err)
	}
	return id, nil
}

// FinishRefresh implements store.Refreshes.
func (s *Store) FinishRefresh(ctx context.Context, r store.SystemRefresh) error {
	steps, held := store.EncodeSteps(r)
	res, err := s.db.ExecContext(ctx, `UPDATE system_refreshes SET finished_at = ?, status = ?, message = ?,
		segments = ?, runs = ?, steps = ?, held = ? WHERE id = ?`, micros(r.FinishedAt), r.Status, r.Message, r.Segments, r.Runs,
		steps, held, r.ID)
	if err != nil {
		return fmt.Errorf("sqlite: finish refresh %d: %w", r.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("sqlite: refresh %d: %w", r.ID, store.ErrNotFound)
	}
	return nil
}

const refreshCols = `id, started_at, finished_at, status, message, segments, runs, steps, held`

func scanRefresh(sc interface{ Scan(...any) error }) (store.SystemRefresh, error) {
	var r store.SystemRefresh
	var started int64
	var finished sql.NullInt64
	var steps, held string
	if err := sc.Scan(&r.ID, &started, &finished, &r.Status, &r.Message, &r.Segments, &r.Runs, &steps, &held); err != nil {
		return r, err
	}
	r.StartedAt = fromMicros(started)
	if finished.Valid {
		r.FinishedAt = fromMicros(finished.Int64)
	}
	return r, store.DecodeSteps(&r, steps, held)
}

// ListRefreshes implements store.Refreshes.
func (s *Store) ListRefreshes(ctx context.Context, limit int) ([]store.SystemRefresh, error) {
	if limit <= 0 {
		limit = 20
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+refreshCols+` FROM system_refreshes ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list refreshes: %w", err)
	}
	defer rows.Close()
	var out []store.SystemRefresh
	for rows.Next() {
		r, err := scanRefresh(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list refreshes: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// GetRefresh implements store.Refreshes.
func (s *Store) GetRefresh(ctx context.Context, id int64) (store.SystemRefresh, error) {
	r, err := scanRefresh(s.db.QueryRowContext(ctx, `SELECT `+refreshCols+` FROM system_refreshes WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("refresh %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return r, fmt.Errorf("sqlite: get refresh %d: %w", id, err)
	}
	return r, nil
}
