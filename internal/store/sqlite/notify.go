package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"segbridge/internal/notify"
	"segbridge/internal/store"
)

const notifyChannelCols = `id, name, kind, events, target, settings, failing, failures, last_error,
	last_attempt_at, last_success_at, created_at, updated_at`

// CreateNotifyChannel implements notify.Storage.
func (s *Store) CreateNotifyChannel(ctx context.Context, c notify.Channel, seal func(id int64) ([]byte, error)) (notify.Channel, error) {
	settings, err := json.Marshal(c.SMTP)
	if err != nil {
		return notify.Channel{}, fmt.Errorf("encode channel settings: %w", err)
	}
	var id int64
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO notify_channels (name, kind, events, target, settings, secret_ciphertext,
			created_at, updated_at) VALUES (?, ?, ?, ?, ?, X'', ?, ?) RETURNING id`,
			c.Name, string(c.Kind), c.Events.String(), c.Target, string(settings), micros(c.CreatedAt), micros(c.UpdatedAt)).Scan(&id)
		if err != nil {
			if strings.Contains(err.Error(), "UNIQUE constraint failed") {
				return fmt.Errorf("notification channel %q: %w", c.Name, store.ErrConflict)
			}
			return fmt.Errorf("insert notification channel: %w", err)
		}
		sealed, err := seal(id)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE notify_channels SET secret_ciphertext = ? WHERE id = ?`, sealed, id)
		return err
	})
	if err != nil {
		return notify.Channel{}, err
	}
	return s.GetNotifyChannel(ctx, strconv.FormatInt(id, 10))
}

// GetNotifyChannel implements notify.Storage.
func (s *Store) GetNotifyChannel(ctx context.Context, nameOrID string) (notify.Channel, error) {
	var id any
	if n, err := strconv.ParseInt(nameOrID, 10, 64); err == nil {
		id = n
	}
	row := s.db.QueryRowContext(ctx, `SELECT `+notifyChannelCols+` FROM notify_channels
		WHERE name = ?1 COLLATE NOCASE OR id = ?2 ORDER BY name = ?1 COLLATE NOCASE DESC LIMIT 1`, nameOrID, id)
	c, err := scanNotifyChannel(row)
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("notification channel %q: %w", nameOrID, store.ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("sqlite: get notification channel: %w", err)
	}
	return c, nil
}

// ListNotifyChannels implements notify.Storage.
func (s *Store) ListNotifyChannels(ctx context.Context) ([]notify.Channel, error) {
	rs, err := s.db.QueryContext(ctx, `SELECT `+notifyChannelCols+` FROM notify_channels ORDER BY lower(name), id`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list notification channels: %w", err)
	}
	defer rs.Close()
	var out []notify.Channel
	for rs.Next() {
		c, err := scanNotifyChannel(rs)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list notification channels: %w", err)
		}
		out = append(out, c)
	}
	return out, rs.Err()
}

// NotifyChannelSecret implements notify.Storage.
func (s *Store) NotifyChannelSecret(ctx context.Context, id int64) ([]byte, error) {
	var sealed []byte
	err := s.db.QueryRowContext(ctx, `SELECT secret_ciphertext FROM notify_channels WHERE id = ?`, id).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("notification channel %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: read notification channel secret: %w", err)
	}
	return sealed, nil
}

// DeleteNotifyChannel implements notify.Storage.
func (s *Store) DeleteNotifyChannel(ctx context.Context, id int64) error {
	return s.notifyExecOne(ctx, "notification channel", id, `DELETE FROM notify_channels WHERE id = ?`, id)
}

func (s *Store) notifyExecOne(ctx context.Context, what string, id int64, q string, args ...any) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("sqlite: %s %d: %w", what, id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("%s %d: %w", what, id, store.ErrNotFound)
		}
		return nil
	})
}

