// Package audit is segbridge's audit log: who (an e-mail, "cli" or
// "system") did what (an action such as "connection.create") to what, and
// when. The API, the web UI and the CLI record every connection, export and
// user change and every run through it; admins read it newest first.
package audit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"segbridge/internal/user"
)

// Actors that are not a signed-in user.
const (
	ActorCLI    = "cli"
	ActorSystem = "system"
)

// Entry is one audit log line.
type Entry struct {
	ID int64 `json:"id"`
	// At is when it happened (UTC).
	At time.Time `json:"at"`
	// Actor is the user's e-mail, "cli" or "system".
	Actor string `json:"actor"`
	// Action is a dotted verb such as "connection.create" or "export.run".
	Action string `json:"action"`
	// Target names what was acted on, such as a connection's name.
	Target string `json:"target"`
	// Detail is free text; it never holds a secret.
	Detail string `json:"detail"`
}

// ListOptions pages through the log, newest first.
type ListOptions struct {
	// Before returns entries whose id is below this one (0: from the
	// newest).
	Before int64
	// Limit caps the entries returned (1..1000; 0 means 100).
	Limit int
}

// Store keeps the log; store.Store satisfies it.
type Store interface {
	// AppendAudit stores e (its ID is ignored) and returns it with its id.
	AppendAudit(ctx context.Context, e Entry) (Entry, error)
	// ListAudit returns entries newest first as opts says (Limit already
	// within 1..1000).
	ListAudit(ctx context.Context, opts ListOptions) ([]Entry, error)
}

// Config configures a Log.
type Config struct {
	// Store keeps the entries. Required.
	Store Store
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Logger also receives every entry as an info line (default: discard).
	Logger *slog.Logger
}

// WithDefaults returns c with every unset field at its default.
func (c Config) WithDefaults() Config {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return c
}

// Validate reports the first invalid field, naming it.
func (c Config) Validate() error {
	if c.Store == nil {
		return errors.New("audit: config: Store: required")
	}
	return nil
}

// Log records and lists audit entries.
type Log struct {
	cfg Config
	log *slog.Logger
}

// New returns a Log for cfg (defaults applied, then validated).
func New(cfg Config) (*Log, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Log{cfg: cfg, log: cfg.Logger.With(slog.String("component", "audit"))}, nil
}

// Actor names who p is in the log: the user's e-mail, the local operator
// of the command line ("cli:root@host", or "cli" when unknown), or
// "system" for a zero Principal (scheduled work).
func Actor(p user.Principal) string {
	switch {
	case p.Email != "":
		return p.Email
	case p.Actor != "":
		return p.Actor
	case p.Via == "cli":
		return ActorCLI
	}
	return ActorSystem
}

// Record appends an entry: p did action to target. action is required.
func (l *Log) Record(ctx context.Context, p user.Principal, action, target, detail string) error {
	action = strings.TrimSpace(action)
	if action == "" {
		return errors.New("audit: record: action: required")
	}
	e := Entry{At: l.cfg.Now().UTC(), Actor: Actor(p), Action: action, Target: target, Detail: detail}
	e, err := l.cfg.Store.AppendAudit(ctx, e)
	if err != nil {
		return fmt.Errorf("audit: record %s %q: %w", action, target, err)
	}
	l.log.Info("audit", "id", e.ID, "actor", e.Actor, "action", e.Action, "target", e.Target, "detail", e.Detail)
	return nil
}

// List returns entries newest first.
func (l *Log) List(ctx context.Context, opts ListOptions) ([]Entry, error) {
	switch {
	case opts.Limit < 0 || opts.Limit > 1000:
		return nil, fmt.Errorf("audit: list: limit %d: want 1..1000", opts.Limit)
	case opts.Before < 0:
		return nil, fmt.Errorf("audit: list: before %d: want a positive id", opts.Before)
	case opts.Limit == 0:
		opts.Limit = 100
	}
	es, err := l.cfg.Store.ListAudit(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("audit: list: %w", err)
	}
	return es, nil
}
