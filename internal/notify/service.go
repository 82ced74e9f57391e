package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"segbridge/internal/run"
)

// Service manages channels and rules, takes the events the rules watch,
// and delivers notifications in the background (Run).
type Service struct {
	cfg Config
	st  Store
	log *slog.Logger

	// started remembers runs whose start is in the outbox, so that the
	// run's later saves while it works write nothing.
	mu      sync.Mutex
	started map[int64]bool
	// busy are the channels this process is delivering to now.
	busy map[int64]bool
	wg   sync.WaitGroup
	// pruned is when old rows were last pruned.
	pruned time.Time
}

// NewService returns a service for cfg (defaults applied, then validated).
func NewService(cfg Config) (*Service, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Service{cfg: cfg, st: cfg.Store, log: cfg.Logger.With(slog.String("component", "notify")),
		started: map[int64]bool{}, busy: map[int64]bool{}}, nil
}

// PublicURL is the base of the links in notifications.
func (s *Service) PublicURL() string { return s.cfg.PublicURL }

// RunURL is the link to a run's page.
func (s *Service) RunURL(runID int64) string {
	return s.cfg.PublicURL + "/runs/" + strconv.FormatInt(runID, 10)
}

// now is the clock in UTC, to the microsecond (what both engines keep).
func (s *Service) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Microsecond) }

// eventTimeout bounds writing one event to the outbox.
const eventTimeout = 5 * time.Second

// RunQueued records that run r was queued.
func (s *Service) RunQueued(ctx context.Context, r run.Run) {
	s.addEvent(ctx, EventRunQueued, fmt.Sprintf("run:%d:queued", r.ID), r)
}

// RunSaved records what a save of run r means: its start (once), or its
// end. Saves of a working run after its start write nothing.
func (s *Service) RunSaved(ctx context.Context, r run.Run) {
	switch {
	case r.Status == run.StatusRunning:
		s.mu.Lock()
		seen := s.started[r.ID]
		if !seen {
			if len(s.started) > 10_000 {
				s.started = map[int64]bool{}
			}
			s.started[r.ID] = true
		}
		s.mu.Unlock()
		if !seen {
			s.addEvent(ctx, EventRunStarted, fmt.Sprintf("run:%d:started", r.ID), r)
		}
	case ended(r.Status):
		s.RunEnded(ctx, r)
	}
}

// RunEnded records that run r ended (succeeded, failed, cancelled or
// held). Recording it again is harmless: one event per run, and one for
// its hold (a held run ends again once its untags are approved or
// discarded).
func (s *Service) RunEnded(ctx context.Context, r run.Run) {
	if !ended(r.Status) {
		return
	}
	s.mu.Lock()
	delete(s.started, r.ID)
	s.mu.Unlock()
	key := fmt.Sprintf("run:%d:ended", r.ID)
	if r.Status == run.StatusHeld {
		key = fmt.Sprintf("run:%d:held", r.ID)
	}
	s.addEvent(ctx, EventRunEnded, key, r)
}

// OnRunEnd is RunEnded for run.Config.OnEnd, which has no context.
func (s *Service) OnRunEnd(r run.Run) { s.RunEnded(context.Background(), r) }

// addEvent writes a run event. It never fails the caller: a run must not
// stop because a notification could not be recorded; the error is logged.
func (s *Service) addEvent(ctx context.Context, kind EventKind, key string, r run.Run) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), eventTimeout)
	defer cancel()
	e := Event{Kind: kind, Key: key, Run: runInfo(r), At: s.now()}
	if _, err := s.st.AddNotifyEvent(ctx, e); err != nil {
		s.log.WarnContext(ctx, "notification event not recorded", slog.String("event", string(kind)),
			slog.Int64("run", r.ID), slog.Any("error", err))
	}
}

// SourceFailed records that source name failed to load, with why. The
// source_failed rule fires on the first failure and recovers on the next
// SourceSucceeded.
func (s *Service) SourceFailed(ctx context.Context, name, message string) error {
	return s.sourceEvent(ctx, EventSourceFailed, SourceInfo{Name: name, Failed: true, Message: message})
}

// SourceSucceeded records that source name loaded.
func (s *Service) SourceSucceeded(ctx context.Context, name string) error {
	return s.sourceEvent(ctx, EventSourceOK, SourceInfo{Name: name})
}

func (s *Service) sourceEvent(ctx context.Context, kind EventKind, src SourceInfo) error {
	if src.Name == "" {
		return &FieldError{Field: "source", Msg: "required"}
	}
	now := s.now()
	e := Event{Kind: kind, Key: fmt.Sprintf("source:%s:%s:%d", src.Name, kind, now.UnixNano()), Source: &src, At: now}
	if _, err := s.st.AddNotifyEvent(ctx, e); err != nil {
		return fmt.Errorf("record source %q: %w", src.Name, err)
	}
	return nil
}

// openSecrets opens a channel's sealed secrets.
func (s *Service) openSecrets(ctx context.Context, ch Channel) (secrets, error) {
	sealed, err := s.st.NotifyChannelSecret(ctx, ch.ID)
	if err != nil {
		return secrets{}, err
	}
	plain, err := s.cfg.Keys.Open(sealed, ChannelAD(ch.ID))
	if err != nil {
		return secrets{}, fmt.Errorf("open the secrets of channel %q: %w", ch.Name, err)
	}
	var sec secrets
	if err := json.Unmarshal(plain, &sec); err != nil {
		return secrets{}, fmt.Errorf("channel %q: unreadable secrets", ch.Name)
	}
	return sec, nil
}
