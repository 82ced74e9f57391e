package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

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
	tag, err := s.pool.Exec(ctx, `INSERT INTO notify_events (kind, dedupe_key, data, created_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (dedupe_key) DO NOTHING`, string(e.Kind), e.Key, string(data), e.At)
	if err != nil {
		return false, fmt.Errorf("postgres: add notification event: %w", err)
	}
	return tag.RowsAffected() > 0, nil
}

// PendingNotifyEvents implements notify.Storage.
func (s *Store) PendingNotifyEvents(ctx context.Context, limit int) ([]notify.Event, error) {
	rs, err := s.pool.Query(ctx, `SELECT id, kind, dedupe_key, data, created_at FROM notify_events
		WHERE processed_at IS NULL ORDER BY id LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: pending notification events: %w", err)
	}
	defer rs.Close()
	var out []notify.Event
	for rs.Next() {
		var e notify.Event
		var kind string
		var data []byte
		if err := rs.Scan(&e.ID, &kind, &e.Key, &data, &e.At); err != nil {
			return nil, fmt.Errorf("postgres: pending notification events: %w", err)
		}
		var d eventData
		if err := json.Unmarshal(data, &d); err != nil {
			return nil, fmt.Errorf("postgres: notification event %d: %w", e.ID, err)
		}
		e.Kind, e.Run, e.Source, e.At = notify.EventKind(kind), d.Run, d.Source, e.At.UTC()
		out = append(out, e)
	}
	return out, rs.Err()
}

// NotifyConditions implements notify.Storage.
func (s *Store) NotifyConditions(ctx context.Context, subject string) ([]notify.Condition, error) {
	rs, err := s.pool.Query(ctx, `SELECT rule_id, firing, since, run_id FROM notify_conditions WHERE subject = $1 ORDER BY rule_id`, subject)
	if err != nil {
		return nil, fmt.Errorf("postgres: notification conditions: %w", err)
	}
	defer rs.Close()
	var out []notify.Condition
	for rs.Next() {
		c := notify.Condition{Subject: subject}
		if err := rs.Scan(&c.RuleID, &c.Firing, &c.Since, &c.RunID); err != nil {
			return nil, fmt.Errorf("postgres: notification conditions: %w", err)
		}
		c.Since = c.Since.UTC()
		out = append(out, c)
	}
	return out, rs.Err()
}

// ApplyNotifyEvent implements notify.Storage. Conditions of rules and
// deliveries to channels removed meanwhile are dropped.
func (s *Store) ApplyNotifyEvent(ctx context.Context, eventID int64, conds []notify.Condition, ds []notify.Delivery, now time.Time) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE notify_events SET processed_at = $1 WHERE id = $2 AND processed_at IS NULL`, now, eventID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return nil // processed already
		}
		for _, c := range conds {
			_, err := tx.Exec(ctx, `INSERT INTO notify_conditions (rule_id, subject, firing, since, run_id)
				SELECT $1, $2, $3, $4, $5 WHERE EXISTS (SELECT 1 FROM notify_rules WHERE id = $1)
				ON CONFLICT (rule_id, subject) DO UPDATE SET firing = excluded.firing, since = excluded.since, run_id = excluded.run_id`,
				c.RuleID, c.Subject, c.Firing, c.Since, c.RunID)
			if err != nil {
				return fmt.Errorf("store condition: %w", err)
			}
		}
		for _, d := range ds {
			if _, err := insertDelivery(ctx, tx, d); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("postgres: apply notification event %d: %w", eventID, err)
	}
	return nil
}

