package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"segbridge/internal/notify"
)

// eventData is what an event's data column holds.
type eventData struct {
	Run    *notify.RunInfo    `json:"run,omitempty"`
	Source *notify.SourceInfo `json:"source,omitempty"`
}

// AddNotifyEvent implements notify.Storage.
func (s *Store) AddNotifyEvent(ctx context.Context, e notify.Event) (bool, error) {
	data, err := json.Marshal(eventData{Run: e.Run, Source: e.Source})
	if err != nil {
		return false, fmt.Errorf("encode event: %w", err)
	}
	var added bool
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO notify_events (kind, dedupe_key, data, created_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (dedupe_key) DO NOTHING`, string(e.Kind), e.Key, string(data), micros(e.At))
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		added = n > 0
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("sqlite: add notification event: %w", err)
	}
	return added, nil
}

// PendingNotifyEvents implements notify.Storage.
func (s *Store) PendingNotifyEvents(ctx context.Context, limit int) ([]notify.Event, error) {
	rs, err := s.db.QueryContext(ctx, `SELECT id, kind, dedupe_key, data, created_at FROM notify_events
		WHERE processed_at IS NULL ORDER BY id LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: pending notification events: %w", err)
	}
	defer rs.Close()
	var out []notify.Event
	for rs.Next() {
		var e notify.Event
		var kind, data string
		var at int64
		if err := rs.Scan(&e.ID, &kind, &e.Key, &data, &at); err != nil {
			return nil, fmt.Errorf("sqlite: pending notification events: %w", err)
		}
		var d eventData
		if err := json.Unmarshal([]byte(data), &d); err != nil {
			return nil, fmt.Errorf("sqlite: notification event %d: %w", e.ID, err)
		}
		e.Kind, e.Run, e.Source, e.At = notify.EventKind(kind), d.Run, d.Source, fromMicros(at)
		out = append(out, e)
	}
	return out, rs.Err()
}

// NotifyConditions implements notify.Storage.
func (s *Store) NotifyConditions(ctx context.Context, subject string) ([]notify.Condition, error) {
	rs, err := s.db.QueryContext(ctx, `SELECT rule_id, firing, since, run_id FROM notify_conditions WHERE subject = ? ORDER BY rule_id`, subject)
	if err != nil {
		return nil, fmt.Errorf("sqlite: notification conditions: %w", err)
	}
	defer rs.Close()
	var out []notify.Condition
	for rs.Next() {
		c := notify.Condition{Subject: subject}
		var firing int
		var since int64
		if err := rs.Scan(&c.RuleID, &firing, &since, &c.RunID); err != nil {
			return nil, fmt.Errorf("sqlite: notification conditions: %w", err)
		}
		c.Firing, c.Since = firing != 0, fromMicros(since)
		out = append(out, c)
	}
	return out, rs.Err()
}

// ApplyNotifyEvent implements notify.Storage. Conditions of rules and
// deliveries to channels removed meanwhile are dropped.
func (s *Store) ApplyNotifyEvent(ctx context.Context, eventID int64, conds []notify.Condition, ds []notify.Delivery, now time.Time) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE notify_events SET processed_at = ? WHERE id = ? AND processed_at IS NULL`, micros(now), eventID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // processed already
		}
		for _, c := range conds {
			_, err := tx.ExecContext(ctx, `INSERT INTO notify_conditions (rule_id, subject, firing, since, run_id)
				SELECT ?1, ?2, ?3, ?4, ?5 WHERE EXISTS (SELECT 1 FROM notify_rules WHERE id = ?1)
				ON CONFLICT (rule_id, subject) DO UPDATE SET firing = excluded.firing, since = excluded.since, run_id = excluded.run_id`,
				c.RuleID, c.Subject, boolInt(c.Firing), micros(c.Since), c.RunID)
			if err != nil {
				return fmt.Errorf("store condition: %w", err)
			}
		}
		for _, d := range ds {
			if err := insertDelivery(ctx, tx, d); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlite: apply notification event %d: %w", eventID, err)
	}
	return nil
}

func insertDelivery(ctx context.Context, tx *sql.Tx, d notify.Delivery) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO notify_deliveries (channel_id, notification_id, event, summary, run_id, payload,
		status, attempts, max_attempts, next_attempt_at, claimed_by, claimed_until, created_at)
		SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13 WHERE EXISTS (SELECT 1 FROM notify_channels WHERE id = ?1)`,
		d.ChannelID, d.NotificationID, d.Event, d.Summary, d.RunID, string(d.Payload), string(d.Status), d.Attempts,
		d.MaxAttempts, micros(d.NextAttempt), d.ClaimedBy, claimMicros(d.ClaimedUntil), micros(d.CreatedAt))
	if err != nil {
		return fmt.Errorf("add delivery: %w", err)
	}
	return nil
}

