package notify

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"time"
)

// Delivering.
const (
	// claimFor is how long a process holds the deliveries it claimed: a
	// killed process's deliveries are retried by another that long after.
	claimFor   = 5 * time.Minute
	claimBatch = 50
	pruneEvery = time.Hour
)

// Start runs the background loop (Run) until the returned stop is
// called; stop waits for deliveries in flight, which end within
// Config.Timeout.
func (s *Service) Start(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.Run(ctx)
	}()
	return func() { cancel(); <-done }
}

// Run turns events into notifications and delivers them every
// PollInterval until ctx ends. Each channel gets one delivery at a time,
// so a channel that hangs delays only its own.
func (s *Service) Run(ctx context.Context) error {
	s.log.InfoContext(ctx, "delivering notifications", slog.String("public_url", s.cfg.PublicURL))
	t := time.NewTicker(s.cfg.PollInterval)
	defer t.Stop()
	for {
		s.tick(ctx)
		select {
		case <-ctx.Done():
			s.wg.Wait()
			return nil
		case <-t.C:
		}
	}
}

// tick is one round of the loop.
func (s *Service) tick(ctx context.Context) {
	if _, err := s.processEvents(ctx); err != nil && ctx.Err() == nil {
		s.log.WarnContext(ctx, "notification events not processed; trying again", slog.Any("error", err))
	}
	if err := s.deliverDue(ctx, false); err != nil && ctx.Err() == nil {
		s.log.WarnContext(ctx, "due notifications not claimed; trying again", slog.Any("error", err))
	}
	if now := s.now(); now.Sub(s.pruned) >= pruneEvery {
		s.pruned = now
		if n, err := s.st.PruneNotify(ctx, now.Add(-s.cfg.Retention)); err != nil {
			s.log.WarnContext(ctx, "old notifications not pruned", slog.Any("error", err))
		} else if n > 0 {
			s.log.InfoContext(ctx, "old notifications pruned", slog.Int("rows", n))
		}
	}
}

// Flush processes every pending event and attempts every due delivery,
// waiting for the answers: the background loop's work, done once (tests,
// and a command that should not leave work behind).
func (s *Service) Flush(ctx context.Context) error {
	for {
		n, err := s.processEvents(ctx)
		if err != nil {
			return err
		}
		if n < eventBatch {
			break
		}
	}
	return s.deliverDue(ctx, true)
}

// deliverDue claims the due deliveries of channels not busy here and
// starts one goroutine per channel; with wait it waits for them.
func (s *Service) deliverDue(ctx context.Context, wait bool) error {
	s.mu.Lock()
	skip := make([]int64, 0, len(s.busy))
	for id := range s.busy {
		skip = append(skip, id)
	}
	s.mu.Unlock()
	now := s.now()
	ds, err := s.st.ClaimNotifyDeliveries(ctx, Claim{Owner: s.cfg.Owner, Now: now, Until: now.Add(claimFor), Limit: claimBatch, Skip: skip})
	if err != nil || len(ds) == 0 {
		return err
	}
	byChannel := map[int64][]Delivery{}
	var order []int64
	for _, d := range ds {
		if _, ok := byChannel[d.ChannelID]; !ok {
			order = append(order, d.ChannelID)
		}
		byChannel[d.ChannelID] = append(byChannel[d.ChannelID], d)
	}
	slots := make(chan struct{}, s.cfg.Concurrency)
	var wg sync.WaitGroup
	for _, id := range order {
		s.mu.Lock()
		s.busy[id] = true
		s.mu.Unlock()
		wg.Add(1)
		s.wg.Add(1)
		go func(id int64, list []Delivery) {
			defer s.wg.Done()
			defer wg.Done()
			defer func() { s.mu.Lock(); delete(s.busy, id); s.mu.Unlock() }()
			slots <- struct{}{}
			defer func() { <-slots }()
			s.deliverChannel(ctx, id, list)
		}(id, byChannel[id])
	}
	if wait {
		wg.Wait()
	}
	return nil
}

// deliverChannel attempts one channel's claimed deliveries in order.
func (s *Service) deliverChannel(ctx context.Context, channelID int64, list []Delivery) {
	c, err := s.st.GetNotifyChannel(ctx, strconv.FormatInt(channelID, 10))
	if err != nil {
		// Removed meanwhile: its deliveries went with it.
		s.log.DebugContext(ctx, "channel gone; deliveries dropped", slog.Int64("channel", channelID), slog.Any("error", err))
		return
	}
	for _, d := range list {
		if ctx.Err() != nil {
			return // the claim runs out; another round retries them
		}
		if _, err := s.attempt(ctx, c, d); err != nil && ctx.Err() == nil {
			s.log.WarnContext(ctx, "notification attempt not recorded", slog.String("channel", c.Name),
				slog.Int64("delivery", d.ID), slog.Any("error", err))
		}
	}
}

// attempt sends delivery d to channel c once and records the attempt,
// the delivery's next state and the channel's health.
func (s *Service) attempt(ctx context.Context, c Channel, d Delivery) (Attempt, error) {
	at, t0 := s.now(), time.Now()
	res := s.send(ctx, c, d)
	if ctx.Err() != nil && !res.ok {
		return Attempt{}, ctx.Err() // stopped, not failed: the claim runs out and it is retried
	}
	a := Attempt{DeliveryID: d.ID, At: at, Duration: time.Since(t0), Code: res.code, Response: res.response,
		Error: res.err, OK: res.ok}
	next := d
	next.Attempts++
	next.LastError = res.err
	switch {
	case res.ok:
		next.Status, next.FinishedAt = DeliveryDelivered, s.now()
	case res.permanent || next.Attempts >= d.MaxAttempts:
		next.Status, next.FinishedAt = DeliveryFailed, s.now()
	default:
		next.Status, next.NextAttempt = DeliveryPending, s.now().Add(s.cfg.Retry.delay(next.Attempts))
	}
	err := s.st.RecordNotifyAttempt(context.WithoutCancel(ctx), a, next, s.cfg.FailingAfter)
	if err != nil {
		return a, errors.Join(errors.New("record the attempt"), err)
	}
	log := s.log.With(slog.String("channel", c.Name), slog.Int64("delivery", d.ID), slog.String("event", d.Event),
		slog.Int("attempt", next.Attempts), slog.Int("code", res.code))
	switch {
	case next.Status == DeliveryDelivered:
		log.InfoContext(ctx, "notification delivered", slog.Duration("took", a.Duration))
	case next.Status == DeliveryFailed && d.Event == TypeTest:
		log.InfoContext(ctx, "test notification failed", slog.String("error", res.err))
	case next.Status == DeliveryFailed:
		log.WarnContext(ctx, "notification given up", slog.String("error", res.err))
	default:
		log.WarnContext(ctx, "notification failed; retrying", slog.String("error", res.err), slog.Time("next", next.NextAttempt))
	}
	return a, nil
}
