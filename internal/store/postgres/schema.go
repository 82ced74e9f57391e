package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"segbridge/internal/profile"
	"segbridge/internal/store"
)

// storedAttrs returns the attribute JSON of the stored profiles ids (the
// ones a batch changes, whose old attributes leave the counts).
func storedAttrs(ctx context.Context, tx pgx.Tx, ids []string) (map[string][]byte, error) {
	old := make(map[string][]byte, len(ids))
	if len(ids) == 0 {
		return old, nil
	}
	rs, err := tx.Query(ctx, `SELECT id, attrs::text FROM profiles WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("look up changed profiles: %w", err)
	}
	var id, attrs string
	_, err = pgx.ForEachRow(rs, []any{&id, &attrs}, func() error {
		old[id] = []byte(attrs)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("look up changed profiles: %w", err)
	}
	return old, nil
}

// addSchemaCounts adds delta to the stored counts, in name and type order
// (so concurrent imports lock the rows in one order and never deadlock),
// and drops the ones that reach zero.
func addSchemaCounts(ctx context.Context, tx pgx.Tx, delta profile.TypeCounts) error {
	rows := delta.Sorted()
	if len(rows) == 0 {
		return nil
	}
	names, types, counts := make([]string, len(rows)), make([]string, len(rows)), make([]int64, len(rows))
	negative := false
	for i, r := range rows {
		names[i], types[i], counts[i] = r.Name, string(r.Type), int64(r.Profiles)
		negative = negative || r.Profiles < 0
	}
	_, err := tx.Exec(ctx, `INSERT INTO profile_attributes (name, type, profiles)
		SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[])
		ON CONFLICT (name, type) DO UPDATE SET profiles = profile_attributes.profiles + excluded.profiles`,
		names, types, counts)
	if err == nil && negative {
		_, err = tx.Exec(ctx, `DELETE FROM profile_attributes WHERE profiles <= 0`)
	}
	if err != nil {
		return fmt.Errorf("update the profile schema: %w", err)
	}
	return nil
}

// ProfileSchema implements store.ProfileSchemas.
func (s *Store) ProfileSchema(ctx context.Context) (profile.Schema, error) {
	n, err := s.CountProfiles(ctx)
	if err != nil {
		return profile.Schema{}, err
	}
	rs, err := s.pool.Query(ctx, `SELECT name, type, profiles FROM profile_attributes WHERE profiles > 0 ORDER BY name, type`)
	if err != nil {
		return profile.Schema{}, fmt.Errorf("read the profile schema: %w", err)
	}
	var counts []profile.AttrTypeCount
	var c profile.AttrTypeCount
	var t string
	_, err = pgx.ForEachRow(rs, []any{&c.Name, &t, &c.Profiles}, func() error {
		c.Type = profile.Type(t)
		counts = append(counts, c)
		return nil
	})
	if err != nil {
		return profile.Schema{}, fmt.Errorf("read the profile schema: %w", err)
	}
	rs, err = s.pool.Query(ctx, `SELECT name, type FROM profile_attribute_pins`)
	if err != nil {
		return profile.Schema{}, fmt.Errorf("read pinned types: %w", err)
	}
	pins := map[string]profile.Type{}
	var name string
	_, err = pgx.ForEachRow(rs, []any{&name, &t}, func() error {
		pins[name] = profile.Type(t)
		return nil
	})
	if err != nil {
		return profile.Schema{}, fmt.Errorf("read pinned types: %w", err)
	}
	return profile.NewSchema(n, counts, pins), nil
}

// PinAttributeTypes implements store.ProfileSchemas.
func (s *Store) PinAttributeTypes(ctx context.Context, pins map[string]profile.Type, now time.Time) error {
	if len(pins) == 0 {
		return nil
	}
	var names, types []string
	for name, t := range pins {
		names, types = append(names, name), append(types, string(t))
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO profile_attribute_pins (name, type, pinned_at)
		SELECT name, type, $3 FROM unnest($1::text[], $2::text[]) AS t (name, type)
		ON CONFLICT (name) DO UPDATE SET type = excluded.type, pinned_at = excluded.pinned_at`, names, types, now)
	if err != nil {
		return fmt.Errorf("pin attribute types: %w", err)
	}
	return nil
}

// RecountProfileSchema implements store.ProfileSchemas. The lock keeps
// upserts from adding their counts until the recount commits: an upsert
// whose profiles the scan did not see adds its counts after it, one whose
// profiles it saw had committed them before.
func (s *Store) RecountProfileSchema(ctx context.Context) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `LOCK TABLE profile_attributes IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return err
		}
		var c store.SchemaCounter
		rs, err := tx.Query(ctx, `SELECT id, attrs::text FROM profiles`)
		if err != nil {
			return err
		}
		var id, attrs string
		if _, err := pgx.ForEachRow(rs, []any{&id, &attrs}, func() error { return c.Add(id, []byte(attrs)) }); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM profile_attributes`); err != nil {
			return err
		}
		if err := addSchemaCounts(ctx, tx, c.Counts); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE profile_schema_state SET recount_needed = false`)
		return err
	})
	if err != nil {
		return fmt.Errorf("count the profile schema: %w", err)
	}
	return nil
}

// recountSchemaIfNeeded recounts once after the migration that added the
// counts (the profiles stored before it were never counted).
func (s *Store) recountSchemaIfNeeded(ctx context.Context) error {
	var needed bool
	if err := s.pool.QueryRow(ctx, `SELECT recount_needed FROM profile_schema_state`).Scan(&needed); err != nil {
		return fmt.Errorf("read the profile schema state: %w", err)
	}
	if !needed {
		return nil
	}
	return s.RecountProfileSchema(ctx)
}
