package api

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"segbridge/internal/notify"
	"segbridge/internal/omnisend"
)

// notifyChannelJSON is a notification channel: never a secret. Target is
// where it delivers, without credentials, query or token.
type notifyChannelJSON struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Kind   string `json:"kind" enum:"webhook,slack,email"`
	Events string `json:"events" example:"alerts" doc:"what it receives: alerts, lifecycle or alerts,lifecycle"`
	Target string `json:"target" doc:"where it delivers: a URL without its query, a Slack hook's host and the end of its path, or the SMTP server and recipients"`
	// SMTP is an e-mail channel's server and addresses (never the password).
	SMTP   *notify.SMTP `json:"smtp,omitempty"`
	Status string       `json:"status" enum:"new,ok,retrying,failing" doc:"failing: several attempts in a row failed (it is still retried)"`
	// Failures counts the failed attempts since the last success.
	Failures      int        `json:"failures"`
	LastError     string     `json:"last_error,omitempty"`
	LastAttemptAt *time.Time `json:"last_attempt_at,omitempty"`
	LastSuccessAt *time.Time `json:"last_success_at,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
}

func toNotifyChannelJSON(c notify.Channel) notifyChannelJSON {
	j := notifyChannelJSON{ID: c.ID, Name: c.Name, Kind: string(c.Kind), Events: c.Events.String(), Target: c.Target,
		Status: c.Health.Status(), Failures: c.Health.Failures, LastError: c.Health.LastError,
		LastAttemptAt: optTime(c.Health.LastAttemptAt), LastSuccessAt: optTime(c.Health.LastSuccessAt), CreatedAt: c.CreatedAt}
	if c.Kind == notify.KindEmail {
		s := c.SMTP
		j.SMTP = &s
	}
	return j
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

type notifyChannelsOutput struct{ Body []notifyChannelJSON }

type notifyChannelOutput struct{ Body notifyChannelJSON }

type notifyChannelRef struct {
	Name string `path:"name" minLength:"1" doc:"the channel's name or id"`
}

type smtpBody struct {
	Host     string   `json:"host" minLength:"1" maxLength:"253" example:"smtp.example.com"`
	Port     int      `json:"port,omitempty" minimum:"1" maximum:"65535" default:"587"`
	StartTLS bool     `json:"starttls,omitempty" doc:"upgrade with STARTTLS (required to send a password to another machine)"`
	User     string   `json:"user,omitempty" maxLength:"320"`
	Password string   `json:"password,omitempty" maxLength:"4096" writeOnly:"true" doc:"stored sealed, never shown again"`
	From     string   `json:"from" minLength:"3" maxLength:"320" example:"segbridge@example.com"`
	To       []string `json:"to" minItems:"1" maxItems:"50" example:"[\"ops@example.com\"]"`
}

type createNotifyChannelInput struct {
	Body struct {
		Name   string `json:"name" minLength:"1" maxLength:"100" example:"ops"`
		Kind   string `json:"kind" enum:"webhook,slack,email"`
		Events string `json:"events,omitempty" maxLength:"40" default:"alerts" doc:"alerts, lifecycle (every run queued, started, finished, failed, held) or alerts,lifecycle"`
		// URL is stored sealed (such URLs often hold a token).
		URL string `json:"url,omitempty" maxLength:"2000" writeOnly:"true" doc:"the webhook's or Slack hook's URL (webhook, slack); stored sealed"`
		// Secret signs webhook bodies (X-Segbridge-Signature).
		Secret string    `json:"secret,omitempty" maxLength:"4096" writeOnly:"true" doc:"the webhook's signing secret, 16 characters or more; stored sealed, never shown again"`
		SMTP   *smtpBody `json:"smtp,omitempty" doc:"the e-mail channel's server (email)"`
	}
}

type notifyAttemptJSON struct {
	At         time.Time `json:"at"`
	DurationMS int64     `json:"duration_ms"`
	Code       int       `json:"code" doc:"the HTTP status or SMTP reply code; 0 without an answer"`
	Response   string    `json:"response,omitempty" doc:"the start of the answer"`
	Error      string    `json:"error,omitempty"`
	OK         bool      `json:"ok"`
}

func toNotifyAttemptJSON(a notify.Attempt) notifyAttemptJSON {
	return notifyAttemptJSON{At: a.At, DurationMS: a.Duration.Milliseconds(), Code: a.Code, Response: a.Response, Error: a.Error, OK: a.OK}
}

type notifyAttemptOutput struct{ Body notifyAttemptJSON }

func (s *server) registerNotify(api huma.API) {
	const tag = "notifications"
	huma.Register(api, operation("list-notification-channels", http.MethodGet, "/notifications/channels", "List notification channels with their status", tag, 200), s.listNotifyChannels)
	huma.Register(api, operation("get-notification-channel", http.MethodGet, "/notifications/channels/{name}", "Get one notification channel", tag, 200), s.getNotifyChannel)
	create := operation("create-notification-channel", http.MethodPost, "/notifications/channels", "Add a notification channel: a signed webhook, a Slack incoming webhook or e-mail (admin)", tag, 201)
	create.Description = "The URL, the signing secret and the SMTP password are stored sealed and never shown again. Webhook bodies are " +
		"signed: X-Segbridge-Signature: t=<unix seconds>,v1=<hex of HMAC-SHA256(secret, \"<t>.<body>\")>. The payloads are " +
		"described by docs/notifications.schema.json."
	huma.Register(api, create, s.createNotifyChannel)
	huma.Register(api, operation("delete-notification-channel", http.MethodDelete, "/notifications/channels/{name}", "Remove a notification channel, its rules and its delivery history (admin)", tag, 204), s.deleteNotifyChannel)
	huma.Register(api, operation("test-notification-channel", http.MethodPost, "/notifications/channels/{name}/test", "Send a test notification now and return the attempt (admin)", tag, 200), s.testNotifyChannel)
	huma.Register(api, operation("list-notification-rules", http.MethodGet, "/notifications/rules", "List notification rules (admin)", tag, 200), s.listNotifyRules)
	huma.Register(api, operation("create-notification-rule", http.MethodPost, "/notifications/rules", "Add a notification rule (admin)", tag, 201), s.createNotifyRule)
	huma.Register(api, operation("delete-notification-rule", http.MethodDelete, "/notifications/rules/{id}", "Remove a notification rule (admin)", tag, 204), s.deleteNotifyRule)
	huma.Register(api, operation("list-notification-deliveries", http.MethodGet, "/notifications/deliveries", "The delivery history, newest first, with every attempt and its answer (admin)", tag, 200), s.listNotifyDeliveries)
}

func (s *server) listNotifyChannels(ctx context.Context, _ *noInput) (*notifyChannelsOutput, error) {
	if _, err := principal(ctx); err != nil {
		return nil, err
	}
	cs, err := s.a.Notify.Channels(ctx)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	out := &notifyChannelsOutput{Body: []notifyChannelJSON{}}
	for _, c := range cs {
		out.Body = append(out.Body, toNotifyChannelJSON(c))
	}
	return out, nil
}

func (s *server) getNotifyChannel(ctx context.Context, in *notifyChannelRef) (*notifyChannelOutput, error) {
	if _, err := principal(ctx); err != nil {
		return nil, err
	}
	c, err := s.a.Notify.Channel(ctx, in.Name)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	return &notifyChannelOutput{Body: toNotifyChannelJSON(c)}, nil
}

func (s *server) createNotifyChannel(ctx context.Context, in *createNotifyChannelInput) (*notifyChannelOutput, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	b := in.Body
	d := notify.ChannelDraft{Name: b.Name, Kind: notify.Kind(b.Kind), URL: omnisend.NewSecret(b.URL), Secret: omnisend.NewSecret(b.Secret)}
	if b.Events != "" {
		if d.Events, err = notify.ParseEvents(b.Events); err != nil {
			var fe *notify.FieldError
			if errors.As(err, &fe) {
				return nil, invalid(fe.Field, fe.Msg)
			}
			return nil, s.problem(ctx, err)
		}
	}
	if b.SMTP != nil {
		d.SMTP = notify.SMTP{Host: b.SMTP.Host, Port: b.SMTP.Port, StartTLS: b.SMTP.StartTLS, User: b.SMTP.User, From: b.SMTP.From, To: b.SMTP.To}
		d.Password = omnisend.NewSecret(b.SMTP.Password)
	}
	c, err := s.a.Services.Notify.CreateChannel(ctx, p, d)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	return &notifyChannelOutput{Body: toNotifyChannelJSON(c)}, nil
}

func (s *server) deleteNotifyChannel(ctx context.Context, in *notifyChannelRef) (*struct{}, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := s.a.Services.Notify.RemoveChannel(ctx, p, in.Name); err != nil {
		return nil, s.problem(ctx, err)
	}
	return nil, nil
}

func (s *server) testNotifyChannel(ctx context.Context, in *notifyChannelRef) (*notifyAttemptOutput, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	a, err := s.a.Services.Notify.TestChannel(ctx, p, in.Name)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	return &notifyAttemptOutput{Body: toNotifyAttemptJSON(a)}, nil
}

// notifyRuleJSON is a rule with its export and channel by name.
type notifyRuleJSON struct {
	ID   int64  `json:"id"`
	Kind string `json:"kind" enum:"run_failed,run_held,contacts_rejected,members_changed,run_slow,source_failed,key_rejected"`
	// Export is the watched export's name; absent: every export.
	Export string `json:"export,omitempty" doc:"the export watched; absent: every export"`
	// Channel is the channel told; absent: every channel that takes alerts.
	Channel         string    `json:"channel,omitempty" doc:"the channel told; absent: every channel that takes alerts"`
	Percent         float64   `json:"percent,omitempty"`
	Count           int       `json:"count,omitempty"`
	DurationSeconds float64   `json:"duration_seconds,omitempty"`
	Threshold       string    `json:"threshold,omitempty" doc:"the threshold in words"`
	CreatedAt       time.Time `json:"created_at"`
}

type notifyRulesOutput struct{ Body []notifyRuleJSON }

type notifyRuleOutput struct{ Body notifyRuleJSON }

type createNotifyRuleInput struct {
	Body struct {
		Kind    string  `json:"kind" enum:"run_failed,run_held,contacts_rejected,members_changed,run_slow,source_failed,key_rejected"`
		Export  string  `json:"export,omitempty" maxLength:"200" doc:"watch only this export (name or id); default: every export"`
		Channel string  `json:"channel,omitempty" maxLength:"200" doc:"tell only this channel (name or id); default: every channel that takes alerts"`
		Percent float64 `json:"percent,omitempty" minimum:"0" maximum:"10000" doc:"contacts_rejected: of the contacts a successful run sent; members_changed: against the average of the last 5 successful runs"`
		Count   int     `json:"count,omitempty" minimum:"0" doc:"contacts_rejected: more than this many contacts"`
		// Duration is run_slow's threshold, a Go duration.
		Duration string `json:"duration,omitempty" maxLength:"32" example:"45m" doc:"run_slow: longer than this, such as 45m"`
	}
}

type notifyRuleRef struct {
	ID int64 `path:"id" minimum:"1"`
}

// ruleJSONs names the rules' exports and channels.
func (s *server) ruleJSONs(ctx context.Context, rules []notify.Rule) ([]notifyRuleJSON, error) {
	exports, err := s.a.Store.ListExports(ctx)
	if err != nil {
		return nil, err
	}
	chans, err := s.a.Notify.Channels(ctx)
	if err != nil {
		return nil, err
	}
	en, cn := map[int64]string{}, map[int64]string{}
	for _, e := range exports {
		en[e.ID] = e.Name
	}
	for _, c := range chans {
		cn[c.ID] = c.Name
	}
	out := make([]notifyRuleJSON, 0, len(rules))
	for _, r := range rules {
		out = append(out, notifyRuleJSON{ID: r.ID, Kind: string(r.Kind), Export: en[r.ExportID], Channel: cn[r.ChannelID],
			Percent: r.Percent, Count: r.Count, DurationSeconds: r.Duration.Seconds(), Threshold: r.Threshold(), CreatedAt: r.CreatedAt})
	}
	return out, nil
}

func (s *server) listNotifyRules(ctx context.Context, _ *noInput) (*notifyRulesOutput, error) {
	if _, err := admin(ctx); err != nil {
		return nil, err
	}
	rules, err := s.a.Notify.Rules(ctx)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	out, err := s.ruleJSONs(ctx, rules)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	return &notifyRulesOutput{Body: out}, nil
}

func (s *server) createNotifyRule(ctx context.Context, in *createNotifyRuleInput) (*notifyRuleOutput, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	b := in.Body
	d := notify.RuleDraft{Kind: notify.RuleKind(b.Kind), Export: b.Export, Channel: b.Channel, Percent: b.Percent, Count: b.Count}
	if strings.TrimSpace(b.Duration) != "" {
		if d.Duration, err = time.ParseDuration(strings.TrimSpace(b.Duration)); err != nil {
			return nil, invalid("duration", "want a duration such as 45m")
		}
	}
	r, err := s.a.Services.Notify.CreateRule(ctx, p, d)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	out, err := s.ruleJSONs(ctx, []notify.Rule{r})
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	return &notifyRuleOutput{Body: out[0]}, nil
}

func (s *server) deleteNotifyRule(ctx context.Context, in *notifyRuleRef) (*struct{}, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.a.Services.Notify.RemoveRule(ctx, p, in.ID); err != nil {
		return nil, s.problem(ctx, err)
	}
	return nil, nil
}

type notifyDeliveriesInput struct {
	Channel string `query:"channel" maxLength:"200" doc:"only this channel's (name or id)"`
	Before  int64  `query:"before" minimum:"0" doc:"deliveries with ids below this one (the last id of the previous page)"`
	Limit   int    `query:"limit" minimum:"1" maximum:"500" default:"50"`
}

type notifyDeliveryJSON struct {
	ID             int64  `json:"id"`
	Channel        string `json:"channel"`
	NotificationID string `json:"notification_id" doc:"the payload's id"`
	Event          string `json:"event" example:"run.failed"`
	Summary        string `json:"summary"`
	RunID          int64  `json:"run_id,omitempty"`
	Status         string `json:"status" enum:"pending,delivered,failed"`
	Attempts       int    `json:"attempts"`
	// NextAttemptAt is when a pending delivery is tried next.
	NextAttemptAt *time.Time          `json:"next_attempt_at,omitempty"`
	LastError     string              `json:"last_error,omitempty"`
	CreatedAt     time.Time           `json:"created_at"`
	FinishedAt    *time.Time          `json:"finished_at,omitempty"`
	History       []notifyAttemptJSON `json:"history"`
}

type notifyDeliveriesOutput struct{ Body []notifyDeliveryJSON }

func (s *server) listNotifyDeliveries(ctx context.Context, in *notifyDeliveriesInput) (*notifyDeliveriesOutput, error) {
	if _, err := admin(ctx); err != nil {
		return nil, err
	}
	ds, err := s.a.Notify.Deliveries(ctx, in.Channel, notify.DeliveryFilter{Before: in.Before, Limit: in.Limit})
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	out := &notifyDeliveriesOutput{Body: []notifyDeliveryJSON{}}
	for _, d := range ds {
		j := notifyDeliveryJSON{ID: d.ID, Channel: d.Channel, NotificationID: d.NotificationID, Event: d.Event, Summary: d.Summary,
			RunID: d.RunID, Status: string(d.Status), Attempts: d.Attempts, LastError: d.LastError, CreatedAt: d.CreatedAt,
			FinishedAt: optTime(d.FinishedAt), History: []notifyAttemptJSON{}}
		if d.Status == notify.DeliveryPending {
			j.NextAttemptAt = optTime(d.NextAttempt)
		}
		for _, a := range d.History {
			j.History = append(j.History, toNotifyAttemptJSON(a))
		}
		out.Body = append(out.Body, j)
	}
	return out, nil
}
