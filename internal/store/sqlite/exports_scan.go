package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"segbridge/internal/export"
	"segbridge/internal/store"
)

// listExports returns the exports that the query tail (WHERE/ORDER BY)
// selects, with their segment lists.
func (s *Store) listExports(ctx context.Context, tail string, args ...any) ([]export.Export, error) {
	rs, err := s.db.QueryContext(ctx, `SELECT `+exportCols+exportFrom+` `+tail, args...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []export.Export
	for rs.Next() {
		e, err := scanExport(rs)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	if err := rs.Err(); err != nil {
		return nil, err
	}
	rs.Close()
	for i := range out {
		if out[i].Segments, err = s.exportSegments(ctx, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *Store) exportSegments(ctx context.Context, exportID int64) ([]int64, error) {
	rs, err := s.db.QueryContext(ctx, `SELECT segment_id FROM export_segments WHERE export_id = ? ORDER BY position`, exportID)
	if err != nil {
		return nil, fmt.Errorf("segments of export %d: %w", exportID, err)
	}
	defer rs.Close()
	ids := []int64{}
	for rs.Next() {
		var id int64
		if err := rs.Scan(&id); err != nil {
			return nil, fmt.Errorf("segments of export %d: %w", exportID, err)
		}
		ids = append(ids, id)
	}
	return ids, rs.Err()
}

func scanExport(row scanner) (export.Export, error) {
	var e export.Export
	var conn sql.NullInt64
	var mapping []byte
	var leave, kind, brake string
	var created, updated int64
	err := row.Scan(&e.ID, &e.Name, &conn, &e.ConnectionName, &e.DetachedReason, &mapping, &e.TagPrefix, &leave,
		&kind, &e.Schedule.Cron, &e.Schedule.TimeZone, &e.ProfileCap, &e.Active, &created, &updated, &brake,
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
	e.ConnectionID = conn.Int64
	e.Leave, e.Schedule.Kind = export.Leave(leave), export.ScheduleKind(kind)
	e.CreatedAt, e.UpdatedAt = fromMicros(created), fromMicros(updated)
	return e, nil
}

func nullID(id int64) sql.NullInt64 { return sql.NullInt64{Int64: id, Valid: id != 0} }

// segmentInUse refuses to delete a segment that exports send, naming them.
func segmentInUse(ctx context.Context, tx *sql.Tx, segmentID int64) error {
	rs, err := tx.QueryContext(ctx, `SELECT s.name, e.name FROM export_segments es
		JOIN exports e ON e.id = es.export_id JOIN segments s ON s.id = es.segment_id
		WHERE es.segment_id = ? ORDER BY lower(e.name)`, segmentID)
	if err != nil {
		return fmt.Errorf("exports of segment %d: %w", segmentID, err)
	}
	defer rs.Close()
	var segName string
	var names []string
	for rs.Next() {
		var name string
		if err := rs.Scan(&segName, &name); err != nil {
			return fmt.Errorf("exports of segment %d: %w", segmentID, err)
		}
		names = append(names, name)
	}
	if err := rs.Err(); err != nil {
		return fmt.Errorf("exports of segment %d: %w", segmentID, err)
	}
	if len(names) > 0 {
		return store.SegmentInUseError(segName, names)
	}
	return nil
}
