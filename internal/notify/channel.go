package notify

import (
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"segbridge/internal/omnisend"
)

// Kind is how a channel delivers.
type Kind string

// Channel kinds.
const (
	// KindWebhook POSTs the notification as JSON, signed (see Sign).
	KindWebhook Kind = "webhook"
	// KindSlack POSTs {"text": ...} to a Slack-compatible incoming webhook.
	KindSlack Kind = "slack"
	// KindEmail sends a plain-text e-mail over SMTP.
	KindEmail Kind = "email"
)

// Events says what a channel receives: alerts (the rules' conditions
// starting and ending), lifecycle notifications (every run queued,
// started and ended), or both.
type Events struct {
	Alerts    bool `json:"alerts"`
	Lifecycle bool `json:"lifecycle"`
}

// ParseEvents reads "alerts", "lifecycle" or "alerts,lifecycle" ("all" is
// both).
func ParseEvents(s string) (Events, error) {
	var e Events
	for _, part := range strings.Split(s, ",") {
		switch strings.ToLower(strings.TrimSpace(part)) {
		case "alerts", "alert":
			e.Alerts = true
		case "lifecycle":
			e.Lifecycle = true
		case "all":
			e.Alerts, e.Lifecycle = true, true
		case "":
		default:
			return Events{}, &FieldError{Field: "events", Msg: fmt.Sprintf("%q: want alerts, lifecycle or alerts,lifecycle", part)}
		}
	}
	if !e.Alerts && !e.Lifecycle {
		return Events{}, &FieldError{Field: "events", Msg: "name at least one of alerts and lifecycle"}
	}
	return e, nil
}

// String is the form ParseEvents reads.
func (e Events) String() string {
	switch {
	case e.Alerts && e.Lifecycle:
		return "alerts,lifecycle"
	case e.Lifecycle:
		return "lifecycle"
	case e.Alerts:
		return "alerts"
	}
	return ""
}

// SMTP is an e-mail channel's server and addresses. The password is not
// here: it is sealed with the channel's other secrets.
type SMTP struct {
	Host string `json:"host"`
	Port int    `json:"port"`
	// StartTLS upgrades the connection before anything else is sent; a
	// server that does not offer it is an error. Without it a password is
	// only sent to a server on this machine (127.0.0.1, ::1, localhost).
	StartTLS bool     `json:"starttls"`
	User     string   `json:"user,omitempty"`
	From     string   `json:"from"`
	To       []string `json:"to"`
}

// Addr is host:port.
func (s SMTP) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

