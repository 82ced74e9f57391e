package service

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"segbridge/internal/notify"
	"segbridge/internal/store"
	"segbridge/internal/user"
)

// Notify changes notification channels and rules, and sends test
// notifications. Reading them (channels, rules, deliveries) is
// notify.Service's; its validation (notify.ChannelDraft.Validate,
// notify.RuleDraft.Validate) stays there too, its *notify.FieldError
// turned into an invalid field here.
type Notify struct {
	*core
	n *notify.Service
}

// CreateChannel validates and saves a channel, its secrets sealed.
func (s *Notify) CreateChannel(ctx context.Context, p user.Principal, d notify.ChannelDraft) (notify.Channel, error) {
	if err := s.ready(p, NotifyChannelCreate); err != nil {
		return notify.Channel{}, err
	}
	c, err := s.n.CreateChannel(ctx, d)
	if errors.Is(err, store.ErrConflict) {
		return c, Conflict("a channel named %q already exists", d.Name).because(err)
	}
	if err != nil {
		return c, notifyError(err)
	}
	s.record(ctx, p, NotifyChannelCreate, c.Name, fmt.Sprintf("%s to %s; events %s", c.Kind, c.Target, c.Events))
	return c, nil
}

// RemoveChannel removes a channel (by name or id) with its rules and its
// delivery history.
func (s *Notify) RemoveChannel(ctx context.Context, p user.Principal, nameOrID string) (notify.Channel, error) {
	if err := s.ready(p, NotifyChannelRemove); err != nil {
		return notify.Channel{}, err
	}
	c, err := s.n.RemoveChannel(ctx, nameOrID)
	if err != nil {
		return c, channelError(nameOrID, err)
	}
	s.record(ctx, p, NotifyChannelRemove, c.Name, string(c.Kind)+" to "+c.Target)
	return c, nil
}

// TestChannel sends a test notification to a channel (by name or id)
// now and returns the attempt. A test the channel did not accept is not
// an error: the attempt says what went wrong (and the audit entry too).
func (s *Notify) TestChannel(ctx context.Context, p user.Principal, nameOrID string) (notify.Attempt, error) {
	if err := s.ready(p, NotifyChannelTest); err != nil {
		return notify.Attempt{}, err
	}
	c, err := s.n.Channel(ctx, nameOrID)
	if err != nil {
		return notify.Attempt{}, channelError(nameOrID, err)
	}
	a, err := s.n.Test(ctx, c.Name)
	if err != nil {
		return a, channelError(nameOrID, err)
	}
	s.record(ctx, p, NotifyChannelTest, c.Name, attemptLine(a))
	return a, nil
}

// CreateRule validates a rule, resolves its export and channel by name
// and saves it.
func (s *Notify) CreateRule(ctx context.Context, p user.Principal, d notify.RuleDraft) (notify.Rule, error) {
	if err := s.ready(p, NotifyRuleCreate); err != nil {
		return notify.Rule{}, err
	}
	r, err := s.n.CreateRule(ctx, d)
	if errors.Is(err, store.ErrNotFound) {
		return r, s.missingRef(ctx, d).because(err)
	}
	if err != nil {
		return r, notifyError(err)
	}
	s.record(ctx, p, NotifyRuleCreate, "rule "+strconv.FormatInt(r.ID, 10), ruleDetail(r, d.Export, d.Channel))
	return r, nil
}

// RemoveRule removes rule id.
func (s *Notify) RemoveRule(ctx context.Context, p user.Principal, id int64) error {
	if err := s.ready(p, NotifyRuleRemove); err != nil {
		return err
	}
	err := s.n.RemoveRule(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return NotFound("no rule %d", id).because(err)
	}
	if err != nil {
		return err
	}
	s.record(ctx, p, NotifyRuleRemove, "rule "+strconv.FormatInt(id, 10), "")
	return nil
}

// ready checks the permission table, and that notifications are
// configured at all.
func (s *Notify) ready(p user.Principal, a Action) error {
	if err := allow(p, a, Subject{}); err != nil {
		return err
	}
	if s.n == nil {
		return Unavailable("notifications are not configured in this process")
	}
	return nil
}

// missingRef names what a rule names that does not exist: its export or
// its channel.
func (s *Notify) missingRef(ctx context.Context, d notify.RuleDraft) *Error {
	if d.Export != "" {
		if _, err := s.st.GetExport(ctx, d.Export); errors.Is(err, store.ErrNotFound) {
			return &Error{Kind: KindNotFound, Msg: fmt.Sprintf("no export named %q", d.Export),
				Fields: []FieldProblem{{Field: "export", Msg: fmt.Sprintf("no export named %q", d.Export)}}}
		}
	}
	return &Error{Kind: KindNotFound, Msg: fmt.Sprintf("no notification channel named %q", d.Channel),
		Fields: []FieldProblem{{Field: "channel", Msg: fmt.Sprintf("no notification channel named %q", d.Channel)}}}
}

// channelError is a channel's not-found in plain words, or err.
func channelError(nameOrID string, err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return NotFound("no notification channel named %q", nameOrID).because(err)
	}
	return notifyError(err)
}

// notifyError turns notify's field errors into an invalid field.
func notifyError(err error) error {
	var fe *notify.FieldError
	if errors.As(err, &fe) {
		return Invalid(fe.Field, "%s", fe.Msg).because(err)
	}
	return err
}

// ruleDetail is a rule in the audit log's words.
func ruleDetail(r notify.Rule, exportName, channelName string) string {
	b := string(r.Kind)
	if t := r.Threshold(); t != "" {
		b += " " + t
	}
	if exportName == "" {
		exportName = "every export"
	}
	if channelName == "" {
		channelName = "every channel"
	}
	return b + "; " + exportName + " → " + channelName
}

// attemptLine says a test's outcome in a few words.
func attemptLine(a notify.Attempt) string {
	if !a.OK {
		return "failed: " + a.Error
	}
	answer := "no answer"
	if a.Code >= 100 && a.Code < 600 {
		answer = "answer " + strconv.Itoa(a.Code)
	}
	return fmt.Sprintf("delivered (%s) in %s", answer, a.Duration.Round(time.Millisecond))
}