func claimMicros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return micros(t)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// AcquireNotifyLease implements notify.Storage.
func (s *Store) AcquireNotifyLease(ctx context.Context, name, owner string, now time.Time, ttl time.Duration) (bool, error) {
	var holder string
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO notify_leases (name, owner, until) VALUES (?1, ?2, ?3)
			ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, until = excluded.until
			WHERE notify_leases.owner = excluded.owner OR notify_leases.until <= ?4`,
			name, owner, micros(now.Add(ttl)), micros(now))
		if err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT owner FROM notify_leases WHERE name = ?`, name).Scan(&holder)
	})
	if err != nil {
		return false, fmt.Errorf("sqlite: notification lease: %w", err)
	}
	return holder == owner, nil
}

// AddNotifyDelivery implements notify.Storage.
func (s *Store) AddNotifyDelivery(ctx context.Context, d notify.Delivery) (notify.Delivery, error) {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := insertDelivery(ctx, tx, d); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT id FROM notify_deliveries WHERE notification_id = ?`, d.NotificationID).Scan(&d.ID)
	})
	if err != nil {
		return d, fmt.Errorf("sqlite: add notification delivery: %w", err)
	}
	return d, nil
}

const deliveryCols = `d.id, d.channel_id, c.name, d.notification_id, d.event, d.summary, d.run_id, d.payload, d.status,
	d.attempts, d.max_attempts, d.next_attempt_at, d.claimed_by, d.claimed_until, d.last_error, d.created_at, d.finished_at`

// ClaimNotifyDeliveries implements notify.Storage.
func (s *Store) ClaimNotifyDeliveries(ctx context.Context, c notify.Claim) ([]notify.Delivery, error) {
	skip := "0"
	if len(c.Skip) > 0 {
		parts := make([]string, len(c.Skip))
		for i, id := range c.Skip {
			parts[i] = fmt.Sprint(id)
		}
		skip = strings.Join(parts, ",")
	}
	// Look before taking the write lock: an idle deliverer writes nothing.
	var due int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM notify_deliveries WHERE status = 'pending'
		AND next_attempt_at <= ? AND claimed_until <= ? AND channel_id NOT IN (`+skip+`) LIMIT 1)`,
		micros(c.Now), micros(c.Now)).Scan(&due); err != nil || due == 0 {
		if err != nil {
			err = fmt.Errorf("sqlite: claim notification deliveries: %w", err)
		}
		return nil, err
	}
	var ids []any
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		rs, err := tx.QueryContext(ctx, `UPDATE notify_deliveries SET claimed_by = ?, claimed_until = ?
			WHERE id IN (SELECT id FROM notify_deliveries WHERE status = 'pending' AND next_attempt_at <= ?
				AND claimed_until <= ? AND channel_id NOT IN (`+skip+`) ORDER BY next_attempt_at, id LIMIT ?)
			RETURNING id`, c.Owner, micros(c.Until), micros(c.Now), micros(c.Now), c.Limit)
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			var id int64
			if err := rs.Scan(&id); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return rs.Err()
	})
	if err != nil || len(ids) == 0 {
		if err != nil {
			err = fmt.Errorf("sqlite: claim notification deliveries: %w", err)
		}
		return nil, err
	}
	ds, err := s.deliveries(ctx, `d.id IN (?`+strings.Repeat(",?", len(ids)-1)+`)`, len(ids), ids...)
	sort.Slice(ds, func(i, j int) bool {
		if !ds[i].NextAttempt.Equal(ds[j].NextAttempt) {
			return ds[i].NextAttempt.Before(ds[j].NextAttempt)
		}
		return ds[i].ID < ds[j].ID
	})
	return ds, err
}