func scanNotifyChannel(row scanner) (notify.Channel, error) {
	var c notify.Channel
	var kind, events, settings string
	var failing int
	var lastAttempt, lastSuccess sql.NullInt64
	var created, updated int64
	err := row.Scan(&c.ID, &c.Name, &kind, &events, &c.Target, &settings, &failing, &c.Health.Failures, &c.Health.LastError,
		&lastAttempt, &lastSuccess, &created, &updated)
	if err != nil {
		return c, err
	}
	c.Kind, c.Health.Failing = notify.Kind(kind), failing != 0
	if c.Events, err = notify.ParseEvents(events); err != nil {
		return c, err
	}
	if c.Kind == notify.KindEmail {
		if err := json.Unmarshal([]byte(settings), &c.SMTP); err != nil {
			return c, fmt.Errorf("channel %d settings: %w", c.ID, err)
		}
	}
	c.Health.LastAttemptAt, c.Health.LastSuccessAt = notifyTime(lastAttempt), notifyTime(lastSuccess)
	c.CreatedAt, c.UpdatedAt = fromMicros(created), fromMicros(updated)
	return c, nil
}

const notifyRuleCols = `id, kind, export_id, channel_id, percent, count, duration_ms, created_at`

// CreateNotifyRule implements notify.Storage.
func (s *Store) CreateNotifyRule(ctx context.Context, r notify.Rule) (notify.Rule, error) {
	var id int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := refExists(ctx, tx, "exports", "export", r.ExportID); err != nil {
			return err
		}
		if err := refExists(ctx, tx, "notify_channels", "notification channel", r.ChannelID); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `INSERT INTO notify_rules (kind, export_id, channel_id, percent, count, duration_ms, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, string(r.Kind), notifyRef(r.ExportID), notifyRef(r.ChannelID),
			r.Percent, r.Count, r.Duration.Milliseconds(), micros(r.CreatedAt)).Scan(&id)
	})
	if err != nil {
		return notify.Rule{}, fmt.Errorf("create notification rule: %w", err)
	}
	r.ID = id
	r.CreatedAt = fromMicros(micros(r.CreatedAt))
	return r, nil
}

// refExists checks that row id of table exists (0: none referenced).
func refExists(ctx context.Context, tx *sql.Tx, table, what string, id int64) error {
	if id == 0 {
		return nil
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM `+table+` WHERE id = ?`, id).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%s %d: %w", what, id, store.ErrNotFound)
	}
	return nil
}

// ListNotifyRules implements notify.Storage.
func (s *Store) ListNotifyRules(ctx context.Context) ([]notify.Rule, error) {
	rs, err := s.db.QueryContext(ctx, `SELECT `+notifyRuleCols+` FROM notify_rules ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list notification rules: %w", err)
	}
	defer rs.Close()
	var out []notify.Rule
	for rs.Next() {
		var r notify.Rule
		var kind string
		var exportID, channelID sql.NullInt64
		var durMS, created int64
		if err := rs.Scan(&r.ID, &kind, &exportID, &channelID, &r.Percent, &r.Count, &durMS, &created); err != nil {
			return nil, fmt.Errorf("sqlite: list notification rules: %w", err)
		}
		r.Kind, r.ExportID, r.ChannelID = notify.RuleKind(kind), exportID.Int64, channelID.Int64
		r.Duration, r.CreatedAt = time.Duration(durMS)*time.Millisecond, fromMicros(created)
		out = append(out, r)
	}
	return out, rs.Err()
}

// DeleteNotifyRule implements notify.Storage.
func (s *Store) DeleteNotifyRule(ctx context.Context, id int64) error {
	return s.notifyExecOne(ctx, "notification rule", id, `DELETE FROM notify_rules WHERE id = ?`, id)
}

// notifyTime is the time v holds, or the zero time for NULL.
func notifyTime(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return fromMicros(v.Int64)
}

// notifyRef is a reference column: NULL for 0.
func notifyRef(id int64) sql.NullInt64 { return sql.NullInt64{Int64: id, Valid: id != 0} }
