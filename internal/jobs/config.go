// Package jobs runs segbridge's background work on River, on both storage
// engines: the RunExport job (one export run, resumed from its checkpoints
// after a crash), the scheduled system refresh (re-evaluate every segment,
// then run every export that runs "after each refresh") and the per-minute
// check for exports on their own cron schedule.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"segbridge/internal/export"
	"segbridge/internal/ingest"
	"segbridge/internal/run"
	"segbridge/internal/segment"
	"segbridge/internal/source"
	"segbridge/internal/store"
)

// Defaults.
const (
	DefaultRefreshSchedule = "0 2 * * *"
	DefaultTimeZone        = "UTC"
	DefaultConcurrency     = 2
	// DefaultJobTimeout bounds one attempt of a job. A run that takes longer
	// is stopped at its next checkpoint and snoozed; its next attempt
	// continues from there.
	DefaultJobTimeout = 30 * time.Minute
	// DefaultRescueAfter is when River's rescuer considers a running job
	// abandoned (its worker died) and makes it available again. It must
	// exceed JobTimeout by the time a cancelled run needs to reach its
	// checkpoint, so a live worker has always let go of a run before the
	// rescuer hands it to another.
	DefaultRescueAfter = time.Hour
)

// Executor executes (or resumes) a run until it is final or ctx ends;
// run.Executor implements it.
type Executor interface {
	Execute(ctx context.Context, id int64) (run.Run, error)
}

// Store is what the jobs read and write; store.Store implements it.
type Store interface {
	segment.Store
	ListSegments(ctx context.Context) ([]segment.Segment, error)
	ListExports(ctx context.Context) ([]export.Export, error)
	run.Starter
	GetRun(ctx context.Context, id int64) (run.Run, error)
	SaveRun(ctx context.Context, r run.Run) error
	store.Refreshes
	ListSources(ctx context.Context) ([]source.Source, error)
}

// Config configures a Client.
type Config struct {
	// DatabaseURL is the store's URL: "sqlite://PATH" or "postgres://…".
	// River's tables live in the same database.
	DatabaseURL string
	Store       Store
	Executor    Executor
	// Concurrency is how many jobs this process works at once (default 2).
	Concurrency int
	// RefreshSchedule is the system refresh's 5-field cron expression
	// (default "0 2 * * *": daily at 02:00) in TimeZone (default UTC).
	RefreshSchedule string
	TimeZone        string
	// CronCheckInterval is how often exports with their own cron schedule
	// are checked for being due (default 1 minute).
	CronCheckInterval time.Duration
	// JobTimeout and RescueAfter: see DefaultJobTimeout, DefaultRescueAfter.
	JobTimeout  time.Duration
	RescueAfter time.Duration
	// FetchPollInterval is how often workers look for new jobs when the
	// engine cannot notify them (SQLite; default 1 s).
	FetchPollInterval time.Duration
	// Unsubscribes, when set, feeds Omnisend's unsubscribes back onto the
	// profiles at the start of each system refresh, before the segments
	// are refreshed (app.App.SyncAllUnsubscribes). Its failure is noted in
	// the refresh's message and does not stop the refresh.
	Unsubscribes func(ctx context.Context) error
	// Sources, when set, reads every source and unifies their rows into
	// profiles at the start of each system refresh, before the segments
	// are refreshed; a failing source that is not optional stops the
	// refresh before any export runs.
	Sources *ingest.Ingester
	Logger  *slog.Logger
	Now     func() time.Time
}

// WithDefaults returns c with unset fields at their defaults.
func (c Config) WithDefaults() Config {
	if c.Concurrency == 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.RefreshSchedule == "" {
		c.RefreshSchedule = DefaultRefreshSchedule
	}
	if c.TimeZone == "" {
		c.TimeZone = DefaultTimeZone
	}
	if c.CronCheckInterval <= 0 {
		c.CronCheckInterval = time.Minute
	}
	if c.JobTimeout <= 0 {
		c.JobTimeout = DefaultJobTimeout
	}
	if c.RescueAfter <= 0 {
		c.RescueAfter = max(DefaultRescueAfter, 2*c.JobTimeout)
	}
	if c.FetchPollInterval <= 0 {
		c.FetchPollInterval = time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Validate reports the first invalid field, by name.
func (c Config) Validate() error {
	switch {
	case !strings.HasPrefix(c.DatabaseURL, "sqlite:") && !strings.HasPrefix(c.DatabaseURL, "postgres"):
		return errors.New("jobs: Config.DatabaseURL: want sqlite:// or postgres://")
	case c.Store == nil:
		return errors.New("jobs: Config.Store is required")
	case c.Executor == nil:
		return errors.New("jobs: Config.Executor is required")
	case c.Concurrency < 1 || c.Concurrency > 100:
		return fmt.Errorf("jobs: Config.Concurrency %d: want 1 to 100", c.Concurrency)
	case c.RescueAfter <= c.JobTimeout:
		return fmt.Errorf("jobs: Config.RescueAfter (%s) must exceed Config.JobTimeout (%s), or a live run could be rescued into a second worker", c.RescueAfter, c.JobTimeout)
	}
	if _, err := c.refreshSchedule(); err != nil {
		return err
	}
	return nil
}

// refreshSchedule is the system refresh's schedule as an export schedule,
// which parses and validates cron expressions and time zones.
func (c Config) refreshSchedule() (export.Schedule, error) {
	s := export.Schedule{Kind: export.ScheduleCron, Cron: c.RefreshSchedule, TimeZone: c.TimeZone}
	err := s.Validate()
	var fe *export.FieldError
	if errors.As(err, &fe) {
		field := "RefreshSchedule"
		if fe.Field == "schedule.time_zone" {
			field = "TimeZone"
		}
		return s, fmt.Errorf("jobs: Config.%s: %s", field, fe.Msg)
	}
	return s, err
}
