package sqlite

import (
	"context"
	"fmt"

	"segbridge/internal/audit"
)

// AppendAudit implements store.Audit.
func (s *Store) AppendAudit(ctx context.Context, e audit.Entry) (audit.Entry, error) {
	err := s.db.QueryRowContext(ctx, `INSERT INTO audit_log (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?) RETURNING id`,
		micros(e.At), e.Actor, e.Action, e.Target, e.Detail).Scan(&e.ID)
	if err != nil {
		return audit.Entry{}, fmt.Errorf("sqlite: append audit entry: %w", err)
	}
	e.At = fromMicros(micros(e.At))
	return e, nil
}

// ListAudit implements store.Audit.
func (s *Store) ListAudit(ctx context.Context, opts audit.ListOptions) ([]audit.Entry, error) {
	if opts.Limit <= 0 {
		opts.Limit = 100
	}
	before := opts.Before
	if before <= 0 {
		before = 1<<63 - 1
	}
	rs, err := s.db.QueryContext(ctx, `SELECT id, at, actor, action, target, detail FROM audit_log
		WHERE id < ? ORDER BY id DESC LIMIT ?`, before, opts.Limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list audit log: %w", err)
	}
	defer rs.Close()
	var out []audit.Entry
	for rs.Next() {
		var e audit.Entry
		var at int64
		if err := rs.Scan(&e.ID, &at, &e.Actor, &e.Action, &e.Target, &e.Detail); err != nil {
			return nil, fmt.Errorf("sqlite: list audit log: %w", err)
		}
		e.At = fromMicros(at)
		out = append(out, e)
	}
	return out, rs.Err()
}
