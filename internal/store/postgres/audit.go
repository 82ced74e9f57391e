package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"segbridge/internal/audit"
)

// AppendAudit implements store.Audit.
func (s *Store) AppendAudit(ctx context.Context, e audit.Entry) (audit.Entry, error) {
	err := s.pool.QueryRow(ctx, `INSERT INTO audit_log (at, actor, action, target, detail) VALUES ($1, $2, $3, $4, $5)
		RETURNING id, at`, e.At, e.Actor, e.Action, e.Target, e.Detail).Scan(&e.ID, &e.At)
	if err != nil {
		return audit.Entry{}, fmt.Errorf("postgres: append audit entry: %w", err)
	}
	e.At = e.At.UTC()
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
	rs, err := s.pool.Query(ctx, `SELECT id, at, actor, action, target, detail FROM audit_log
		WHERE id < $1 ORDER BY id DESC LIMIT $2`, before, opts.Limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: list audit log: %w", err)
	}
	out, err := pgx.CollectRows(rs, func(r pgx.CollectableRow) (audit.Entry, error) {
		var e audit.Entry
		err := r.Scan(&e.ID, &e.At, &e.Actor, &e.Action, &e.Target, &e.Detail)
		e.At = e.At.UTC()
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: list audit log: %w", err)
	}
	return out, nil
}
