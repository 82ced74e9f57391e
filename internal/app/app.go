// Package app wires segbridge together: it turns configuration into an open,
// migrated store, a logger and a clock, and closes them in one place.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"segbridge/internal/audit"
	"segbridge/internal/connection"
	"segbridge/internal/ingest"
	"segbridge/internal/jobs"
	"segbridge/internal/metrics"
	"segbridge/internal/notify"
	"segbridge/internal/omnisend"
	"segbridge/internal/omnisend/pgbudget"
	"segbridge/internal/run"
	"segbridge/internal/secret"
	"segbridge/internal/service"
	"segbridge/internal/store"
	"segbridge/internal/store/postgres"
	"segbridge/internal/store/sqlite"
	"segbridge/internal/user"
)

// DefaultDataDir is where the embedded database lives unless configured.
const DefaultDataDir = "./segbridge-data"

// Config is what the application needs to start.
type Config struct {
	// DatabaseURL selects the engine: "sqlite:///path/file.db" or
	// "postgres://...". Empty means SQLite at DataDir/segbridge.db.
	DatabaseURL string
	// DataDir holds the embedded database and local files (default
	// ./segbridge-data).
	DataDir string
	// Logger receives structured logs (default: discard).
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
	// MasterKey is SEGBRIDGE_MASTER_KEY: the base64 of the 32-byte key that
	// seals secrets at rest. Empty: the key file master.key in DataDir,
	// created (mode 0600) on first start. Processes that share a database
	// must share the key.
	MasterKey secret.EnvKey
	// Omnisend tunes how runs talk to Omnisend.
	Omnisend OmnisendConfig
	// Worker tunes the background jobs (River).
	Worker WorkerConfig
	// PasswordCost is the bcrypt cost of password hashes (default 12;
	// tests set bcrypt.MinCost).
	PasswordCost int
	// Notifications tunes notifications and their delivery.
	Notifications NotifyConfig
}

// WorkerConfig tunes the background jobs; see jobs.Config.
type WorkerConfig struct {
	// Concurrency is how many jobs a started worker works at once
	// (default 2).
	Concurrency int
	// RefreshSchedule is the system refresh's cron expression (default
	// "0 2 * * *") in TimeZone (default UTC).
	RefreshSchedule string
	TimeZone        string
	// FetchPollInterval is how often workers look for jobs on SQLite
	// (default 1 s).
	FetchPollInterval time.Duration
	// CronCheckInterval is how often a started worker checks the system
	// refresh's schedule (read from the store each time) and the exports'
	// and sources' own schedules (default 1 minute).
	CronCheckInterval time.Duration
	// JobTimeout bounds one attempt of a job: a longer run stops at a
	// checkpoint and continues in the next attempt (default 30 min).
	JobTimeout time.Duration
	// RescueAfter is when a job still marked running (its process died)
	// is handed to another worker; it must exceed JobTimeout (default
	// 1 h). River's rescuer looks every 30 s, so a dead process's run
	// resumes elsewhere between RescueAfter and RescueAfter + 30 s (plus
	// a second or two of retry backoff) after it started.
	RescueAfter time.Duration
}

// OmnisendConfig tunes the clients runs use.
type OmnisendConfig struct {
	// Budget is the rate budget shared by every client of this process; it
	// keeps one sliding window per brand, 360 general and 54 tag requests
	// per Window. Default on PostgreSQL: pgbudget's, in the database, so
	// that every process on it shares one budget per brand; on SQLite (one
	// process): omnisend's in-process WindowBudget.
	Budget omnisend.RateBudget
	// Requests is how many requests of the general routes the default
	// budget allows per brand and Window (default 360: 90 % of Omnisend's
	// 400, leaving headroom for the brand's other apps; env
	// SEGBRIDGE_OMNISEND_BUDGET). The 60/min tag routes get the same
	// fraction of their limit (54 at the default).
	Requests int
	// Window is the length of Omnisend's rate-limit window (default 60 s,
	// Omnisend's). Against a sandbox running at --time-scale K, set it to
	// 60 s / K (env SEGBRIDGE_OMNISEND_WINDOW) to use the sandbox's speed.
	Window time.Duration
	// Transport sends the requests (default: a clone of
	// http.DefaultTransport).
	Transport http.RoundTripper
	// PollInterval is the wait between batch status checks (default
	// Window / 30: 2 s).
	PollInterval time.Duration
	// OutageLimit is how long a run waits out an Omnisend outage (refused
	// connections, timeouts, 5xx, 429) before it fails with the cause
	// (default 30 min; `--outage-limit`, env SEGBRIDGE_OUTAGE_LIMIT). A
	// failed run is continued by the export's next run.
	OutageLimit time.Duration
	// Timeout bounds each request attempt (default 10 s).
	Timeout time.Duration
	// Clock drives the clients' backoff and outage timing (default: the
	// wall clock; tests run it faster).
	Clock omnisend.Clock
	// RunLease is how long a run's executor holds it between renewals: a
	// killed process's run can be taken over that long after (default
	// 30 s; env SEGBRIDGE_RUN_LEASE).
	RunLease time.Duration
}

