package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"

	"segbridge/internal/export"
	"segbridge/internal/store"
)

// exportCols selects an export with its connection's current name, or the
// saved one when the connection is gone.
const exportCols = `e.id, e.name, e.connection_id, COALESCE(c.name, e.connection_name), e.detached_reason, e.mapping,
	e.tag_prefix, e.leave_behaviour, e.schedule_kind, e.schedule_cron, e.schedule_time_zone, e.profile_cap, e.active,
	e.created_at, e.updated_at,
	ARRAY(SELECT es.segment_id FROM export_segments es WHERE es.export_id = e.id ORDER BY es.position), e.brake` + exportConsentCol

// exportConsentCol is the consent policy (migration 0019), scanned last.
const exportConsentCol = `, e.consent_policy`

const exportFrom = ` FROM exports e LEFT JOIN connections c ON c.id = e.connection_id`

// CreateExport implements store.Exports.
func (s *Store) CreateExport(ctx context.Context, e export.Export) (export.Export, error) {
	var id int64
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		connName, mapping, err := checkExportRefs(ctx, tx, e)
		if err != nil {
			return err
		}
		policy, brake, err := store.ExportSettings(e)
		if err != nil {
			return err
		}
		err = tx.QueryRow(ctx, `INSERT INTO exports (name, connection_id, connection_name, detached_reason, mapping,
			tag_prefix, leave_behaviour, schedule_kind, schedule_cron, schedule_time_zone, profile_cap, active, created_at, updated_at,
			consent_policy, brake)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id`,
			e.Name, nullID(e.ConnectionID), connName, e.DetachedReason, mapping, e.TagPrefix, string(e.Leave),
			string(e.Schedule.Kind), e.Schedule.Cron, e.Schedule.TimeZone, e.ProfileCap, e.Active,
			e.CreatedAt, e.UpdatedAt, policy, string(brake)).Scan(&id)
		if err != nil {
			return exportWriteError(e.Name, err)
		}
		return insertExportSegments(ctx, tx, id, e.Segments)
	})
	if err != nil {
		return export.Export{}, fmt.Errorf("postgres: create export: %w", err)
	}
	return s.GetExport(ctx, strconv.FormatInt(id, 10))
}

