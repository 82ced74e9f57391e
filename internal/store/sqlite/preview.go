package sqlite

import (
	"context"
	"fmt"

	"segbridge/internal/store"
)

// LastConfirmedContacts implements store.PlanHistory.
func (s *Store) LastConfirmedContacts(ctx context.Context, exportID int64, emails []string) (map[string][]byte, error) {
	out := make(map[string][]byte)
	err := store.Chunks(emails, stateChunk, func(c []string) error {
		args := make([]any, 0, 1+len(c))
		args = append(args, exportID)
		for _, e := range c {
			args = append(args, e)
		}
		rs, err := s.db.QueryContext(ctx, `SELECT o.email, o.contact FROM run_ops o JOIN export_runs r ON r.id = o.run_id
			WHERE r.export_id = ? AND o.kind = 'upsert' AND o.status = 'ok' AND o.contact IS NOT NULL
			AND o.email IN (`+placeholders(len(c), 1)+`) ORDER BY o.run_id DESC, o.seq DESC`, args...)
		if err != nil {
			return err
		}
		return eachRow(rs, func() error {
			var email, contact string
			if err := rs.Scan(&email, &contact); err != nil {
				return err
			}
			if _, ok := out[email]; !ok {
				out[email] = []byte(contact)
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: last confirmed contacts of export %d: %w", exportID, err)
	}
	return out, nil
}
