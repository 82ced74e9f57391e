package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"segbridge/internal/profile"
	"segbridge/internal/store"
)

// schemaChunk is the counts per multi-row INSERT (3 parameters each).
const schemaChunk = 300

// storedAttrs returns the canonical attribute JSON of the stored profiles
// ids (the ones a batch changes, whose old attributes leave the counts).
func storedAttrs(ctx context.Context, tx *sql.Tx, ids []string) (map[string][]byte, error) {
	old := make(map[string][]byte, len(ids))
	err := store.Chunks(ids, lookupChunk, func(c []string) error {
		args := make([]any, len(c))
		for i, id := range c {
			args[i] = id
		}
		rs, err := tx.QueryContext(ctx, `SELECT id, attrs FROM profiles WHERE id IN (`+placeholders(len(c), 1)+`)`, args...)
		if err != nil {
			return fmt.Errorf("look up changed profiles: %w", err)
		}
		defer rs.Close()
		for rs.Next() {
			var id string
			var attrs []byte
			if err := rs.Scan(&id, &attrs); err != nil {
				return fmt.Errorf("look up changed profiles: %w", err)
			}
			old[id] = attrs
		}
		return rs.Err()
	})
	return old, err
}

// addSchemaCounts adds delta to the stored counts and drops the ones that
// reach zero.
func addSchemaCounts(ctx context.Context, tx *sql.Tx, delta profile.TypeCounts) error {
	rows := delta.Sorted()
	negative := false
	err := store.Chunks(rows, schemaChunk, func(c []profile.AttrTypeCount) error {
		args := make([]any, 0, 3*len(c))
		for _, r := range c {
			args = append(args, r.Name, string(r.Type), r.Profiles)
			negative = negative || r.Profiles < 0
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO profile_attributes (name, type, profiles) VALUES `+placeholders(len(c), 3)+
			` ON CONFLICT (name, type) DO UPDATE SET profiles = profile_attributes.profiles + excluded.profiles`, args...)
		return err
	})
	if err == nil && negative {
		_, err = tx.ExecContext(ctx, `DELETE FROM profile_attributes WHERE profiles <= 0`)
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
	var counts []profile.AttrTypeCount
	rs, err := s.db.QueryContext(ctx, `SELECT name, type, profiles FROM profile_attributes WHERE profiles > 0 ORDER BY name, type`)
	if err != nil {
		return profile.Schema{}, fmt.Errorf("read the profile schema: %w", err)
	}
	defer rs.Close()
	for rs.Next() {
		var c profile.AttrTypeCount
		if err := rs.Scan(&c.Name, &c.Type, &c.Profiles); err != nil {
			return profile.Schema{}, fmt.Errorf("read the profile schema: %w", err)
		}
		counts = append(counts, c)
	}
	if err := rs.Err(); err != nil {
		return profile.Schema{}, fmt.Errorf("read the profile schema: %w", err)
	}
	pins, err := s.pins(ctx)
	if err != nil {
		return profile.Schema{}, err
	}
	return profile.NewSchema(n, counts, pins), nil
}

func (s *Store) pins(ctx context.Context) (map[string]profile.Type, error) {
	rs, err := s.db.QueryContext(ctx, `SELECT name, type FROM profile_attribute_pins`)
	if err != nil {
		return nil, fmt.Errorf("read pinned types: %w", err)
	}
	defer rs.Close()
	pins := map[string]profile.Type{}
	for rs.Next() {
		var name, t string
		if err := rs.Scan(&name, &t); err != nil {
			return nil, fmt.Errorf("read pinned types: %w", err)
		}
		pins[name] = profile.Type(t)
	}
	return pins, rs.Err()
}

// PinAttributeTypes implements store.ProfileSchemas.
func (s *Store) PinAttributeTypes(ctx context.Context, pins map[string]profile.Type, now time.Time) error {
	if len(pins) == 0 {
		return nil
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for name, t := range pins {
			if _, err := tx.ExecContext(ctx, `INSERT INTO profile_attribute_pins (name, type, pinned_at) VALUES (?, ?, ?)
				ON CONFLICT (name) DO UPDATE SET type = excluded.type, pinned_at = excluded.pinned_at`, name, string(t), micros(now)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("pin attribute types: %w", err)
	}
	return nil
}

// RecountProfileSchema implements store.ProfileSchemas: the scan and the
// new counts are one write transaction, so no upsert slips between them.
func (s *Store) RecountProfileSchema(ctx context.Context) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var c store.SchemaCounter
		rs, err := tx.QueryContext(ctx, `SELECT id, attrs FROM profiles`)
		if err != nil {
			return err
		}
		defer rs.Close()
		var id string
		var attrs sql.RawBytes
		for rs.Next() {
			if err := rs.Scan(&id, &attrs); err != nil {
				return err
			}
			if err := c.Add(id, attrs); err != nil {
				return err
			}
		}
		if err := rs.Err(); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM profile_attributes`); err != nil {
			return err
		}
		if err := addSchemaCounts(ctx, tx, c.Counts); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE profile_schema_state SET recount_needed = 0`)
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
	if err := s.db.QueryRowContext(ctx, `SELECT recount_needed FROM profile_schema_state`).Scan(&needed); err != nil {
		return fmt.Errorf("read the profile schema state: %w", err)
	}
	if !needed {
		return nil
	}
	return s.RecountProfileSchema(ctx)
}
