package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"segbridge/internal/run"
	"segbridge/internal/store"
)

const runCols = `id, export_id, trigger, status, step, message, cancel_requested, queued_at,
	started_at, finished_at, requests, counts, lease_owner, lease_until, hold, hold_decision, hold_by, hold_at, started_by, plan`

// CreateRun implements run.Store.
func (s *Store) CreateRun(ctx context.Context, exportID int64, trigger run.Trigger, now time.Time) (run.Run, error) {
	var id int64
	err := s.db.QueryRowContext(ctx, `INSERT INTO export_runs (export_id, trigger, status, step, queued_at)
		VALUES (?, ?, ?, ?, ?) RETURNING id`, exportID, string(trigger), string(run.StatusQueued), string(run.StepPlan), micros(now)).Scan(&id)
	if err != nil {
		if strings.Contains(err.Error(), "UNIQUE constraint failed") {
			return run.Run{}, fmt.Errorf("export %d: %w", exportID, run.ErrActiveRun)
		}
		return run.Run{}, fmt.Errorf("sqlite: create run: %w", err)
	}
	return s.GetRun(ctx, id)
}

// GetRun implements run.Store.
func (s *Store) GetRun(ctx context.Context, id int64) (run.Run, error) {
	r, err := scanRun(s.db.QueryRowContext(ctx, `SELECT `+runCols+` FROM export_runs WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("run %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return r, fmt.Errorf("sqlite: get run %d: %w", id, err)
	}
	return r, nil
}

// ListRuns implements run.Store.
func (s *Store) ListRuns(ctx context.Context, exportID int64, limit int) ([]run.Run, error) {
	rs, err := s.db.QueryContext(ctx, `SELECT `+runCols+` FROM export_runs WHERE export_id = ? ORDER BY id DESC LIMIT ?`, exportID, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list runs: %w", err)
	}
	defer rs.Close()
	var out []run.Run
	for rs.Next() {
		r, err := scanRun(rs)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list runs: %w", err)
		}
		out = append(out, r)
	}
	return out, rs.Err()
}

// SaveRun implements run.Store.
func (s *Store) SaveRun(ctx context.Context, r run.Run) error {
	return saveRun(ctx, s.db, r)
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func saveRun(ctx context.Context, db execer, r run.Run) error {
	counts, err := json.Marshal(r.Counts)
	if err != nil {
		return fmt.Errorf("sqlite: save run %d: %w", r.ID, err)
	}
	plan, err := store.PlanJSON(r.Plan)
	if err != nil {
		return fmt.Errorf("sqlite: save run %d: %w", r.ID, err)
	}
	_, err = db.ExecContext(ctx, `UPDATE export_runs SET status = ?, step = ?, message = ?, started_at = ?,
		finished_at = ?, counts = ?, hold = ?, plan = ? WHERE id = ?`,
		string(r.Status), string(r.Step), r.Message, nullMicros(r.StartedAt), nullMicros(r.FinishedAt),
		string(counts), r.Hold.Reason, plan, r.ID)
	if err != nil {
		return fmt.Errorf("sqlite: save run %d: %w", r.ID, err)
	}
	return nil
}

// RequestCancel implements run.Store.
func (s *Store) RequestCancel(ctx context.Context, id int64) error {
	res, err := s.db.ExecContext(ctx, `UPDATE export_runs SET cancel_requested = 1 WHERE id = ? AND status IN ('queued', 'running')`, id)
	if err != nil {
		return fmt.Errorf("sqlite: cancel run %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("run %d is not in progress: %w", id, store.ErrNotFound)
	}
	return nil
}

// DecideHold implements run.Store.
func (s *Store) DecideHold(ctx context.Context, runID int64, d run.Decision, by, message string, now time.Time) error {
	status := run.StatusHeld
	if d == run.DecisionApproved {
		status = run.StatusQueued
	}
	res, err := s.db.ExecContext(ctx, `UPDATE export_runs SET hold_decision = ?, hold_by = ?, hold_at = ?, status = ?, message = ?,
		finished_at = CASE WHEN ? THEN NULL ELSE finished_at END
		WHERE id = ? AND status = 'held' AND hold <> '' AND hold_decision IN ('', ?)`,
		string(d), by, micros(now), string(status), message, status == run.StatusQueued, runID, string(d))
	if err != nil {
		return fmt.Errorf("sqlite: decide on held run %d: %w", runID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("run %d: %w", runID, run.ErrNotHeld)
	}
	return nil
}

func scanRun(row scanner) (run.Run, error) {
	var r run.Run
	var trigger, status, step, counts, decision, plan string
	var queued int64
	var started, finished, leaseUntil, decided, startedBy sql.NullInt64
	err := row.Scan(&r.ID, &r.ExportID, &trigger, &status, &step, &r.Message, &r.CancelRequested,
		&queued, &started, &finished, &r.Requests, &counts, &r.LeaseOwner, &leaseUntil,
		&r.Hold.Reason, &decision, &r.Hold.By, &decided, &startedBy, &plan)
	if err != nil {
		return r, err
	}
	if r.Plan, err = store.ParsePlan(plan); err != nil {
		return r, fmt.Errorf("run %d plan: %w", r.ID, err)
	}
	r.Hold.Decision = run.Decision(decision)
	r.StartedBy = startedBy.Int64
	if decided.Valid {
		r.Hold.At = fromMicros(decided.Int64)
	}
	if leaseUntil.Valid {
		r.LeaseUntil = fromMicros(leaseUntil.Int64)
	}
	r.Trigger, r.Status, r.Step, r.QueuedAt = run.Trigger(trigger), run.Status(status), run.Step(step), fromMicros(queued)
	if started.Valid {
		r.StartedAt = fromMicros(started.Int64)
	}
	if finished.Valid {
		r.FinishedAt = fromMicros(finished.Int64)
	}
	if err := json.Unmarshal([]byte(counts), &r.Counts); err != nil {
		return r, fmt.Errorf("run %d counts: %w", r.ID, err)
	}
	return r, nil
}

var _ run.Store = (*Store)(nil)

// SetRunStarter implements store.Runs.
func (s *Store) SetRunStarter(ctx context.Context, runID, userID int64) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE export_runs SET started_by = ? WHERE id = ?`, userID, runID); err != nil {
		return fmt.Errorf("sqlite: record who started run %d: %w", runID, err)
	}
	return nil
}