func insertDelivery(ctx context.Context, tx pgx.Tx, d notify.Delivery) (int64, error) {
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO notify_deliveries (channel_id, notification_id, event, summary, run_id, payload,
		status, attempts, max_attempts, next_attempt_at, claimed_by, claimed_until, created_at)
		SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13 WHERE EXISTS (SELECT 1 FROM notify_channels WHERE id = $1)
		RETURNING id`,
		d.ChannelID, d.NotificationID, d.Event, d.Summary, d.RunID, string(d.Payload), string(d.Status), d.Attempts,
		d.MaxAttempts, d.NextAttempt, d.ClaimedBy, nullTime(d.ClaimedUntil), d.CreatedAt).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil // the channel is gone
	}
	if err != nil {
		return 0, fmt.Errorf("add delivery: %w", err)
	}
	return id, nil
}

// AcquireNotifyLease implements notify.Storage.
func (s *Store) AcquireNotifyLease(ctx context.Context, name, owner string, now time.Time, ttl time.Duration) (bool, error) {
	var holder string
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO notify_leases (name, owner, until) VALUES ($1, $2, $3)
			ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, until = excluded.until
			WHERE notify_leases.owner = excluded.owner OR notify_leases.until <= $4`, name, owner, now.Add(ttl), now)
		if err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT owner FROM notify_leases WHERE name = $1`, name).Scan(&holder)
	})
	if err != nil {
		return false, fmt.Errorf("postgres: notification lease: %w", err)
	}
	return holder == owner, nil
}

// AddNotifyDelivery implements notify.Storage.
func (s *Store) AddNotifyDelivery(ctx context.Context, d notify.Delivery) (notify.Delivery, error) {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		id, err := insertDelivery(ctx, tx, d)
		d.ID = id
		return err
	})
	if err != nil {
		return d, fmt.Errorf("postgres: add notification delivery: %w", err)
	}
	return d, nil
}

const deliveryCols = `d.id, d.channel_id, c.name, d.notification_id, d.event, d.summary, d.run_id, d.payload, d.status,
	d.attempts, d.max_attempts, d.next_attempt_at, d.claimed_by, d.claimed_until, d.last_error, d.created_at, d.finished_at`

// ClaimNotifyDeliveries implements notify.Storage: due rows are locked
// with SKIP LOCKED, so processes claiming at once get different ones.
func (s *Store) ClaimNotifyDeliveries(ctx context.Context, c notify.Claim) ([]notify.Delivery, error) {
	skip := c.Skip
	if skip == nil {
		skip = []int64{}
	}
	var ids []int64
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		rs, err := tx.Query(ctx, `UPDATE notify_deliveries SET claimed_by = $1, claimed_until = $2
			WHERE id IN (SELECT id FROM notify_deliveries WHERE status = 'pending' AND next_attempt_at <= $3
				AND (claimed_until IS NULL OR claimed_until <= $3) AND NOT (channel_id = ANY ($4))
				ORDER BY next_attempt_at, id LIMIT $5 FOR UPDATE SKIP LOCKED)
			RETURNING id`, c.Owner, c.Until, c.Now, skip, c.Limit)
		if err != nil {
			return err
		}
		ids, err = pgx.CollectRows(rs, pgx.RowTo[int64])
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: claim notification deliveries: %w", err)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	ds, err := s.deliveries(ctx, `d.id = ANY ($1)`, len(ids), ids)
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
	rs, err := s.pool.Query(ctx, `SELECT `+deliveryCols+` FROM notify_deliveries d
		JOIN notify_channels c ON c.id = d.channel_id WHERE `+where+` ORDER BY d.id DESC LIMIT `+strconv.Itoa(limit), args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: read notification deliveries: %w", err)
	}
	defer rs.Close()
	var out []notify.Delivery
	for rs.Next() {
		var d notify.Delivery
		var status, payload string
		var claimed, finished *time.Time
		if err := rs.Scan(&d.ID, &d.ChannelID, &d.Channel, &d.NotificationID, &d.Event, &d.Summary, &d.RunID, &payload, &status,
			&d.Attempts, &d.MaxAttempts, &d.NextAttempt, &d.ClaimedBy, &claimed, &d.LastError, &d.CreatedAt, &finished); err != nil {
			return nil, fmt.Errorf("postgres: read notification deliveries: %w", err)
		}
		d.Payload, d.Status = []byte(payload), notify.DeliveryStatus(status)
		d.NextAttempt, d.CreatedAt = d.NextAttempt.UTC(), d.CreatedAt.UTC()
		d.ClaimedUntil, d.FinishedAt = notifyTime(claimed), notifyTime(finished)
		out = append(out, d)
	}
	return out, rs.Err()
}

// RecordNotifyAttempt implements notify.Storage.
func (s *Store) RecordNotifyAttempt(ctx context.Context, a notify.Attempt, d notify.Delivery, failingAfter int) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO notify_attempts (delivery_id, at, duration_us, code, response, error, ok)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, a.DeliveryID, a.At, a.Duration.Microseconds(), a.Code, a.Response, a.Error,
			a.OK); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE notify_deliveries SET status = $1, attempts = $2, next_attempt_at = $3,
			last_error = $4, finished_at = $5, claimed_by = '', claimed_until = NULL WHERE id = $6`,
			string(d.Status), d.Attempts, d.NextAttempt, d.LastError, nullTime(d.FinishedAt), d.ID); err != nil {
			return err
		}
		var err error
		if a.OK {
			_, err = tx.Exec(ctx, `UPDATE notify_channels SET failing = false, failures = 0, last_error = '',
				last_attempt_at = $1, last_success_at = $1 WHERE id = $2`, a.At, d.ChannelID)
		} else {
			_, err = tx.Exec(ctx, `UPDATE notify_channels SET failures = failures + 1, failing = (failures + 1 >= $1),
				last_error = $2, last_attempt_at = $3 WHERE id = $4`, failingAfter, a.Error, a.At, d.ChannelID)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: record notification attempt: %w", err)
	}
	return nil
}