// Channel is a stored channel. It carries no secret: Target is what may be
// shown of where it delivers.
type Channel struct {
	ID     int64
	Name   string
	Kind   Kind
	Events Events
	// Target is where it delivers, for people: a webhook's URL without
	// its query or credentials, a Slack hook's host and the end of its
	// path, or the SMTP server and recipients.
	Target string
	// SMTP is set for e-mail channels.
	SMTP      SMTP
	Health    Health
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Health is how a channel's deliveries have gone.
type Health struct {
	// Failing is set once Failures reaches Config.FailingAfter and
	// cleared by the next successful attempt.
	Failing bool
	// Failures counts the failed attempts since the last success.
	Failures      int
	LastError     string
	LastAttemptAt time.Time
	LastSuccessAt time.Time
}

// Status is "new" (never tried), "ok", "retrying" (the last attempt
// failed) or "failing" (FailingAfter attempts in a row failed).
func (h Health) Status() string {
	switch {
	case h.Failing:
		return "failing"
	case h.Failures > 0:
		return "retrying"
	case h.LastAttemptAt.IsZero():
		return "new"
	}
	return "ok"
}

// ChannelDraft is a channel as an admin describes it.
type ChannelDraft struct {
	Name   string
	Kind   Kind
	Events Events
	// URL is the webhook's or the Slack hook's address (sealed: such
	// URLs often carry a token).
	URL omnisend.Secret
	// Secret signs webhook bodies (required for webhooks, at least 16
	// characters; the receiver needs it to verify).
	Secret omnisend.Secret
	SMTP   SMTP
	// Password is the SMTP password (with SMTP.User).
	Password omnisend.Secret
}

// Limits of a draft.
const (
	maxNameLen      = 100
	minSecretLen    = 16
	maxSecretLen    = 4096
	maxURLLen       = 2000
	maxRecipients   = 50
	defaultSMTPPort = 587
)

// WithDefaults trims the draft and fills unset fields: events alerts, the
// SMTP port 587.
func (d ChannelDraft) WithDefaults() ChannelDraft {
	d.Name = strings.TrimSpace(d.Name)
	if !d.Events.Alerts && !d.Events.Lifecycle {
		d.Events = Events{Alerts: true}
	}
	if d.Kind == KindEmail {
		d.SMTP.Host = strings.TrimSpace(d.SMTP.Host)
		if d.SMTP.Port == 0 {
			d.SMTP.Port = defaultSMTPPort
		}
		d.SMTP.User, d.SMTP.From = strings.TrimSpace(d.SMTP.User), strings.TrimSpace(d.SMTP.From)
		to := d.SMTP.To[:0:0]
		for _, a := range d.SMTP.To {
			for _, part := range strings.Split(a, ",") {
				if part = strings.TrimSpace(part); part != "" {
					to = append(to, part)
				}
			}
		}
		d.SMTP.To = to
	}
	return d
}

// Validate reports the first invalid field as a *FieldError. Messages
// never hold a secret.
func (d ChannelDraft) Validate() error {
	if err := validateName(d.Name); err != nil {
		return err
	}
	switch d.Kind {
	case KindWebhook:
		if err := validateURL("url", d.URL.Reveal()); err != nil {
			return err
		}
		if n := len(d.Secret.Reveal()); n < minSecretLen || n > maxSecretLen {
			return &FieldError{Field: "secret", Msg: fmt.Sprintf("want a signing secret of %d to %d characters (the receiver verifies signatures with it)", minSecretLen, maxSecretLen)}
		}
	case KindSlack:
		return validateURL("url", d.URL.Reveal())
	case KindEmail:
		return d.SMTP.validate(d.Password)
	default:
		return &FieldError{Field: "kind", Msg: fmt.Sprintf("%q: want webhook, slack or email", d.Kind)}
	}
	return nil
}

func validateName(name string) error {
	switch {
	case name == "":
		return &FieldError{Field: "name", Msg: "required"}
	case len(name) > maxNameLen:
		return &FieldError{Field: "name", Msg: fmt.Sprintf("at most %d characters", maxNameLen)}
	case strings.ContainsFunc(name, unicode.IsControl):
		return &FieldError{Field: "name", Msg: "no control characters"}
	}
	return nil
}

// validateURL checks an http(s) URL without echoing it (it may hold a
// token).
func validateURL(field, raw string) error {
	if raw == "" {
		return &FieldError{Field: field, Msg: "required"}
	}
	if len(raw) > maxURLLen {
		return &FieldError{Field: field, Msg: fmt.Sprintf("at most %d characters", maxURLLen)}
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Hostname() == "" {
		return &FieldError{Field: field, Msg: "want an absolute http:// or https:// URL"}
	}
	return nil
}

func (s SMTP) validate(password omnisend.Secret) error {
	switch {
	case s.Host == "" || strings.ContainsAny(s.Host, " /:@") && net.ParseIP(s.Host) == nil:
		return &FieldError{Field: "smtp.host", Msg: "want the SMTP server's host name or address"}
	case s.Port < 1 || s.Port > 65535:
		return &FieldError{Field: "smtp.port", Msg: fmt.Sprintf("%d: want 1 to 65535", s.Port)}
	case s.User == "" && !password.IsZero():
		return &FieldError{Field: "smtp.user", Msg: "a password needs a user"}
	case s.User != "" && password.IsZero():
		return &FieldError{Field: "smtp.password", Msg: "the user needs a password"}
	case s.User != "" && !s.StartTLS && !isLocalHost(s.Host):
		return &FieldError{Field: "smtp.starttls", Msg: "a password is only sent over STARTTLS, or to a server on this machine"}
	}
	if _, err := mail.ParseAddress(s.From); err != nil {
		return &FieldError{Field: "smtp.from", Msg: fmt.Sprintf("%q is not an e-mail address", s.From)}
	}
	if len(s.To) == 0 || len(s.To) > maxRecipients {
		return &FieldError{Field: "smtp.to", Msg: fmt.Sprintf("want 1 to %d recipients", maxRecipients)}
	}
	for _, a := range s.To {
		if _, err := mail.ParseAddress(a); err != nil {
			return &FieldError{Field: "smtp.to", Msg: fmt.Sprintf("%q is not an e-mail address", a)}
		}
	}
	return nil
}

func isLocalHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// target is what may be shown of where the draft delivers.
func (d ChannelDraft) target() string {
	switch d.Kind {
	case KindEmail:
		return d.SMTP.Addr() + " → " + strings.Join(d.SMTP.To, ", ")
	case KindSlack:
		return redactHook(d.URL.Reveal())
	}
	return redactURL(d.URL.Reveal())
}

// redactURL drops a URL's credentials, query and fragment.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unreadable URL)"
	}
	u.User, u.RawQuery, u.Fragment, u.ForceQuery = nil, "", "", false
	if raw != u.String() {
		return u.String() + " (query hidden)"
	}
	return u.String()
}

// redactHook shows a Slack-style hook's host and the last 4 characters of
// its path (the path is the token).
func redactHook(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unreadable URL)"
	}
	p := strings.TrimRight(u.Path, "/")
	tail := ""
	if len(p) > 4 {
		tail = "…" + p[len(p)-4:]
	}
	return u.Scheme + "://" + u.Host + "/" + tail
}

// secrets are the sealed parts of a channel.
type secrets struct {
	URL      string `json:"url,omitempty"`
	Secret   string `json:"secret,omitempty"`
	Password string `json:"password,omitempty"`
}

// ChannelAD is the associated data a channel's secrets are sealed with:
// bound to its id, so sealed secrets copied to another row do not open.
func ChannelAD(id int64) []byte { return []byte("notify-channel:" + strconv.FormatInt(id, 10)) }

// FieldError is an invalid field of a channel or a rule.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }
