package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"segbridge/internal/omnisend"
	"segbridge/internal/profile"
	"segbridge/internal/run"
	"segbridge/internal/store"
)

var _ store.Readback = (*Store)(nil)

// MarkDrift implements store.Readback. Entries are written in e-mail
// order, the order in which concurrent writers of the state lock its rows.
func (s *Store) MarkDrift(ctx context.Context, exportID int64, entries []run.StateEntry, now time.Time) error {
	entries = slices.Clone(entries)
	slices.SortFunc(entries, func(a, b run.StateEntry) int { return strings.Compare(a.Email, b.Email) })
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		return store.Chunks(entries, 1000, func(c []run.StateEntry) error {
			emails := make([]string, len(c))
			for i, e := range c {
				emails[i] = e.Email
			}
			tagsOf, err := stateTagsTx(ctx, tx, exportID, emails)
			if err != nil {
				return err
			}
			profiles, tags := make([]string, len(c)), make([]string, len(c))
			for i, e := range c {
				profiles[i], tags[i] = e.ProfileID, store.TagsJSON(store.UnionTags(tagsOf[e.Email], e.Tags))
			}
			_, err = tx.Exec(ctx, `INSERT INTO export_state (export_id, email, profile_id, hash, tags, confirmed_at, unsure)
				SELECT $1, e, p, '', t, $5, true FROM unnest($2::text[], $3::text[], $4::text[]) AS u(e, p, t)
				ON CONFLICT (export_id, email) DO UPDATE SET unsure = true, tags = excluded.tags`,
				exportID, emails, profiles, tags, now)
			return err
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
		ops, err := s.queryOps(ctx, `run_id = $1 AND email = $2 ORDER BY seq`, r.ID, email)
		if err != nil {
			return nil, fmt.Errorf("ops of %s in run %d: %w", email, r.ID, err)
		}
		out = append(out, ops...)
	}
	return out, nil
}

// MergeProfileAttributes implements store.Readback: the profiles are read
// FOR UPDATE (in id order), so an import of them waits until the merged
// attributes are written.
func (s *Store) MergeProfileAttributes(ctx context.Context, changes []profile.Profile, now time.Time) (int, error) {
	ids := make([]string, len(changes))
	for i, p := range changes {
		ids[i] = p.ID
	}
	slices.Sort(ids)
	var res profile.UpsertResult
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		rs, err := tx.Query(ctx, `SELECT id, attrs::text FROM profiles WHERE id = ANY($1) ORDER BY id FOR UPDATE`, ids)
		if err != nil {
			return err
		}
		stored := map[string][]byte{}
		var id, attrs string
		if _, err := pgx.ForEachRow(rs, []any{&id, &attrs}, func() error {
			stored[id] = []byte(attrs)
			return nil
		}); err != nil {
			return err
		}
		merged, err := store.MergeChanges(nil, changes, stored)
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
	var at time.Time
	err := s.pool.QueryRow(ctx, `SELECT unsubscribes_checked_at FROM connection_sync WHERE connection_id = $1`, connectionID).Scan(&at)
	if errors.Is(err, pgx.ErrNoRows) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("read the unsubscribe check of connection %d: %w", connectionID, err)
	}
	return at.UTC(), true, nil
}

// SetUnsubscribeCheckpoint implements store.Readback.
func (s *Store) SetUnsubscribeCheckpoint(ctx context.Context, connectionID int64, at time.Time) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO connection_sync (connection_id, unsubscribes_checked_at) VALUES ($1, $2)
		ON CONFLICT (connection_id) DO UPDATE SET unsubscribes_checked_at = excluded.unsubscribes_checked_at`,
		connectionID, at)
	if err != nil {
		return fmt.Errorf("record the unsubscribe check of connection %d: %w", connectionID, err)
	}
	return nil
}
