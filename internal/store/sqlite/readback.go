package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"segbridge/internal/omnisend"
	"segbridge/internal/profile"
	"segbridge/internal/run"
	"segbridge/internal/store"
)

var _ store.Readback = (*Store)(nil)

// MarkDrift implements store.Readback.
func (s *Store) MarkDrift(ctx context.Context, exportID int64, entries []run.StateEntry, now time.Time) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		return store.Chunks(entries, stateChunk, func(c []run.StateEntry) error {
			emails := make([]string, len(c))
			for i, e := range c {
				emails[i] = e.Email
			}
			tagsOf, err := stateTagsTx(ctx, tx, exportID, emails)
			if err != nil {
				return err
			}
			for _, e := range c {
				_, err := tx.ExecContext(ctx, `INSERT INTO export_state (export_id, email, profile_id, hash, tags, confirmed_at, unsure)
					VALUES (?, ?, ?, '', ?, ?, 1)
					ON CONFLICT (export_id, email) DO UPDATE SET unsure = 1, tags = excluded.tags`,
					exportID, e.Email, e.ProfileID, store.TagsJSON(store.UnionTags(tagsOf[e.Email], e.Tags)), micros(now))
				if err != nil {
					return err
				}
			}
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("mark drifted contacts of export %d: %w", exportID, err)
	}
	return nil
}

// OpsForEmail implements store.Readback.
func (s *Store) OpsForEmail(ctx context.Context, exportID int64, email string, runs int) ([]run.Op, error) {
	runList, err := s.ListRuns(ctx, exportID, max(runs, 1))
	if err != nil {
		return nil, err
	}
	email = omnisend.NormalizeEmail(email)
	var out []run.Op
	for _, r := range runList {
		ops, err := s.queryOps(ctx, `run_id = ? AND email = ? ORDER BY seq`, r.ID, email)
		if err != nil {
			return nil, fmt.Errorf("ops of %s in run %d: %w", email, r.ID, err)
		}
		out = append(out, ops...)
	}
	return out, nil
}

// MergeProfileAttributes implements store.Readback.
func (s *Store) MergeProfileAttributes(ctx context.Context, changes []profile.Profile, now time.Time) (int, error) {
	var res profile.UpsertResult
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var merged []profile.Profile
		err := store.Chunks(changes, lookupChunk, func(c []profile.Profile) error {
			args := make([]any, len(c))
			for i, p := range c {
				args[i] = p.ID
			}
			rs, err := tx.QueryContext(ctx, `SELECT id, attrs FROM profiles WHERE id IN (`+placeholders(len(c), 1)+`)`, args...)
			if err != nil {
				return err
			}
			stored := map[string][]byte{}
			err = eachRow(rs, func() error {
				var id string
				var raw []byte
				err := rs.Scan(&id, &raw)
				stored[id] = raw
				return err
			})
			if err != nil {
				return err
			}
			merged, err = store.MergeChanges(merged, c, stored)
			return err
		})
		if err != nil {
			return err
		}
		res, err = upsertProfiles(ctx, tx, merged, now)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("set profile attributes: %w", err)
	}
	return res.Updated, nil
}

// UnsubscribeCheckpoint implements store.Readback.
func (s *Store) UnsubscribeCheckpoint(ctx context.Context, connectionID int64) (time.Time, bool, error) {
	var at int64
	err := s.db.QueryRowContext(ctx, `SELECT unsubscribes_checked_at FROM connection_sync WHERE connection_id = ?`, connectionID).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("read the unsubscribe check of connection %d: %w", connectionID, err)
	}
	return fromMicros(at), true, nil
}

// SetUnsubscribeCheckpoint implements store.Readback.
func (s *Store) SetUnsubscribeCheckpoint(ctx context.Context, connectionID int64, at time.Time) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO connection_sync (connection_id, unsubscribes_checked_at) VALUES (?, ?)
			ON CONFLICT (connection_id) DO UPDATE SET unsubscribes_checked_at = excluded.unsubscribes_checked_at`,
			connectionID, micros(at))
		return err
	})
	if err != nil {
		return fmt.Errorf("record the unsubscribe check of connection %d: %w", connectionID, err)
	}
	return nil
}
