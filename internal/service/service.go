package service

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"time"

	"segbridge/internal/audit"
	"segbridge/internal/connection"
	"segbridge/internal/ingest"
	"segbridge/internal/jobs"
	"segbridge/internal/notify"
	"segbridge/internal/readback"
	"segbridge/internal/store"
	"segbridge/internal/user"
)

// Config configures the services.
type Config struct {
	// Store is where state lives. Required.
	Store store.Store
	// Audit records one entry per use case. Required.
	Audit *audit.Log
	// Jobs queues background work: the system refresh (default: none;
	// System.RefreshNow then answers unavailable).
	Jobs *jobs.Client
	// Notify keeps notification channels and rules and sends test
	// notifications (default: none; Notify's methods then answer
	// unavailable).
	Notify *notify.Service
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Logger receives what users are not shown (default: discard).
	Logger *slog.Logger
	// Connections checks API keys against Omnisend and keeps connections
	// with their sealed keys (needed by Services.Connections).
	Connections *connection.Service
	// SyncUnsubscribes reads a connection's (name or id) unsubscribes back
	// from Omnisend onto the profiles: the application's
	// SyncUnsubscribes (needed by Services.Connections.SyncUnsubscribes).
	SyncUnsubscribes func(ctx context.Context, connection string) (readback.SyncResult, error)
	// Sources reads sources and unifies their rows (needed by
	// Services.Sources).
	Sources *ingest.Ingester
	// Users keeps users, their passwords and API tokens (needed by
	// Services.Users).
	Users *user.Service
	// Queue queues the job of run runID for the workers; resume also
	// releases the job of an interrupted run. It returns the job's id.
	// Runs.Start needs it (app: the River client).
	Queue func(ctx context.Context, runID int64, resume bool) (jobID int64, err error)
	// Verify reads an export's contacts back from Omnisend and compares
	// them with its confirmed state. Runs.Verify needs it (app:
	// App.VerifyExport).
	Verify func(ctx context.Context, exportName string, opt VerifyOptions) (VerifyResult, error)
	// Plan previews a run of an export, writing nothing. Runs.Plan needs
	// it (app: App.PreviewExport).
	Plan func(ctx context.Context, exportName string, opt PlanOptions) (PlanResult, error)
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
	switch {
	case c.Store == nil:
		return errors.New("service: config: Store: required")
	case c.Audit == nil:
		return errors.New("service: config: Audit: required")
	}
	return nil
}

// Services are the application services, one per concept.
type Services struct {
	Segments    *Segments
	Profiles    *Profiles
	System      *System
	Notify      *Notify
	Connections *Connections
	Users       *Users
	Exports     *Exports
	Runs        *Runs
	Sources     *Sources
}

// New builds the services on cfg (defaults applied, then validated).
func New(cfg Config) (*Services, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := &core{cfg: cfg, st: cfg.Store, log: cfg.Logger.With(slog.String("component", "service"))}
	exports := &Exports{core: c}
	return &Services{
		Segments:    &Segments{core: c},
		Profiles:    &Profiles{core: c},
		System:      &System{core: c},
		Notify:      &Notify{core: c, n: cfg.Notify},
		Connections: &Connections{core: c, conns: cfg.Connections, sync: cfg.SyncUnsubscribes},
		Users:       &Users{core: c, users: cfg.Users},
		Exports:     exports,
		Runs:        &Runs{core: c, exports: exports},
		Sources:     &Sources{core: c, in: cfg.Sources},
	}, nil
}

// core is what every service shares.
type core struct {
	cfg Config
	st  store.Store
	log *slog.Logger
}

func (c *core) now() time.Time { return c.cfg.Now() }

// record writes the use case's audit entry. A failure to record is
// logged, not returned: the change itself has been made.
func (c *core) record(ctx context.Context, p user.Principal, a Action, target, detail string) {
	if err := c.cfg.Audit.Record(ctx, p, string(a), target, detail); err != nil {
		c.log.ErrorContext(ctx, "audit entry not recorded", slog.String("action", string(a)),
			slog.String("target", target), slog.String("actor", audit.Actor(p)), slog.Any("error", err))
	}
}

// adminOnlyConnections returns the names of the connections among ids
// that only admins may use (ids of removed connections are skipped).
func (c *core) adminOnlyConnections(ctx context.Context, ids ...int64) ([]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	conns, err := c.st.ListConnections(ctx)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, cn := range conns {
		for _, id := range ids {
			if cn.ID == id && cn.Access != connection.AccessContributors {
				names = append(names, cn.Name)
				break
			}
		}
	}
	return names, nil
}
