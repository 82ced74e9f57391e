package postgres

import (
	"context"
	"fmt"
)

// LastConfirmedContacts implements store.PlanHistory.
func (s *Store) LastConfirmedContacts(ctx context.Context, exportID int64, emails []string) (map[string][]byte, error) {
	out := make(map[string][]byte)
	if len(emails) == 0 {
		return out, nil
	}
	rs, err := s.pool.Query(ctx, `SELECT DISTINCT ON (o.email) o.email, o.contact
		FROM run_ops o JOIN export_runs r ON r.id = o.run_id
		WHERE r.export_id = $1 AND o.kind = 'upsert' AND o.status = 'ok' AND o.contact IS NOT NULL
		AND o.email = ANY($2::text[])
		ORDER BY o.email, o.run_id DESC, o.seq DESC`, exportID, emails)
	if err != nil {
		return nil, fmt.Errorf("postgres: last confirmed contacts of export %d: %w", exportID, err)
	}
	defer rs.Close()
	for rs.Next() {
		var email, contact string
		if err := rs.Scan(&email, &contact); err != nil {
			return nil, fmt.Errorf("postgres: last confirmed contacts of export %d: %w", exportID, err)
		}
		out[email] = []byte(contact)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("postgres: last confirmed contacts of export %d: %w", exportID, err)
	}
	return out, nil
}
