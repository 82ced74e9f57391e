package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"segbridge/internal/store"
)

// GetRefreshSchedule implements store.RefreshSchedules.
func (s *Store) GetRefreshSchedule(ctx context.Context) (store.RefreshSchedule, error) {
	var rs store.RefreshSchedule
	var updated, fired sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT cron, time_zone, updated_at, updated_by, last_fired_at FROM refresh_schedule WHERE id = 1`).
		Scan(&rs.Cron, &rs.TimeZone, &updated, &rs.UpdatedBy, &fired)
	if errors.Is(err, sql.ErrNoRows) {
		return store.RefreshSchedule{}, nil
	}
	if err != nil {
		return rs, fmt.Errorf("sqlite: get refresh schedule: %w", err)
	}
	if updated.Valid {
		rs.UpdatedAt = fromMicros(updated.Int64)
	}
	if fired.Valid {
		rs.LastFiredAt = fromMicros(fired.Int64)
	}
	return rs, nil
}

// SetRefreshSchedule implements store.RefreshSchedules.
func (s *Store) SetRefreshSchedule(ctx context.Context, rs store.RefreshSchedule) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO refresh_schedule (id, cron, time_zone, updated_at, updated_by) VALUES (1, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET cron = excluded.cron, time_zone = excluded.time_zone,
		updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
		rs.Cron, rs.TimeZone, micros(rs.UpdatedAt), rs.UpdatedBy)
	if err != nil {
		return fmt.Errorf("sqlite: set refresh schedule: %w", err)
	}
	return nil
}

// ClaimRefreshFiring implements store.RefreshSchedules.
func (s *Store) ClaimRefreshFiring(ctx context.Context, fire time.Time) (bool, error) {
	res, err := s.db.ExecContext(ctx, `INSERT INTO refresh_schedule (id, last_fired_at) VALUES (1, ?)
		ON CONFLICT (id) DO UPDATE SET last_fired_at = excluded.last_fired_at
		WHERE refresh_schedule.last_fired_at IS NULL OR refresh_schedule.last_fired_at < excluded.last_fired_at`, micros(fire))
	if err != nil {
		return false, fmt.Errorf("sqlite: claim refresh firing: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("sqlite: claim refresh firing: %w", err)
	}
	return n == 1, nil
}
