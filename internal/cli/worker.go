package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"segbridge/internal/app"
	"segbridge/internal/export"
	"segbridge/internal/jobs"
)

// workerFlags are the flags of `segbridge worker`.
type workerFlags struct {
	refreshSchedule string
	timeZone        string
	concurrency     int
	jobTimeout      time.Duration // 0: jobs.DefaultJobTimeout
	rescueAfter     time.Duration // 0: jobs.DefaultRescueAfter
	publicURL       string        // links in notifications ("": SEGBRIDGE_PUBLIC_URL, else the default)
}

// validate checks the flags and names the one that is wrong.
func (f workerFlags) validate() error {
	if f.concurrency < 1 || f.concurrency > 100 {
		return fmt.Errorf("--concurrency %d: want 1 to 100", f.concurrency)
	}
	if f.jobTimeout < 0 || f.rescueAfter < 0 {
		return fmt.Errorf("--job-timeout %s, --rescue-after %s: must not be negative", f.jobTimeout, f.rescueAfter)
	}
	timeout := cmp.Or(f.jobTimeout, jobs.DefaultJobTimeout)
	if rescue := cmp.Or(f.rescueAfter, max(jobs.DefaultRescueAfter, 2*timeout)); rescue <= timeout {
		return fmt.Errorf("--rescue-after %s: must exceed --job-timeout (%s), or a live run could be handed to a second worker", rescue, timeout)
	}
	s := export.Schedule{Kind: export.ScheduleCron, Cron: f.refreshSchedule, TimeZone: f.timeZone}
	var fe *export.FieldError
	if err := s.Validate(); errors.As(err, &fe) {
		if fe.Field == "schedule.time_zone" {
			return fmt.Errorf("--time-zone %q: want an IANA time zone such as Europe/Prague", f.timeZone)
		}
		return fmt.Errorf("--refresh-schedule %q: %s", f.refreshSchedule, fe.Msg)
	} else if err != nil {
		return err
	}
	return nil
}

func newWorkerCmd(g *globals) *cobra.Command {
	var f workerFlags
	cmd := &cobra.Command{
		Use:   "worker",
		Short: "Work background jobs: export runs, the scheduled system refresh, cron exports",
		Long: `Work segbridge's background jobs until interrupted (SIGINT or SIGTERM):

  - export runs queued by "export run --no-wait", the refresh and the cron check;
  - the system refresh on --refresh-schedule in --time-zone (default daily at
    02:00 UTC): every segment is re-evaluated, then every active export that
    runs "after each refresh" gets a run (one run per export at a time);
  - every minute, a run of each active export on its own cron schedule that
    is due.

On PostgreSQL any number of workers (and "serve --workers N" processes) on
any number of machines share the work and one Omnisend rate budget per brand;
scheduled jobs are started by one of them; all must share the master key
(SEGBRIDGE_MASTER_KEY). On SQLite run one worker. On interrupt, running
exports stop at their next checkpoint and continue later. If a worker dies,
another continues its runs once --rescue-after has passed since they
started (River's rescuer looks every 30 s); a run longer than --job-timeout
stops at a checkpoint and continues in a new attempt.`,
		Example: `  segbridge worker
  segbridge worker --refresh-schedule "30 1 * * *" --time-zone Europe/Prague --concurrency 4
  segbridge worker --db postgres://segbridge@db/segbridge --job-timeout 10m --rescue-after 15m`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := f.validate(); err != nil {
				return err
			}
			if _, err := g.limitMemory(0); err != nil {
				return err
			}
			if !cmd.Root().PersistentFlags().Changed("log-level") {
				g.logLevel = "info" // a worker says what it does
			}
			cfg, err := g.config()
			if err != nil {
				return err
			}
			cfg.Worker = f.config()
			if cfg.Notifications.PublicURL, err = g.publicURL(f.publicURL); err != nil {
				return err
			}
			a, err := app.Open(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer a.Close()
			return runWorker(cmd.Context(), g, a)
		},
	}
	cmd.Flags().IntVar(&f.concurrency, "concurrency", jobs.DefaultConcurrency, "jobs worked at once")
	f.register(cmd.Flags())
	return cmd
}

// register adds the flags worker and serve share: the system refresh's
// schedule and how long jobs may run before another worker takes them.
func (f *workerFlags) register(fl *pflag.FlagSet) {
	fl.StringVar(&f.refreshSchedule, "refresh-schedule", jobs.DefaultRefreshSchedule, "cron expression (5 fields) of the system refresh until one is stored (segbridge system refresh-schedule set; a stored schedule wins)")
	fl.StringVar(&f.timeZone, "time-zone", jobs.DefaultTimeZone, "IANA time zone of --refresh-schedule (a stored schedule has its own)")
	fl.DurationVar(&f.jobTimeout, "job-timeout", jobs.DefaultJobTimeout, "longest attempt of a job; a longer run stops at a checkpoint and continues")
	fl.DurationVar(&f.rescueAfter, "rescue-after", jobs.DefaultRescueAfter, "when a job of a dead worker is handed to another (must exceed --job-timeout)")
	registerPublicURL(fl, &f.publicURL)
}

// config is the application's worker configuration the flags give.
func (f workerFlags) config() app.WorkerConfig {
	return app.WorkerConfig{Concurrency: f.concurrency, RefreshSchedule: f.refreshSchedule, TimeZone: f.timeZone,
		JobTimeout: f.jobTimeout, RescueAfter: f.rescueAfter}
}

// runWorker works jobs until ctx ends, then stops them at a checkpoint.
func runWorker(ctx context.Context, g *globals, a *app.App) error {
	if err := a.Jobs.Start(ctx, jobs.StartOptions{Periodic: true}); err != nil {
		return err
	}
	stopNotify := a.Notify.Start(ctx) // deliver notifications
	defer stopNotify()
	a.Logger.Info("worker running; stop with Ctrl-C (SIGINT) or SIGTERM", "engine", a.Store.Engine())
	fmt.Fprintf(g.errOut, "segbridge worker: working jobs on %s (Ctrl-C to stop)\n", a.Store.Engine())
	<-ctx.Done()
	fmt.Fprintln(g.errOut, "segbridge worker: stopping; running exports stop at their next checkpoint")
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	return a.Jobs.Stop(stopCtx)
}
