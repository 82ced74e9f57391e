package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"segbridge/internal/run"
	"segbridge/internal/store"
)

// AcquireLease implements run.Store.
func (s *Store) AcquireLease(ctx context.Context, runID int64, owner string, now time.Time, ttl time.Duration) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var cur string
		var until sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT lease_owner, lease_until FROM export_runs WHERE id = ?`, runID).Scan(&cur, &until)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("run %d: %w", runID, store.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("sqlite: lease of run %d: %w", runID, err)
		}
		if cur != "" && cur != owner && until.Valid && until.Int64 > micros(now) {
			return &run.LeaseError{RunID: runID, Owner: cur, Until: fromMicros(until.Int64)}
		}
		_, err = tx.ExecContext(ctx, `UPDATE export_runs SET lease_owner = ?, lease_until = ? WHERE id = ?`,
			owner, micros(now.Add(ttl)), runID)
		if err != nil {
			return fmt.Errorf("sqlite: lease of run %d: %w", runID, err)
		}
		return nil
	})
}

// ReleaseLease implements run.Store.
func (s *Store) ReleaseLease(ctx context.Context, runID int64, owner string) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE export_runs SET lease_owner = '', lease_until = NULL WHERE id = ? AND lease_owner = ?`, runID, owner)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: release lease of run %d: %w", runID, err)
	}
	return nil
}

// AddRequests implements run.Store.
func (s *Store) AddRequests(ctx context.Context, runID int64, n int) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE export_runs SET requests = requests + ? WHERE id = ?`, n, runID)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: count requests of run %d: %w", runID, err)
	}
	return nil
}

// FailStaleRun implements run.Store.
func (s *Store) FailStaleRun(ctx context.Context, runID int64, now time.Time, message string) (bool, error) {
	var n int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE export_runs SET status = ?, step = ?, message = ?, finished_at = ?,
				lease_owner = '', lease_until = NULL
			WHERE id = ? AND status = 'running' AND (lease_owner = '' OR lease_until IS NULL OR lease_until <= ?)`,
			string(run.StatusFailed), string(run.StepDone), message, micros(now), runID, micros(now))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return false, fmt.Errorf("sqlite: fail stale run %d: %w", runID, err)
	}
	return n == 1, nil
}
