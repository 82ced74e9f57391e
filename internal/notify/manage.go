package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
)

// CreateChannel validates d and saves it, its secrets sealed and bound to
// the new channel's id. Who may, and the audit entry, are the caller's
// (internal/service).
func (s *Service) CreateChannel(ctx context.Context, d ChannelDraft) (Channel, error) {
	d = d.WithDefaults()
	if err := d.Validate(); err != nil {
		return Channel{}, err
	}
	now := s.now()
	c := Channel{Name: d.Name, Kind: d.Kind, Events: d.Events, Target: d.target(), CreatedAt: now, UpdatedAt: now}
	if d.Kind == KindEmail {
		c.SMTP = d.SMTP
	}
	plain, err := json.Marshal(secrets{URL: d.URL.Reveal(), Secret: d.Secret.Reveal(), Password: d.Password.Reveal()})
	if err != nil {
		return Channel{}, fmt.Errorf("encode the channel's secrets: %w", err)
	}
	seal := func(id int64) ([]byte, error) {
		sealed, err := s.cfg.Keys.Seal(plain, ChannelAD(id))
		if err != nil {
			return nil, fmt.Errorf("seal the channel's secrets: %w", err)
		}
		return sealed, nil
	}
	c, err = s.st.CreateNotifyChannel(ctx, c, seal)
	if err != nil {
		return Channel{}, fmt.Errorf("save channel %q: %w", d.Name, err)
	}
	s.log.InfoContext(ctx, "notification channel created", slog.Int64("id", c.ID), slog.String("name", c.Name),
		slog.String("kind", string(c.Kind)), slog.String("events", c.Events.String()))
	return c, nil
}

// Channel finds a channel by name or id.
func (s *Service) Channel(ctx context.Context, nameOrID string) (Channel, error) {
	return s.st.GetNotifyChannel(ctx, nameOrID)
}

// Channels lists every channel by name.
func (s *Service) Channels(ctx context.Context) ([]Channel, error) {
	return s.st.ListNotifyChannels(ctx)
}

// RemoveChannel deletes a channel with its rules and delivery history.
func (s *Service) RemoveChannel(ctx context.Context, nameOrID string) (Channel, error) {
	c, err := s.st.GetNotifyChannel(ctx, nameOrID)
	if err != nil {
		return Channel{}, err
	}
	if err := s.st.DeleteNotifyChannel(ctx, c.ID); err != nil {
		return Channel{}, fmt.Errorf("remove channel %q: %w", c.Name, err)
	}
	s.log.InfoContext(ctx, "notification channel removed", slog.Int64("id", c.ID), slog.String("name", c.Name))
	return c, nil
}

// CreateRule validates d, resolves its export and channel by name and
// saves it.
func (s *Service) CreateRule(ctx context.Context, d RuleDraft) (Rule, error) {
	d.Export, d.Channel = strings.TrimSpace(d.Export), strings.TrimSpace(d.Channel)
	if err := d.Validate(); err != nil {
		return Rule{}, err
	}
	r := Rule{Kind: d.Kind, Percent: d.Percent, Count: d.Count, Duration: d.Duration, CreatedAt: s.now()}
	if d.Export != "" {
		e, err := s.st.GetExport(ctx, d.Export)
		if err != nil {
			return Rule{}, fmt.Errorf("rule: %w", err)
		}
		r.ExportID = e.ID
	}
	if d.Channel != "" {
		c, err := s.st.GetNotifyChannel(ctx, d.Channel)
		if err != nil {
			return Rule{}, fmt.Errorf("rule: %w", err)
		}
		r.ChannelID = c.ID
	}
	r, err := s.st.CreateNotifyRule(ctx, r)
	if err != nil {
		return Rule{}, fmt.Errorf("save rule: %w", err)
	}
	s.log.InfoContext(ctx, "notification rule created", slog.Int64("id", r.ID), slog.String("kind", string(r.Kind)))
	return r, nil
}

// Rules lists every rule by id.
func (s *Service) Rules(ctx context.Context) ([]Rule, error) {
	return s.st.ListNotifyRules(ctx)
}

// RemoveRule deletes rule id.
func (s *Service) RemoveRule(ctx context.Context, id int64) error {
	if err := s.st.DeleteNotifyRule(ctx, id); err != nil {
		return fmt.Errorf("remove rule %d: %w", id, err)
	}
	s.log.InfoContext(ctx, "notification rule removed", slog.Int64("id", id))
	return nil
}

// Deliveries returns the delivery history, newest first: of one channel
// (by name or id) or, with channel "", of all.
func (s *Service) Deliveries(ctx context.Context, channel string, f DeliveryFilter) ([]Delivery, error) {
	if channel != "" {
		c, err := s.st.GetNotifyChannel(ctx, channel)
		if err != nil {
			return nil, err
		}
		f.ChannelID = c.ID
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	return s.st.ListNotifyDeliveries(ctx, f)
}

// Test sends a test notification to channel nameOrID now, waits for the
// answer and returns the attempt (recorded in the history; a failed test
// is not retried).
func (s *Service) Test(ctx context.Context, nameOrID string) (Attempt, error) {
	c, err := s.st.GetNotifyChannel(ctx, nameOrID)
	if err != nil {
		return Attempt{}, err
	}
	now := s.now()
	n := Notification{Schema: SchemaVersion, ID: newID(), Type: TypeTest, Event: TypeTest, CreatedAt: now,
		Text: fmt.Sprintf("Test notification from segbridge to channel %q: if you can read this, the channel works.", c.Name),
		URL:  s.cfg.PublicURL + "/settings/notifications"}
	body, err := n.encode()
	if err != nil {
		return Attempt{}, err
	}
	d, err := s.st.AddNotifyDelivery(ctx, Delivery{
		ChannelID: c.ID, NotificationID: n.ID, Event: n.Event, Summary: summary(n.Text), Payload: body,
		Status: DeliveryPending, MaxAttempts: 1, NextAttempt: now, CreatedAt: now,
		ClaimedBy: s.cfg.Owner, ClaimedUntil: now.Add(claimFor),
	})
	if err != nil {
		return Attempt{}, fmt.Errorf("record the test of channel %q: %w", c.Name, err)
	}
	return s.attempt(ctx, c, d)
}
