package jobs

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"

	"segbridge/internal/run"
)

// Client enqueues jobs and, once started, works them. Open builds it
// without starting workers; commands that work jobs call Start.
type Client struct {
	cfg     Config
	refresh Schedule
	// opened is when the client was opened (the injected clock): the
	// refresh schedule's firings before it, with none recorded, are not
	// made up.
	opened time.Time
	eng    *engine
	river  riverClient

	mu      sync.Mutex
	started bool
	// refreshing lets one refresh (or release, or source cron check) of
	// this process read and unify sources at a time.
	refreshing sync.Mutex
}

// Open opens River's pool on the store's database, applies River's
// migrations and builds the client (not started).
func Open(ctx context.Context, cfg Config) (*Client, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	sched, err := cfg.refreshSchedule()
	if err != nil {
		return nil, err
	}
	eng, err := openEngine(ctx, cfg.DatabaseURL, cfg.Logger)
	if err != nil {
		return nil, err
	}
	c := &Client{cfg: cfg, refresh: Schedule{sched}, opened: cfg.Now(), eng: eng}
	workers := river.NewWorkers()
	river.AddWorker(workers, &runExportWorker{c: c})
	river.AddWorker(workers, &refreshWorker{c: c})
	river.AddWorker(workers, &cronCheckWorker{c: c})
	c.river, err = eng.newClient(&river.Config{
		Logger:               cfg.Logger,
		Queues:               map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.Concurrency}},
		Workers:              workers,
		JobTimeout:           cfg.JobTimeout,
		RescueStuckJobsAfter: cfg.RescueAfter,
		FetchPollInterval:    cfg.FetchPollInterval,
		FetchCooldown:        min(cfg.FetchPollInterval, 100*time.Millisecond),
	})
	if err != nil {
		return nil, errors.Join(fmt.Errorf("jobs: %w", err), eng.close())
	}
	return c, nil
}

// StartOptions say what a started client does besides working jobs.
type StartOptions struct {
	// Periodic schedules the cron check, which queues the system refresh
	// when its schedule (read from the store each time) fires and the
	// exports on their own cron schedule when due. Only
	// `segbridge worker` (and serve) set it; River runs periodic jobs on
	// one elected leader among the processes that do.
	Periodic bool
}

// Start starts working jobs until Stop.
func (c *Client) Start(ctx context.Context, opts StartOptions) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.started {
		return errors.New("jobs: client already started")
	}
	if opts.Periodic {
		c.addPeriodic()
	}
	// Stop, not the caller's context, ends the client: Stop lets the
	// running jobs reach a checkpoint first.
	if err := c.river.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("jobs: start: %w", err)
	}
	c.started = true
	c.cfg.Logger.Info("jobs: started", "engine", c.eng.name, "concurrency", c.cfg.Concurrency, "periodic", opts.Periodic)
	return nil
}

func (c *Client) addPeriodic() {
	c.river.PeriodicJobs().Add(river.NewPeriodicJob(river.PeriodicInterval(c.cfg.CronCheckInterval),
		func() (river.JobArgs, *river.InsertOpts) { return CronCheckArgs{}, nil },
		&river.PeriodicJobOpts{ID: "cron_check", RunOnStart: true}))
	c.cfg.Logger.Info("jobs: system refresh checked every cron check", "interval", c.cfg.CronCheckInterval,
		"configured_cron", c.refresh.s.Cron, "configured_time_zone", c.refresh.s.TimeZone)
}

// Stop stops working jobs: running jobs' contexts are cancelled, so a run
// stops at its next checkpoint (resumable; its job is snoozed and any
// worker continues it), and Stop waits for them until ctx ends.
func (c *Client) Stop(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.started {
		return nil
	}
	c.started = false
	if err := c.river.StopAndCancel(ctx); err != nil {
		return fmt.Errorf("jobs: stop: %w", err)
	}
	c.cfg.Logger.Info("jobs: stopped")
	return nil
}

// Close stops the client if needed and closes River's pool.
func (c *Client) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return errors.Join(c.Stop(ctx), c.eng.close())
}

// Enqueue queues a RunExport job for run id. A run has at most one
// unfinished job: enqueueing it again returns the existing one.
func (c *Client) Enqueue(ctx context.Context, runID int64) (*rivertype.JobRow, error) {
	r, err := c.cfg.Store.GetRun(ctx, runID)
	if err != nil {
		return nil, fmt.Errorf("jobs: enqueue run %d: %w", runID, err)
	}
	res, err := c.river.Insert(ctx, RunExportArgs{RunID: runID, Approved: r.Hold.Decision == run.DecisionApproved}, nil)
	if err != nil {
		return nil, fmt.Errorf("jobs: enqueue run %d: %w", runID, err)
	}
	c.cfg.Logger.Debug("jobs: run enqueued", "run", runID, "job", res.Job.ID, "duplicate", res.UniqueSkippedAsDuplicate)
	return res.Job, nil
}

// Resume enqueues run id like Enqueue and, when its job is still marked
// running, makes that job available again. Only call it when the process
// that was running the job is known to be gone (`export run --resume`):
// River would otherwise rescue the job only after RescueAfter.
func (c *Client) Resume(ctx context.Context, runID int64) (*rivertype.JobRow, error) {
	job, err := c.Enqueue(ctx, runID)
	if err != nil || job.State != rivertype.JobStateRunning {
		return job, err
	}
	now := time.Now() // River's time, not the injected clock
	rows, err := c.eng.exec.JobSetStateIfRunningMany(ctx, &riverdriver.JobSetStateIfRunningManyParams{
		ID: []int64{job.ID}, Attempt: []*int{nil}, ErrData: [][]byte{nil}, FinalizedAt: []*time.Time{nil},
		MetadataDoMerge: []bool{false}, MetadataUpdates: [][]byte{[]byte("{}")}, ScheduledAt: []*time.Time{&now},
		State: []rivertype.JobState{rivertype.JobStateAvailable}, Now: &now,
	})
	if err != nil {
		return nil, fmt.Errorf("jobs: release job %d of run %d: %w", job.ID, runID, err)
	}
	c.cfg.Logger.Info("jobs: released the job of an interrupted run", "run", runID, "job", job.ID)
	if len(rows) == 1 && rows[0] != nil {
		return rows[0], nil
	}
	return job, nil
}
