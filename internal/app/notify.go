package app

import (
	"context"
	"crypto/x509"
	"time"

	"segbridge/internal/notify"
	"segbridge/internal/run"
	"segbridge/internal/store"
)

// NotifyConfig tunes notifications; see notify.Config.
type NotifyConfig struct {
	// PublicURL is the web UI's address as people reach it: links in
	// notifications point under it (default http://127.0.0.1:8080;
	// serve --public-url, env SEGBRIDGE_PUBLIC_URL).
	PublicURL string
	// Timeout bounds each delivery attempt (default 10 s).
	Timeout time.Duration
	// Retry is the deliveries' retry policy (default: 10 attempts, from
	// 30 s apart doubling to at most 1 h).
	Retry notify.Retry
	// PollInterval is how often the background loop looks for work
	// (default 1 s).
	PollInterval time.Duration
	// SMTPRootCAs verifies SMTP servers' certificates (default: the
	// system's).
	SMTPRootCAs *x509.CertPool
}

// openNotify builds the notification service (its loop is started by
// the commands that work in the background: serve and worker).
func (a *App) openNotify() error {
	n := a.Notifications
	svc, err := notify.NewService(notify.Config{
		Store: a.rawStore(), Keys: a.Secrets, Logger: a.Logger, Now: a.Now,
		PublicURL: n.PublicURL, Timeout: n.Timeout, Retry: n.Retry, PollInterval: n.PollInterval, SMTPRootCAs: n.SMTPRootCAs,
	})
	if err != nil {
		return err
	}
	a.Notify = svc
	return nil
}

// rawStore is the store without the notifying wrapper.
func (a *App) rawStore() store.Store {
	if ns, ok := a.Store.(notifyingStore); ok {
		return ns.Store
	}
	return a.Store
}

// runEnded is run.Config.OnEnd: metrics, and the notifications outbox.
func (a *App) runEnded(r run.Run) {
	a.Metrics.RunEnded(r)
	if a.Notify != nil {
		a.Notify.OnRunEnd(r)
	}
}

// notifyingStore is the store every part of the application uses: each
// run's queueing, start and end is also written to the notifications
// outbox, whoever queues, works or ends the run (the API, the scheduler,
// the executor, a stale run's takeover). Writing it is one small insert
// that never fails the caller; the notifications are made and delivered
// later, in the background.
type notifyingStore struct {
	store.Store
	a *App
}

func (s notifyingStore) svc() *notify.Service { return s.a.Notify }

// CreateRun implements run.Store.
func (s notifyingStore) CreateRun(ctx context.Context, exportID int64, trigger run.Trigger, now time.Time) (run.Run, error) {
	r, err := s.Store.CreateRun(ctx, exportID, trigger, now)
	if err == nil && s.svc() != nil {
		s.svc().RunQueued(ctx, r)
	}
	return r, err
}

// SaveRun implements run.Store.
func (s notifyingStore) SaveRun(ctx context.Context, r run.Run) error {
	err := s.Store.SaveRun(ctx, r)
	if err == nil && s.svc() != nil {
		s.svc().RunSaved(ctx, r)
	}
	return err
}

// FinishRun implements run.Store.
func (s notifyingStore) FinishRun(ctx context.Context, r run.Run) error {
	err := s.Store.FinishRun(ctx, r)
	if err == nil && s.svc() != nil {
		s.svc().RunSaved(ctx, r)
	}
	return err
}

// FailStaleRun implements run.Store.
func (s notifyingStore) FailStaleRun(ctx context.Context, id int64, now time.Time, message string) (bool, error) {
	failed, err := s.Store.FailStaleRun(ctx, id, now, message)
	if err == nil && failed && s.svc() != nil {
		if r, gerr := s.Store.GetRun(ctx, id); gerr == nil {
			s.svc().RunEnded(ctx, r)
		}
	}
	return failed, err
}
