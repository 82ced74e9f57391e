package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

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
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO notify_channels (name, kind, events, target, settings, secret_ciphertext,
			created_at, updated_at) VALUES ($1, $2, $3, $4, $5, '', $6, $7) RETURNING id`,
			c.Name, string(c.Kind), c.Events.String(), c.Target, string(settings), c.CreatedAt, c.UpdatedAt).Scan(&id)
		if isUniqueViolation(err) {
			return fmt.Errorf("notification channel %q: %w", c.Name, store.ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("insert notification channel: %w", err)
		}
		sealed, err := seal(id)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE notify_channels SET secret_ciphertext = $1 WHERE id = $2`, sealed, id)
		return err
	})
	if err != nil {
		return notify.Channel{}, err
	}
	return s.GetNotifyChannel(ctx, strconv.FormatInt(id, 10))
}

// GetNotifyChannel implements notify.Storage.
func (s *Store) GetNotifyChannel(ctx context.Context, nameOrID string) (notify.Channel, error) {
	var id *int64
	if n, err := strconv.ParseInt(nameOrID, 10, 64); err == nil {
		id = &n
	}
	row := s.pool.QueryRow(ctx, `SELECT `+notifyChannelCols+` FROM notify_channels
		WHERE lower(name) = lower($1) OR id = $2 ORDER BY lower(name) = lower($1) DESC LIMIT 1`, nameOrID, id)
	c, err := scanNotifyChannel(row)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, fmt.Errorf("notification channel %q: %w", nameOrID, store.ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("postgres: get notification channel: %w", err)
	}
	return c, nil
}

// ListNotifyChannels implements notify.Storage.
func (s *Store) ListNotifyChannels(ctx context.Context) ([]notify.Channel, error) {
	rs, err := s.pool.Query(ctx, `SELECT `+notifyChannelCols+` FROM notify_channels ORDER BY lower(name) COLLATE "C", id`)
	if err != nil {
		return nil, fmt.Errorf("postgres: list notification channels: %w", err)
	}
	defer rs.Close()
	var out []notify.Channel
	for rs.Next() {
		c, err := scanNotifyChannel(rs)
		if err != nil {
			return nil, fmt.Errorf("postgres: list notification channels: %w", err)
		}
		out = append(out, c)
	}
	return out, rs.Err()
}

// NotifyChannelSecret implements notify.Storage.
func (s *Store) NotifyChannelSecret(ctx context.Context, id int64) ([]byte, error) {
	var sealed []byte
	err := s.pool.QueryRow(ctx, `SELECT secret_ciphertext FROM notify_channels WHERE id = $1`, id).Scan(&sealed)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("notification channel %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: read notification channel secret: %w", err)
	}
	return sealed, nil
}

// DeleteNotifyChannel implements notify.Storage.
func (s *Store) DeleteNotifyChannel(ctx context.Context, id int64) error {
	return s.notifyExecOne(ctx, "notification channel", id, `DELETE FROM notify_channels WHERE id = $1`, id)
}

func (s *Store) notifyExecOne(ctx context.Context, what string, id int64, q string, args ...any) error {
	tag, err := s.pool.Exec(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("postgres: %s %d: %w", what, id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%s %d: %w", what, id, store.ErrNotFound)
	}
	return nil
}

func scanNotifyChannel(row pgx.Row) (notify.Channel, error) {
	var c notify.Channel
	var kind, events string
	var settings []byte
	var lastAttempt, lastSuccess *time.Time
	err := row.Scan(&c.ID, &c.Name, &kind, &events, &c.Target, &settings, &c.Health.Failing, &c.Health.Failures,
		&c.Health.LastError, &lastAttempt, &lastSuccess, &c.CreatedAt, &c.UpdatedAt)
	if err != nil {
		return c, err
	}
	c.Kind = notify.Kind(kind)
	if c.Events, err = notify.ParseEvents(events); err != nil {
		return c, err
	}
	if c.Kind == notify.KindEmail {
		if err := json.Unmarshal(settings, &c.SMTP); err != nil {
			return c, fmt.Errorf("channel %d settings: %w", c.ID, err)
		}
	}
	c.Health.LastAttemptAt, c.Health.LastSuccessAt = notifyTime(lastAttempt), notifyTime(lastSuccess)
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	return c, nil
}

// notifyTime is *t in UTC, or the zero time for NULL.
func notifyTime(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// notifyRef is a reference column: NULL for 0.
func notifyRef(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

const notifyRuleCols = `id, kind, export_id, channel_id, percent, count, duration_ms, created_at`

// CreateNotifyRule implements notify.Storage.
func (s *Store) CreateNotifyRule(ctx context.Context, r notify.Rule) (notify.Rule, error) {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := refExists(ctx, tx, "exports", "export", r.ExportID); err != nil {
			return err
		}
		if err := refExists(ctx, tx, "notify_channels", "notification channel", r.ChannelID); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `INSERT INTO notify_rules (kind, export_id, channel_id, percent, count, duration_ms, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, string(r.Kind), notifyRef(r.ExportID), notifyRef(r.ChannelID),
			r.Percent, r.Count, r.Duration.Milliseconds(), r.CreatedAt).Scan(&r.ID)
	})
	if err != nil {
		return notify.Rule{}, fmt.Errorf("create notification rule: %w", err)
	}
	r.CreatedAt = r.CreatedAt.UTC().Truncate(time.Microsecond)
	return r, nil
}

// refExists checks that row id of table exists (0: none referenced).
func refExists(ctx context.Context, tx pgx.Tx, table, what string, id int64) error {
	if id == 0 {
		return nil
	}
	var n int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM `+table+` WHERE id = $1`, id).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%s %d: %w", what, id, store.ErrNotFound)
	}
	return nil
}

// ListNotifyRules implements notify.Storage.
func (s *Store) ListNotifyRules(ctx context.Context) ([]notify.Rule, error) {
	rs, err := s.pool.Query(ctx, `SELECT `+notifyRuleCols+` FROM notify_rules ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("postgres: list notification rules: %w", err)
	}
	defer rs.Close()
	var out []notify.Rule
	for rs.Next() {
		var r notify.Rule
		var kind string
		var exportID, channelID *int64
		var durMS int64
		if err := rs.Scan(&r.ID, &kind, &exportID, &channelID, &r.Percent, &r.Count, &durMS, &r.CreatedAt); err != nil {
			return nil, fmt.Errorf("postgres: list notification rules: %w", err)
		}
		r.Kind, r.Duration, r.CreatedAt = notify.RuleKind(kind), time.Duration(durMS)*time.Millisecond, r.CreatedAt.UTC()
		if exportID != nil {
			r.ExportID = *exportID
		}
		if channelID != nil {
			r.ChannelID = *channelID
		}
		out = append(out, r)
	}
	return out, rs.Err()
}

// DeleteNotifyRule implements notify.Storage.
func (s *Store) DeleteNotifyRule(ctx context.Context, id int64) error {
	return s.notifyExecOne(ctx, "notification rule", id, `DELETE FROM notify_rules WHERE id = $1`, id)
}