// ListNotifyDeliveries implements notify.Storage.
func (s *Store) ListNotifyDeliveries(ctx context.Context, f notify.DeliveryFilter) ([]notify.Delivery, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	ds, err := s.deliveries(ctx, `($1 = 0 OR d.channel_id = $1) AND ($2 = 0 OR d.id < $2)`, f.Limit, f.ChannelID, f.Before)
	if err != nil || len(ds) == 0 {
		return ds, err
	}
	byID := make(map[int64]int, len(ds))
	ids := make([]int64, len(ds))
	for i, d := range ds {
		byID[d.ID], ids[i] = i, d.ID
	}
	rs, err := s.pool.Query(ctx, `SELECT id, delivery_id, at, duration_us, code, response, error, ok FROM notify_attempts
		WHERE delivery_id = ANY ($1) ORDER BY id`, ids)
	if err != nil {
		return nil, fmt.Errorf("postgres: read notification attempts: %w", err)
	}
	defer rs.Close()
	for rs.Next() {
		var a notify.Attempt
		var us int64
		if err := rs.Scan(&a.ID, &a.DeliveryID, &a.At, &us, &a.Code, &a.Response, &a.Error, &a.OK); err != nil {
			return nil, fmt.Errorf("postgres: read notification attempts: %w", err)
		}
		a.At, a.Duration = a.At.UTC(), time.Duration(us)*time.Microsecond
		i := byID[a.DeliveryID]
		ds[i].History = append(ds[i].History, a)
	}
	return ds, rs.Err()
}

// PruneNotify implements notify.Storage.
func (s *Store) PruneNotify(ctx context.Context, before time.Time) (int, error) {
	var n int64
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM notify_events WHERE processed_at IS NOT NULL AND processed_at < $1`, before)
		if err != nil {
			return err
		}
		n = tag.RowsAffected()
		tag, err = tx.Exec(ctx, `DELETE FROM notify_deliveries WHERE status <> 'pending' AND finished_at < $1`, before)
		n += tag.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("postgres: prune notifications: %w", err)
	}
	return int(n), nil
}