// WithDefaults returns c with every unset field at its default.
func (c Config) WithDefaults() Config {
	if c.DataDir == "" {
		c.DataDir = DefaultDataDir
	}
	if c.DatabaseURL == "" {
		c.DatabaseURL = "sqlite://" + filepath.Join(c.DataDir, "segbridge.db")
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Omnisend.Window <= 0 {
		c.Omnisend.Window = time.Minute
	}
	if c.Omnisend.Requests <= 0 {
		c.Omnisend.Requests = DefaultRequests
	}
	if c.Omnisend.PollInterval <= 0 {
		c.Omnisend.PollInterval = c.Omnisend.Window / 30
	}
	if c.Omnisend.Budget == nil && !isPostgres(c.DatabaseURL) {
		c.Omnisend.Budget = omnisend.NewWindowBudget(c.Omnisend.limits(), nil)
	}
	if c.Omnisend.Transport == nil {
		c.Omnisend.Transport = http.DefaultTransport.(*http.Transport).Clone()
	}
	return c
}

// DefaultRequests is the default budget of the general routes: 90 % of
// Omnisend's 400 per minute.
const DefaultRequests = 360

// limits are the default budget's: Requests per Window for the general
// routes, and as large a part of the 60 tag requests per Window.
func (c OmnisendConfig) limits() omnisend.WindowBudgetConfig {
	return omnisend.WindowBudgetConfig{
		General: omnisend.Limit{Requests: c.Requests, Window: c.Window},
		Tags:    omnisend.Limit{Requests: max(1, c.Requests*54/DefaultRequests), Window: c.Window},
	}
}

func isPostgres(url string) bool {
	return strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://")
}

// Validate reports the first invalid field.
func (c Config) Validate() error {
	switch {
	case strings.HasPrefix(c.DatabaseURL, "sqlite:"):
	case isPostgres(c.DatabaseURL):
	default:
		return fmt.Errorf("database URL %q: want sqlite:///path/file.db or postgres://user@host/db", redactURL(c.DatabaseURL))
	}
	return nil
}

// App is the running application's shared state.
type App struct {
	Config
	Store store.Store
	// Secrets seals and opens secrets at rest under the master key.
	Secrets *secret.Keyring
	// Connections creates, checks and removes Omnisend connections.
	Connections *connection.Service
	// Runs executes export runs.
	Runs *run.Executor
	// Sources reads sources and unifies their rows into profiles.
	Sources *ingest.Ingester
	// Jobs enqueues runs as River jobs; commands that work jobs start it.
	Jobs *jobs.Client
	// Metrics instruments runs and Omnisend requests; serve exposes its
	// registry at /metrics.
	Metrics *metrics.Metrics
	// Users manages users, sessions and API tokens.
	Users *user.Service
	// Audit records who did what.
	Audit *audit.Log
	// Services are the use cases of every interface: the only code that
	// changes state for a user (permission, validation, write, audit).
	Services *service.Services
	// Notify manages notification channels and rules and delivers
	// notifications (its loop is started by serve and worker).
	Notify *notify.Service

	closeBudget func() // the budget Open opened, if any
}

// Open opens the store the configuration names and applies migrations.
func Open(ctx context.Context, cfg Config) (*App, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := cfg.checkWritable(); err != nil {
		return nil, err
	}
	st, err := OpenStore(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	if err := st.Migrate(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("migrate %s database: %w", st.Engine(), err), st.Close())
	}
	cfg.Logger.Debug("store open", "engine", st.Engine())
	a := &App{Config: cfg, Store: st, closeBudget: func() {}}
	a.Store = notifyingStore{Store: st, a: a} // runs' lifecycle into the notifications outbox
	if a.Omnisend.Budget == nil {
		// PostgreSQL: one budget per brand for every process on the
		// database (its tables come with the store's migrations).
		b, err := pgbudget.Open(ctx, cfg.DatabaseURL, pgbudget.Config{Limits: cfg.Omnisend.limits(), Logger: cfg.Logger})
		if err != nil {
			return nil, errors.Join(fmt.Errorf("rate budget: %w", err), st.Close())
		}
		a.Omnisend.Budget, a.closeBudget = b, b.Close
	}
	a.Metrics = metrics.New(func(ctx context.Context) (map[string]int, error) {
		if a.Jobs == nil {
			return nil, errors.New("jobs not open")
		}
		return a.Jobs.JobCounts(ctx)
	})
	if err := a.openSecrets(); err != nil {
		a.closeBudget()
		return nil, errors.Join(err, st.Close())
	}
	if err := a.openUsers(); err != nil {
		a.closeBudget()
		return nil, errors.Join(err, st.Close())
	}
	if err := a.openNotify(); err != nil {
		a.closeBudget()
		return nil, errors.Join(err, st.Close())
	}
	if err := a.openJobs(ctx); err != nil {
		a.closeBudget()
		return nil, errors.Join(err, st.Close())
	}
	if err := a.openServices(); err != nil { // after the jobs: the system service queues refreshes
		a.closeBudget()
		return nil, errors.Join(err, a.Jobs.Close(), st.Close())
	}
	return a, nil
}

// openJobs opens River on the store's database (not started).
func (a *App) openJobs(ctx context.Context) error {
	jc, err := jobs.Open(ctx, jobs.Config{
		DatabaseURL: a.DatabaseURL, Store: a.Store, Executor: a.Runs,
		Concurrency: a.Worker.Concurrency, RefreshSchedule: a.Worker.RefreshSchedule, TimeZone: a.Worker.TimeZone,
		FetchPollInterval: a.Worker.FetchPollInterval, CronCheckInterval: a.Worker.CronCheckInterval, JobTimeout: a.Worker.JobTimeout, RescueAfter: a.Worker.RescueAfter,
		Unsubscribes: a.SyncAllUnsubscribes, Sources: a.Sources,
		Logger: a.Logger, Now: a.Now,
	})
	if err != nil {
		return err
	}
	a.Jobs = jc
	return nil
}

// openSecrets loads the master key and builds the services that need it.
func (a *App) openSecrets() error {
	kr, err := secret.Load(secret.Config{EnvKey: a.MasterKey, DataDir: a.DataDir})
	if err != nil {
		return fmt.Errorf("master key: %w", err)
	}
	a.Secrets = kr
	a.Logger.Debug("master key loaded", "keyring", kr)
	a.Connections, err = connection.NewService(connection.Config{
		Store: a.Store, Keys: kr, Logger: a.Logger, Now: a.Now,
	})
	if err != nil {
		return err
	}
	a.Sources, err = ingest.New(ingest.Config{Store: a.Store, Keys: kr, Logger: a.Logger, Now: a.Now})
	if err != nil {
		return err
	}
	a.Runs, err = run.NewExecutor(run.Config{
		Store: a.Store, Resolver: resolver{a: a}, Now: a.Now, Logger: a.Logger,
		PollInterval: a.Omnisend.PollInterval, OnEnd: a.runEnded, Lease: a.Omnisend.RunLease,
	})
	return err
}

func (a *App) budget() omnisend.RateBudget { return a.Omnisend.Budget }

func (a *App) transport() http.RoundTripper { return a.Omnisend.Transport }

// OpenStore opens the engine that url's scheme selects, without migrating.
func OpenStore(ctx context.Context, url string) (store.Store, error) {
	if strings.HasPrefix(url, "sqlite:") {
		path, err := sqlite.PathFromURL(url)
		if err != nil {
			return nil, err
		}
		return sqlite.Open(ctx, path)
	}
	return postgres.Open(ctx, url)
}

// Close releases everything Open acquired (stopping the jobs first).
func (a *App) Close() error {
	err := a.Jobs.Close()
	a.closeBudget()
	return errors.Join(err, a.Store.Close())
}

// redactURL hides a password in a database URL for error messages.
func redactURL(u string) string {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok {
		return u
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return u
	}
	user, _, hasPass := strings.Cut(rest[:at], ":")
	if !hasPass {
		return u
	}
	return scheme + "://" + user + ":xxxxx" + rest[at:]
}

// RedactURL hides a password in a database URL, for messages.
func RedactURL(u string) string { return redactURL(u) }
