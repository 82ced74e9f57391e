package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"segbridge/internal/run"
	"segbridge/internal/store"
)

// AcquireLease implements run.Store: the row lock (FOR UPDATE) makes two
// executors asking at once take turns.
func (s *Store) AcquireLease(ctx context.Context, runID int64, owner string, now time.Time, ttl time.Duration) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		var cur string
		var until *time.Time
		err := tx.QueryRow(ctx, `SELECT lease_owner, lease_until FROM export_runs WHERE id = $1 FOR UPDATE`, runID).Scan(&cur, &until)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("run %d: %w", runID, store.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("postgres: lease of run %d: %w", runID, err)
		}
		if cur != "" && cur != owner && until != nil && until.After(now) {
			return &run.LeaseError{RunID: runID, Owner: cur, Until: until.UTC()}
		}
		if _, err := tx.Exec(ctx, `UPDATE export_runs SET lease_owner = $1, lease_until = $2 WHERE id = $3`,
			owner, now.Add(ttl), runID); err != nil {
			return fmt.Errorf("postgres: lease of run %d: %w", runID, err)
		}
		return nil
	})
}

// ReleaseLease implements run.Store.
func (s *Store) ReleaseLease(ctx context.Context, runID int64, owner string) error {
	_, err := s.pool.Exec(ctx, `UPDATE export_runs SET lease_owner = '', lease_until = NULL WHERE id = $1 AND lease_owner = $2`, runID, owner)
	if err != nil {
		return fmt.Errorf("postgres: release lease of run %d: %w", runID, err)
	}
	return nil
}

// AddRequests implements run.Store.
func (s *Store) AddRequests(ctx context.Context, runID int64, n int) error {
	if _, err := s.pool.Exec(ctx, `UPDATE export_runs SET requests = requests + $1 WHERE id = $2`, n, runID); err != nil {
		return fmt.Errorf("postgres: count requests of run %d: %w", runID, err)
	}
	return nil
}

// FailStaleRun implements run.Store.
func (s *Store) FailStaleRun(ctx context.Context, runID int64, now time.Time, message string) (bool, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE export_runs SET status = $1, step = $2, message = $3, finished_at = $4,
			lease_owner = '', lease_until = NULL
		WHERE id = $5 AND status = 'running' AND (lease_owner = '' OR lease_until IS NULL OR lease_until <= $4)`,
		string(run.StatusFailed), string(run.StepDone), message, now, runID)
	if err != nil {
		return false, fmt.Errorf("postgres: fail stale run %d: %w", runID, err)
	}
	return tag.RowsAffected() == 1, nil
}

// possiblyPresentTx records ops' contacts in the export's state as
// possibly present (see run.Store.AssignBatch).
func possiblyPresentTx(ctx context.Context, tx pgx.Tx, exportID int64, ops []run.Op, now time.Time) error {
	tagsOf, err := stateTagsTx(ctx, tx, exportID, store.OpEmails(ops))
	if err != nil {
		return err
	}
	entries := store.PossiblyPresent(ops, tagsOf)
	emails, profiles, tags := make([]string, len(entries)), make([]string, len(entries)), make([]string, len(entries))
	for i, e := range entries {
		emails[i], profiles[i], tags[i] = e.Email, e.ProfileID, store.TagsJSON(e.Tags)
	}
	_, err = tx.Exec(ctx, `INSERT INTO export_state (export_id, email, profile_id, hash, tags, confirmed_at, unsure)
		SELECT $1, e, p, '', t, $5, true FROM unnest($2::text[], $3::text[], $4::text[]) AS u(e, p, t)
		ON CONFLICT (export_id, email) DO UPDATE SET unsure = true, tags = excluded.tags`,
		exportID, emails, profiles, tags, now)
	if err != nil {
		return fmt.Errorf("mark possibly present: %w", err)
	}
	return nil
}

// stateTagsTx reads the state's tags of those of emails it has.
func stateTagsTx(ctx context.Context, tx pgx.Tx, exportID int64, emails []string) (map[string][]string, error) {
	out := make(map[string][]string, len(emails))
	if len(emails) == 0 {
		return out, nil
	}
	rs, err := tx.Query(ctx, `SELECT email, tags FROM export_state WHERE export_id = $1 AND email = ANY($2)`, exportID, emails)
	if err != nil {
		return nil, err
	}
	var email, tags string
	_, err = pgx.ForEachRow(rs, []any{&email, &tags}, func() error {
		out[email] = store.ParseTags(tags)
		return nil
	})
	return out, err
}