// deliveries reads at most limit deliveries matching where, newest first.
func (s *Store) deliveries(ctx context.Context, where string, limit int, args ...any) ([]notify.Delivery, error) {
	rs, err := s.db.QueryContext(ctx, `SELECT `+deliveryCols+` FROM notify_deliveries d
		JOIN notify_channels c ON c.id = d.channel_id WHERE `+where+` ORDER BY d.id DESC LIMIT `+strconv.Itoa(limit), args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: read notification deliveries: %w", err)
	}
	defer rs.Close()
	var out []notify.Delivery
	for rs.Next() {
		var d notify.Delivery
		var status, payload string
		var next, claimed, created int64
		var finished sql.NullInt64
		if err := rs.Scan(&d.ID, &d.ChannelID, &d.Channel, &d.NotificationID, &d.Event, &d.Summary, &d.RunID, &payload, &status,
			&d.Attempts, &d.MaxAttempts, &next, &d.ClaimedBy, &claimed, &d.LastError, &created, &finished); err != nil {
			return nil, fmt.Errorf("sqlite: read notification deliveries: %w", err)
		}
		d.Payload, d.Status = []byte(payload), notify.DeliveryStatus(status)
		d.NextAttempt, d.CreatedAt, d.FinishedAt = fromMicros(next), fromMicros(created), notifyTime(finished)
		if claimed != 0 {
			d.ClaimedUntil = fromMicros(claimed)
		}
		out = append(out, d)
	}
	return out, rs.Err()
}

// RecordNotifyAttempt implements notify.Storage.
func (s *Store) RecordNotifyAttempt(ctx context.Context, a notify.Attempt, d notify.Delivery, failingAfter int) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO notify_attempts (delivery_id, at, duration_us, code, response, error, ok)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, a.DeliveryID, micros(a.At), a.Duration.Microseconds(), a.Code, a.Response, a.Error,
			boolInt(a.OK)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE notify_deliveries SET status = ?, attempts = ?, next_attempt_at = ?,
			last_error = ?, finished_at = ?, claimed_by = '', claimed_until = 0 WHERE id = ?`,
			string(d.Status), d.Attempts, micros(d.NextAttempt), d.LastError, nullMicros(d.FinishedAt), d.ID); err != nil {
			return err
		}
		var err error
		if a.OK {
			_, err = tx.ExecContext(ctx, `UPDATE notify_channels SET failing = 0, failures = 0, last_error = '',
				last_attempt_at = ?1, last_success_at = ?1 WHERE id = ?2`, micros(a.At), d.ChannelID)
		} else {
			_, err = tx.ExecContext(ctx, `UPDATE notify_channels SET failures = failures + 1, failing = (failures + 1 >= ?1),
				last_error = ?2, last_attempt_at = ?3 WHERE id = ?4`, failingAfter, a.Error, micros(a.At), d.ChannelID)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: record notification attempt: %w", err)
	}
	return nil
}

// ListNotifyDeliveries implements notify.Storage.
func (s *Store) ListNotifyDeliveries(ctx context.Context, f notify.DeliveryFilter) ([]notify.Delivery, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	ds, err := s.deliveries(ctx, `(?1 = 0 OR d.channel_id = ?1) AND (?2 = 0 OR d.id < ?2)`, f.Limit, f.ChannelID, f.Before)
	if err != nil || len(ds) == 0 {
		return ds, err
	}
	byID := make(map[int64]int, len(ds))
	args := make([]any, len(ds))
	for i, d := range ds {
		byID[d.ID], args[i] = i, d.ID
	}
	rs, err := s.db.QueryContext(ctx, `SELECT id, delivery_id, at, duration_us, code, response, error, ok FROM notify_attempts
		WHERE delivery_id IN (?`+strings.Repeat(",?", len(ds)-1)+`) ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: read notification attempts: %w", err)
	}
	defer rs.Close()
	for rs.Next() {
		var a notify.Attempt
		var at, us int64
		var ok int
		if err := rs.Scan(&a.ID, &a.DeliveryID, &at, &us, &a.Code, &a.Response, &a.Error, &ok); err != nil {
			return nil, fmt.Errorf("sqlite: read notification attempts: %w", err)
		}
		a.At, a.Duration, a.OK = fromMicros(at), time.Duration(us)*time.Microsecond, ok != 0
		i := byID[a.DeliveryID]
		ds[i].History = append(ds[i].History, a)
	}
	return ds, rs.Err()
}

// PruneNotify implements notify.Storage.
func (s *Store) PruneNotify(ctx context.Context, before time.Time) (int, error) {
	var n int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM notify_events WHERE processed_at IS NOT NULL AND processed_at < ?`, micros(before))
		if err != nil {
			return err
		}
		e, _ := res.RowsAffected()
		res, err = tx.ExecContext(ctx, `DELETE FROM notify_deliveries WHERE status <> 'pending' AND finished_at < ?`, micros(before))
		if err != nil {
			return err
		}
		d, _ := res.RowsAffected()
		n = e + d
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("sqlite: prune notifications: %w", err)
	}
	return int(n), nil
}
