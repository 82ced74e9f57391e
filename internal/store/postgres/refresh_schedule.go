package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"segbridge/internal/store"
)

// GetRefreshSchedule implements store.RefreshSchedules.
func (s *Store) GetRefreshSchedule(ctx context.Context) (store.RefreshSchedule, error) {
	var rs store.RefreshSchedule
	var updated, fired *time.Time
	err := s.pool.QueryRow(ctx, `SELECT cron, time_zone, updated_at, updated_by, last_fired_at FROM refresh_schedule WHERE id = 1`).
		Scan(&rs.Cron, &rs.TimeZone, &updated, &rs.UpdatedBy, &fired)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.RefreshSchedule{}, nil
	}
	if err != nil {
		return rs, fmt.Errorf("postgres: get refresh schedule: %w", err)
	}
	if updated != nil {
		rs.UpdatedAt = updated.UTC()
	}
	if fired != nil {
		rs.LastFiredAt = fired.UTC()
	}
	return rs, nil
}

// SetRefreshSchedule implements store.RefreshSchedules.
func (s *Store) SetRefreshSchedule(ctx context.Context, rs store.RefreshSchedule) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO refresh_schedule (id, cron, time_zone, updated_at, updated_by) VALUES (1, $1, $2, $3, $4)
		ON CONFLICT (id) DO UPDATE SET cron = excluded.cron, time_zone = excluded.time_zone,
		updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
		rs.Cron, rs.TimeZone, rs.UpdatedAt, rs.UpdatedBy)
	if err != nil {
		return fmt.Errorf("postgres: set refresh schedule: %w", err)
	}
	return nil
}

// ClaimRefreshFiring implements store.RefreshSchedules.
func (s *Store) ClaimRefreshFiring(ctx context.Context, fire time.Time) (bool, error) {
	tag, err := s.pool.Exec(ctx, `INSERT INTO refresh_schedule (id, last_fired_at) VALUES (1, $1)
		ON CONFLICT (id) DO UPDATE SET last_fired_at = excluded.last_fired_at
		WHERE refresh_schedule.last_fired_at IS NULL OR refresh_schedule.last_fired_at < excluded.last_fired_at`, fire)
	if err != nil {
		return false, fmt.Errorf("postgres: claim refresh firing: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}