// UpdateExport implements store.Exports.
func (s *Store) UpdateExport(ctx context.Context, e export.Export) (export.Export, error) {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		connName, mapping, err := checkExportRefs(ctx, tx, e)
		if err != nil {
			return err
		}
		policy, brake, err := store.ExportSettings(e)
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `UPDATE exports SET name = $1, connection_id = $2, connection_name = $3, detached_reason = $4,
			mapping = $5, tag_prefix = $6, leave_behaviour = $7, schedule_kind = $8, schedule_cron = $9, schedule_time_zone = $10,
			profile_cap = $11, active = $12, updated_at = $13, consent_policy = $14, brake = $15 WHERE id = $16`,
			e.Name, nullID(e.ConnectionID), connName, e.DetachedReason, mapping, e.TagPrefix, string(e.Leave),
			string(e.Schedule.Kind), e.Schedule.Cron, e.Schedule.TimeZone, e.ProfileCap, e.Active, e.UpdatedAt,
			policy, string(brake), e.ID)
		if err != nil {
			return exportWriteError(e.Name, err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("export %d: %w", e.ID, store.ErrNotFound)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM export_segments WHERE export_id = $1`, e.ID); err != nil {
			return fmt.Errorf("replace segments: %w", err)
		}
		return insertExportSegments(ctx, tx, e.ID, e.Segments)
	})
	if err != nil {
		return export.Export{}, fmt.Errorf("postgres: update export %q: %w", e.Name, err)
	}
	return s.GetExport(ctx, strconv.FormatInt(e.ID, 10))
}

// checkExportRefs checks that e's connection (unless detached) and
// segments exist, returning the connection's name and the mapping JSON.
func checkExportRefs(ctx context.Context, tx pgx.Tx, e export.Export) (string, []byte, error) {
	connName := e.ConnectionName
	if e.ConnectionID != 0 {
		err := tx.QueryRow(ctx, `SELECT name FROM connections WHERE id = $1`, e.ConnectionID).Scan(&connName)
		if errors.Is(err, pgx.ErrNoRows) {
			return "", nil, fmt.Errorf("connection %d: %w", e.ConnectionID, store.ErrNotFound)
		}
		if err != nil {
			return "", nil, fmt.Errorf("check connection %d: %w", e.ConnectionID, err)
		}
	}
	var missing []int64
	err := tx.QueryRow(ctx, `SELECT COALESCE(array_agg(id ORDER BY n), '{}') FROM unnest($1::bigint[]) WITH ORDINALITY AS t (id, n)
		WHERE NOT EXISTS (SELECT 1 FROM segments s WHERE s.id = t.id)`, e.Segments).Scan(&missing)
	if err != nil {
		return "", nil, fmt.Errorf("check segments: %w", err)
	}
	if len(missing) > 0 {
		return "", nil, fmt.Errorf("segment %d: %w", missing[0], store.ErrNotFound)
	}
	if err := checkSameBrand(ctx, tx, e); err != nil {
		return "", nil, err
	}
	mapping, err := json.Marshal(e.Mapping)
	if err != nil {
		return "", nil, fmt.Errorf("encode mapping: %w", err)
	}
	return connName, mapping, nil
}

// checkSameBrand applies export.CheckSameBrand against the other exports
// on e's connection or on another connection to the same brand.
func checkSameBrand(ctx context.Context, tx pgx.Tx, e export.Export) error {
	if e.ConnectionID == 0 {
		return nil
	}
	rs, err := tx.Query(ctx, `SELECT x.name, x.mapping FROM exports x JOIN connections c ON c.id = x.connection_id
		WHERE x.id <> $1 AND (c.id = $2 OR (c.brand_id <> '' AND c.brand_id = (SELECT brand_id FROM connections WHERE id = $2)))
		ORDER BY x.id`, e.ID, e.ConnectionID)
	if err != nil {
		return fmt.Errorf("check exports on the same brand: %w", err)
	}
	var others []export.SameBrand
	var name string
	var raw []byte
	_, err = pgx.ForEachRow(rs, []any{&name, &raw}, func() error {
		o := export.SameBrand{Name: name}
		if err := json.Unmarshal(raw, &o.Mapping); err != nil {
			return fmt.Errorf("export %q mapping: %w", name, err)
		}
		others = append(others, o)
		return nil
	})
	if err != nil {
		return fmt.Errorf("check exports on the same brand: %w", err)
	}
	return export.CheckSameBrand(e.Mapping, others)
}

func insertExportSegments(ctx context.Context, tx pgx.Tx, exportID int64, segs []int64) error {
	_, err := tx.Exec(ctx, `INSERT INTO export_segments (export_id, segment_id, position)
		SELECT $1, id, n - 1 FROM unnest($2::bigint[]) WITH ORDINALITY AS t (id, n)`, exportID, segs)
	if err != nil {
		return fmt.Errorf("add segments: %w", err)
	}
	return nil
}

func exportWriteError(name string, err error) error {
	if isUniqueViolation(err) {
		return fmt.Errorf("export %q: %w", name, store.ErrConflict)
	}
	return fmt.Errorf("write export: %w", err)
}

// GetExport implements store.Exports.
func (s *Store) GetExport(ctx context.Context, nameOrID string) (export.Export, error) {
	var id *int64
	if n, err := strconv.ParseInt(nameOrID, 10, 64); err == nil {
		id = &n
	}
	list, err := s.listExports(ctx, `WHERE lower(e.name) = lower($1) OR e.id = $2
		ORDER BY lower(e.name) = lower($1) DESC LIMIT 1`, nameOrID, id)
	if err != nil {
		return export.Export{}, fmt.Errorf("postgres: get export %q: %w", nameOrID, err)
	}
	if len(list) == 0 {
		return export.Export{}, fmt.Errorf("export %q: %w", nameOrID, store.ErrNotFound)
	}
	return list[0], nil
}

// ListExports implements store.Exports.
func (s *Store) ListExports(ctx context.Context) ([]export.Export, error) {
	list, err := s.listExports(ctx, `ORDER BY lower(e.name), e.id`)
	if err != nil {
		return nil, fmt.Errorf("postgres: list exports: %w", err)
	}
	return list, nil
}

// ExportsForConnection implements store.Exports.
func (s *Store) ExportsForConnection(ctx context.Context, connectionID int64) ([]export.Export, error) {
	list, err := s.listExports(ctx, `WHERE e.connection_id = $1 ORDER BY lower(e.name), e.id`, connectionID)
	if err != nil {
		return nil, fmt.Errorf("postgres: exports of connection %d: %w", connectionID, err)
	}
	return list, nil
}

// DeleteExport implements store.Exports.
func (s *Store) DeleteExport(ctx context.Context, id int64) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM exports WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("postgres: delete export %d: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("export %d: %w", id, store.ErrNotFound)
	}
	return nil
}

func (s *Store) listExports(ctx context.Context, tail string, args ...any) ([]export.Export, error) {
	rs, err := s.pool.Query(ctx, `SELECT `+exportCols+exportFrom+` `+tail, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rs, func(r pgx.CollectableRow) (export.Export, error) { return scanExport(r) })
}

func scanExport(row pgx.Row) (export.Export, error) {
	var e export.Export
	var conn *int64
	var mapping []byte
	var leave, kind, brake string
	err := row.Scan(&e.ID, &e.Name, &conn, &e.ConnectionName, &e.DetachedReason, &mapping, &e.TagPrefix, &leave,
		&kind, &e.Schedule.Cron, &e.Schedule.TimeZone, &e.ProfileCap, &e.Active, &e.CreatedAt, &e.UpdatedAt, &e.Segments, &brake,
		&e.ConsentPolicy)
	if err != nil {
		return e, err
	}
	if err := json.Unmarshal([]byte(brake), &e.Brake); err != nil {
		return e, fmt.Errorf("export %d: decode brake: %w", e.ID, err)
	}
	if err := json.Unmarshal(mapping, &e.Mapping); err != nil {
		return e, fmt.Errorf("export %d: decode mapping: %w", e.ID, err)
	}
	if conn != nil {
		e.ConnectionID = *conn
	}
	e.Leave, e.Schedule.Kind = export.Leave(leave), export.ScheduleKind(kind)
	e.CreatedAt, e.UpdatedAt = e.CreatedAt.UTC(), e.UpdatedAt.UTC()
	return e, nil
}

func nullID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

// segmentInUse refuses to delete a segment that exports send, naming them.
func segmentInUse(ctx context.Context, tx pgx.Tx, segmentID int64) error {
	var segName string
	var names []string
	err := tx.QueryRow(ctx, `SELECT s.name, COALESCE(array_agg(e.name ORDER BY lower(e.name)) FILTER (WHERE e.id IS NOT NULL), '{}')
		FROM segments s LEFT JOIN export_segments es ON es.segment_id = s.id LEFT JOIN exports e ON e.id = es.export_id
		WHERE s.id = $1 GROUP BY s.name`, segmentID).Scan(&segName, &names)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil // DeleteSegment reports the missing segment
	}
	if err != nil {
		return fmt.Errorf("exports of segment %d: %w", segmentID, err)
	}
	if len(names) > 0 {
		return store.SegmentInUseError(segName, names)
	}
	return nil
}
