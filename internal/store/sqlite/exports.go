package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"segbridge/internal/export"
	"segbridge/internal/store"
)

// exportCols selects an export with its connection's current name, or the
// saved one when the connection is gone.
const exportCols = `e.id, e.name, e.connection_id, COALESCE(c.name, e.connection_name), e.detached_reason, e.mapping,
	e.tag_prefix, e.leave_behaviour, e.schedule_kind, e.schedule_cron, e.schedule_time_zone, e.profile_cap, e.active,
	e.created_at, e.updated_at, e.brake` + exportConsentCol

// exportConsentCol is the consent policy (migration 0019), scanned last.
const exportConsentCol = `, e.consent_policy`

const exportFrom = ` FROM exports e LEFT JOIN connections c ON c.id = e.connection_id`

// CreateExport implements store.Exports.
func (s *Store) CreateExport(ctx context.Context, e export.Export) (export.Export, error) {
	var id int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		connName, mapping, err := checkExportRefs(ctx, tx, e)
		if err != nil {
			return err
		}
		policy, brake, err := store.ExportSettings(e)
		if err != nil {
			return err
		}
		err = tx.QueryRowContext(ctx, `INSERT INTO exports (name, connection_id, connection_name, detached_reason, mapping,
			tag_prefix, leave_behaviour, schedule_kind, schedule_cron, schedule_time_zone, profile_cap, active, created_at, updated_at,
			consent_policy, brake)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			e.Name, nullID(e.ConnectionID), connName, e.DetachedReason, mapping, e.TagPrefix, string(e.Leave),
			string(e.Schedule.Kind), e.Schedule.Cron, e.Schedule.TimeZone, e.ProfileCap, e.Active,
			micros(e.CreatedAt), micros(e.UpdatedAt), policy, string(brake)).Scan(&id)
		if err != nil {
			return exportWriteError(e.Name, err)
		}
		return insertExportSegments(ctx, tx, id, e.Segments)
	})
	if err != nil {
		return export.Export{}, fmt.Errorf("sqlite: create export: %w", err)
	}
	return s.GetExport(ctx, strconv.FormatInt(id, 10))
}

// UpdateExport implements store.Exports.
func (s *Store) UpdateExport(ctx context.Context, e export.Export) (export.Export, error) {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		connName, mapping, err := checkExportRefs(ctx, tx, e)
		if err != nil {
			return err
		}
		policy, brake, err := store.ExportSettings(e)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE exports SET name = ?, connection_id = ?, connection_name = ?, detached_reason = ?,
			mapping = ?, tag_prefix = ?, leave_behaviour = ?, schedule_kind = ?, schedule_cron = ?, schedule_time_zone = ?,
			profile_cap = ?, active = ?, updated_at = ?, consent_policy = ?, brake = ? WHERE id = ?`,
			e.Name, nullID(e.ConnectionID), connName, e.DetachedReason, mapping, e.TagPrefix, string(e.Leave),
			string(e.Schedule.Kind), e.Schedule.Cron, e.Schedule.TimeZone, e.ProfileCap, e.Active, micros(e.UpdatedAt),
			policy, string(brake), e.ID)
		if err != nil {
			return exportWriteError(e.Name, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("export %d: %w", e.ID, store.ErrNotFound)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM export_segments WHERE export_id = ?`, e.ID); err != nil {
			return fmt.Errorf("replace segments: %w", err)
		}
		return insertExportSegments(ctx, tx, e.ID, e.Segments)
	})
	if err != nil {
		return export.Export{}, fmt.Errorf("sqlite: update export %q: %w", e.Name, err)
	}
	return s.GetExport(ctx, strconv.FormatInt(e.ID, 10))
}

// checkExportRefs checks that e's connection (unless detached) and
// segments exist, returning the connection's name and the mapping JSON.
func checkExportRefs(ctx context.Context, tx *sql.Tx, e export.Export) (string, []byte, error) {
	connName := e.ConnectionName
	if e.ConnectionID != 0 {
		err := tx.QueryRowContext(ctx, `SELECT name FROM connections WHERE id = ?`, e.ConnectionID).Scan(&connName)
		if errors.Is(err, sql.ErrNoRows) {
			return "", nil, fmt.Errorf("connection %d: %w", e.ConnectionID, store.ErrNotFound)
		}
		if err != nil {
			return "", nil, fmt.Errorf("check connection %d: %w", e.ConnectionID, err)
		}
	}
	for _, id := range e.Segments {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM segments WHERE id = ?`, id).Scan(&n); err != nil {
			return "", nil, fmt.Errorf("check segment %d: %w", id, err)
		}
		if n == 0 {
			return "", nil, fmt.Errorf("segment %d: %w", id, store.ErrNotFound)
		}
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
func checkSameBrand(ctx context.Context, tx *sql.Tx, e export.Export) error {
	if e.ConnectionID == 0 {
		return nil
	}
	rs, err := tx.QueryContext(ctx, `SELECT x.name, x.mapping FROM exports x JOIN connections c ON c.id = x.connection_id
		WHERE x.id <> ? AND (c.id = ? OR (c.brand_id <> '' AND c.brand_id = (SELECT brand_id FROM connections WHERE id = ?)))
		ORDER BY x.id`, e.ID, e.ConnectionID, e.ConnectionID)
	if err != nil {
		return fmt.Errorf("check exports on the same brand: %w", err)
	}
	var others []export.SameBrand
	err = eachRow(rs, func() error {
		var o export.SameBrand
		var raw string
		if err := rs.Scan(&o.Name, &raw); err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(raw), &o.Mapping); err != nil {
			return fmt.Errorf("export %q mapping: %w", o.Name, err)
		}
		others = append(others, o)
		return nil
	})
	if err != nil {
		return fmt.Errorf("check exports on the same brand: %w", err)
	}
	return export.CheckSameBrand(e.Mapping, others)
}

func insertExportSegments(ctx context.Context, tx *sql.Tx, exportID int64, segs []int64) error {
	for i, id := range segs {
		if _, err := tx.ExecContext(ctx, `INSERT INTO export_segments (export_id, segment_id, position) VALUES (?, ?, ?)`,
			exportID, id, i); err != nil {
			return fmt.Errorf("add segment %d: %w", id, err)
		}
	}
	return nil
}

func exportWriteError(name string, err error) error {
	if strings.Contains(err.Error(), "UNIQUE constraint failed") {
		return fmt.Errorf("export %q: %w", name, store.ErrConflict)
	}
	return fmt.Errorf("write export: %w", err)
}

// GetExport implements store.Exports.
func (s *Store) GetExport(ctx context.Context, nameOrID string) (export.Export, error) {
	var id any
	if n, err := strconv.ParseInt(nameOrID, 10, 64); err == nil {
		id = n
	}
	list, err := s.listExports(ctx, `WHERE e.name = ?1 COLLATE NOCASE OR e.id = ?2
		ORDER BY e.name = ?1 COLLATE NOCASE DESC LIMIT 1`, nameOrID, id)
	if err != nil {
		return export.Export{}, fmt.Errorf("sqlite: get export %q: %w", nameOrID, err)
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
		return nil, fmt.Errorf("sqlite: list exports: %w", err)
	}
	return list, nil
}

// ExportsForConnection implements store.Exports.
func (s *Store) ExportsForConnection(ctx context.Context, connectionID int64) ([]export.Export, error) {
	list, err := s.listExports(ctx, `WHERE e.connection_id = ? ORDER BY lower(e.name), e.id`, connectionID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: exports of connection %d: %w", connectionID, err)
	}
	return list, nil
}

// DeleteExport implements store.Exports.
func (s *Store) DeleteExport(ctx context.Context, id int64) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM exports WHERE id = ?`, id)
		if err != nil {
			return fmt.Errorf("sqlite: delete export %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("export %d: %w", id, store.ErrNotFound)
		}
		return nil
	})
}
