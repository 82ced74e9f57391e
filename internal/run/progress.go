package run

import (
	"context"
	"sync"
	"time"
)

// progressEvery is how often at most a working run saves its progress.
const progressEvery = time.Second

// tracker keeps a running run's progress in memory, as the steps advance
// it (batches sent from several goroutines at once), and saves it now and
// then for RunProgress, which the interfaces poll.
type tracker struct {
	st    Store
	runID int64
	now   func() time.Time

	mu    sync.Mutex
	p     Progress
	saved time.Time
}

// startTracking sets up run r's tracker: from zero before the plan, from
// the ops when a run resumes later on.
func (e *Executor) startTracking(ctx context.Context, r Run) (*tracker, error) {
	t := &tracker{st: e.cfg.Store, runID: r.ID, now: e.cfg.Now}
	if r.Step != StepPlan {
		p, err := e.cfg.Store.CountProgress(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		t.p = p
	}
	return t, t.save(ctx)
}

// add changes the progress with f and saves it if the last save is older
// than progressEvery. A failed save is not the run's failure: the next one
// will do.
func (t *tracker) add(ctx context.Context, f func(p *Progress)) {
	if t == nil {
		return
	}
	t.mu.Lock()
	f(&t.p)
	due := t.now().Sub(t.saved) >= progressEvery
	t.mu.Unlock()
	if due {
		_ = t.save(ctx)
	}
}

// save stores the progress now.
func (t *tracker) save(ctx context.Context) error {
	if t == nil {
		return nil
	}
	t.mu.Lock()
	p := t.p
	t.saved = t.now()
	t.mu.Unlock()
	return t.st.SaveProgress(ctx, t.runID, p)
}

// setWaiting records whether the run waits out an Omnisend outage (since
// zero: it does not), saving at once when that changes.
func (t *tracker) setWaiting(ctx context.Context, since time.Time, cause string) {
	if t == nil {
		return
	}
	t.mu.Lock()
	changed := !t.p.WaitingSince.Equal(since) || t.p.WaitingCause != cause
	t.p.WaitingSince, t.p.WaitingCause = since, cause
	t.mu.Unlock()
	if changed {
		_ = t.save(ctx)
	}
}
