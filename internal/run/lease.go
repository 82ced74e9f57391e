package run

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync/atomic"
	"time"
)

// LeaseError says that another executor holds a run's lease.
type LeaseError struct {
	RunID int64
	Owner string
	Until time.Time
}

func (e *LeaseError) Error() string {
	return fmt.Sprintf("run %d is being worked by %s (its lease runs until %s): wait for it, or cancel the run",
		e.RunID, e.Owner, e.Until.UTC().Format(time.RFC3339))
}

// ErrLeaseLost stops an executor whose lease another executor took (its
// renewals failed for longer than the lease).
var ErrLeaseLost = errors.New("another executor took over the run (this one's lease ran out)")

// DefaultLease is how long a run's lease lasts unless renewed: a killed
// process's run can be taken over that long after its last renewal.
const DefaultLease = 30 * time.Second

var ownerSeq atomic.Int64

// NewOwner names an executor: host, process and a sequence number.
func NewOwner() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown-host"
	}
	return host + ":" + strconv.Itoa(os.Getpid()) + ":" + strconv.FormatInt(ownerSeq.Add(1), 10)
}

// heartbeat keeps run id's lease alive and the run's progress told of an
// Omnisend outage, until ctx ends. A renewal refused because another
// executor holds the lease stops the run with ErrLeaseLost.
func (e *Executor) heartbeat(ctx context.Context, stop context.CancelCauseFunc, id int64, owner string, t *Target) {
	tick := time.NewTicker(heartbeatEvery)
	defer tick.Stop()
	renewed := e.cfg.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if t.Client != nil {
			o := t.Client.Outage()
			t.progress.setWaiting(ctx, o.Since, o.Cause)
		}
		if e.cfg.Now().Sub(renewed) < e.cfg.Lease/3 {
			continue
		}
		err := e.cfg.Store.AcquireLease(ctx, id, owner, e.cfg.Now(), e.cfg.Lease)
		var le *LeaseError
		switch {
		case errors.As(err, &le):
			e.cfg.Logger.Warn("run: lease lost", "run", id, "owner", owner, "holder", le.Owner)
			stop(ErrLeaseLost)
			return
		case err != nil:
			e.cfg.Logger.Warn("run: lease not renewed; trying again", "run", id, "error", err)
		default:
			renewed = e.cfg.Now()
		}
	}
}

// heartbeatEvery is how often a working run looks at its lease and at
// Omnisend's outage.
const heartbeatEvery = time.Second

// Start queues a run of export exportID: what every way of starting a
// run calls. When the export's run in progress is stale — its process
// stopped without finishing it and its lease ran out — that run is failed
// first, and the new run continues it (its plan confirms what the stale
// run sent and re-plans the rest), so a killed process never blocks its
// export. A run in progress that is not stale gives ErrActiveRun; a held
// run (waiting for its untags to be approved or discarded) a *HeldError.
func Start(ctx context.Context, st Starter, exportID int64, trigger Trigger, now time.Time) (Run, error) {
	r, err := st.CreateRun(ctx, exportID, trigger, now)
	if !errors.Is(err, ErrActiveRun) {
		return r, err
	}
	runs, lerr := st.ListRuns(ctx, exportID, 5)
	if lerr != nil {
		return r, errors.Join(err, lerr)
	}
	for _, cur := range runs {
		if cur.Status.Final() {
			continue
		}
		if cur.Status == StatusHeld {
			return r, &HeldError{RunID: cur.ID}
		}
		if !cur.Stale(now) {
			return r, err
		}
		msg := fmt.Sprintf("the process working this run stopped at step %s; the export's next run continues it", cur.Step)
		if _, ferr := st.FailStaleRun(ctx, cur.ID, now, msg); ferr != nil {
			return r, ferr
		}
	}
	return st.CreateRun(ctx, exportID, trigger, now)
}

// Starter is what Start needs of a Store.
type Starter interface {
	CreateRun(ctx context.Context, exportID int64, trigger Trigger, now time.Time) (Run, error)
	ListRuns(ctx context.Context, exportID int64, limit int) ([]Run, error)
	FailStaleRun(ctx context.Context, id int64, now time.Time, message string) (bool, error)
}
