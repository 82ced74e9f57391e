package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"segbridge/internal/run"
	"segbridge/internal/store"
)

const runCols = `id, export_id, trigger, status, step, message, cancel_requested, queued_at,
	started_at, finished_at, requests, counts, lease_owner, lease_until, hold, hold_decision, hold_by, hold_at, started_by, plan`

var _ run.Store = (*Store)(nil)

// CreateRun implements run.Store.
func (s *Store) CreateRun(ctx context.Context, exportID int64, trigger run.Trigger, now time.Time) (run.Run, error) {
	var id int64
	err := s.pool.QueryRow(ctx, `INSERT INTO export_runs (export_id, trigger, status, step, queued_at)
		VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		exportID, string(trigger), string(run.StatusQueued), string(run.StepPlan), now).Scan(&id)
	if isUniqueViolation(err) {
		return run.Run{}, fmt.Errorf("export %d: %w", exportID, run.ErrActiveRun)
	}
	if err != nil {
		return run.Run{}, fmt.Errorf("postgres: create run: %w", err)
	}
	return s.GetRun(ctx, id)
}

// GetRun implements run.Store.
func (s *Store) GetRun(ctx context.Context, id int64) (run.Run, error) {
	r, err := scanRun(s.pool.QueryRow(ctx, `SELECT `+runCols+` FROM export_runs WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return r, fmt.Errorf("run %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return r, fmt.Errorf("postgres: get run %d: %w", id, err)
	}
	return r, nil
}

// ListRuns implements run.Store. A negative limit lists every run.
func (s *Store) ListRuns(ctx context.Context, exportID int64, limit int) ([]run.Run, error) {
	rs, err := s.pool.Query(ctx, `SELECT `+runCols+` FROM export_runs WHERE export_id = $1 ORDER BY id DESC LIMIT $2`,
		exportID, sqlLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("postgres: list runs: %w", err)
	}
	out, err := pgx.CollectRows(rs, func(r pgx.CollectableRow) (run.Run, error) { return scanRun(r) })
	if err != nil {
		return nil, fmt.Errorf("postgres: list runs: %w", err)
	}
	return out, nil
}

// SaveRun implements run.Store.
func (s *Store) SaveRun(ctx context.Context, r run.Run) error {
	return saveRun(ctx, s.pool, r)
}

// runExecer is a pool or a transaction.
type runExecer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

func saveRun(ctx context.Context, db runExecer, r run.Run) error {
	counts, err := json.Marshal(r.Counts)
	if err != nil {
		return fmt.Errorf("postgres: save run %d: %w", r.ID, err)
	}
	plan, err := store.PlanJSON(r.Plan)
	if err != nil {
		return fmt.Errorf("postgres: save run %d: %w", r.ID, err)
	}
	_, err = db.Exec(ctx, `UPDATE export_runs SET status = $1, step = $2, message = $3, started_at = $4,
		finished_at = $5, counts = $6, hold = $7, plan = $8 WHERE id = $9`,
		string(r.Status), string(r.Step), r.Message, nullTime(r.StartedAt), nullTime(r.FinishedAt),
		string(counts), r.Hold.Reason, plan, r.ID)
	if err != nil {
		return fmt.Errorf("postgres: save run %d: %w", r.ID, err)
	}
	return nil
}

// RequestCancel implements run.Store.
func (s *Store) RequestCancel(ctx context.Context, id int64) error {
	tag, err := s.pool.Exec(ctx, `UPDATE export_runs SET cancel_requested = true
		WHERE id = $1 AND status IN ('queued', 'running')`, id)
	if err != nil {
		return fmt.Errorf("postgres: cancel run %d: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
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
	tag, err := s.pool.Exec(ctx, `UPDATE export_runs SET hold_decision = $1, hold_by = $2, hold_at = $3, status = $4, message = $5,
		finished_at = CASE WHEN $7::boolean THEN NULL ELSE finished_at END
		WHERE id = $6 AND status = 'held' AND hold <> '' AND hold_decision IN ('', $1)`,
		string(d), by, now, string(status), message, runID, status == run.StatusQueued)
	if err != nil {
		return fmt.Errorf("postgres: decide on held run %d: %w", runID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("run %d: %w", runID, run.ErrNotHeld)
	}
	return nil
}

func scanRun(row pgx.Row) (run.Run, error) {
	var r run.Run
	var trigger, status, step, counts, decision, plan string
	var started, finished, leaseUntil, decided *time.Time
	var startedBy *int64
	err := row.Scan(&r.ID, &r.ExportID, &trigger, &status, &step, &r.Message, &r.CancelRequested,
		&r.QueuedAt, &started, &finished, &r.Requests, &counts, &r.LeaseOwner, &leaseUntil,
		&r.Hold.Reason, &decision, &r.Hold.By, &decided, &startedBy, &plan)
	if err != nil {
		return r, err
	}
	if r.Plan, err = store.ParsePlan(plan); err != nil {
		return r, fmt.Errorf("run %d plan: %w", r.ID, err)
	}
	r.Hold.Decision = run.Decision(decision)
	if startedBy != nil {
		r.StartedBy = *startedBy
	}
	if decided != nil {
		r.Hold.At = decided.UTC()
	}
	if leaseUntil != nil {
		r.LeaseUntil = leaseUntil.UTC()
	}
	r.Trigger, r.Status, r.Step, r.QueuedAt = run.Trigger(trigger), run.Status(status), run.Step(step), r.QueuedAt.UTC()
	if started != nil {
		r.StartedAt = started.UTC()
	}
	if finished != nil {
		r.FinishedAt = finished.UTC()
	}
	if err := json.Unmarshal([]byte(counts), &r.Counts); err != nil {
		return r, fmt.Errorf("run %d counts: %w", r.ID, err)
	}
	return r, nil
}

// sqlLimit is a LIMIT parameter for n: a negative n, which SQLite reads as
// no limit, is NULL, which PostgreSQL reads so.
func sqlLimit(n int) any {
	if n < 0 {
		return nil
	}
	return n
}

// SetRunStarter implements store.Runs.
func (s *Store) SetRunStarter(ctx context.Context, runID, userID int64) error {
	if _, err := s.pool.Exec(ctx, `UPDATE export_runs SET started_by = $1 WHERE id = $2`, userID, runID); err != nil {
		return fmt.Errorf("postgres: record who started run %d: %w", runID, err)
	}
	return nil
}
