package notify

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"segbridge/internal/run"
)

// Processing events.
const (
	// eventsLease names the lease of the one process that turns events
	// into notifications (so that conditions change in event order).
	eventsLease = "events"
	leaseFor    = time.Minute
	eventBatch  = 100
)

// processEvents turns pending events into deliveries, oldest first, and
// returns how many it processed. Only the process holding the events
// lease does; the others return 0.
func (s *Service) processEvents(ctx context.Context) (int, error) {
	evs, err := s.st.PendingNotifyEvents(ctx, eventBatch)
	if err != nil || len(evs) == 0 {
		return 0, err // (a read: an idle loop writes nothing)
	}
	ok, err := s.st.AcquireNotifyLease(ctx, eventsLease, s.cfg.Owner, s.now(), leaseFor)
	if err != nil || !ok {
		return 0, err
	}
	if evs, err = s.st.PendingNotifyEvents(ctx, eventBatch); err != nil || len(evs) == 0 {
		return 0, err // another process took them meanwhile
	}
	chans, err := s.st.ListNotifyChannels(ctx)
	if err != nil {
		return 0, err
	}
	rules, err := s.st.ListNotifyRules(ctx)
	if err != nil {
		return 0, err
	}
	for i, ev := range evs {
		conds, ds, err := s.plan(ctx, ev, chans, rules)
		if err != nil {
			return i, fmt.Errorf("event %d: %w", ev.ID, err)
		}
		if err := s.st.ApplyNotifyEvent(ctx, ev.ID, conds, ds, s.now()); err != nil {
			return i, fmt.Errorf("event %d: %w", ev.ID, err)
		}
		for _, d := range ds {
			s.log.DebugContext(ctx, "notification queued", slog.Int64("channel", d.ChannelID), slog.String("event", d.Event),
				slog.String("id", d.NotificationID))
		}
	}
	return len(evs), nil
}

// plan works out what event ev changes and sends: the rules' conditions
// that changed state, and one notification per channel.
func (s *Service) plan(ctx context.Context, ev Event, chans []Channel, rules []Rule) ([]Condition, []Delivery, error) {
	p := planner{s: s, ev: ev, now: s.now()}
	switch {
	case ev.Run != nil:
		p.exportRef(ctx)
		if ev.Kind == EventRunEnded {
			if err := p.runAlerts(ctx, rules); err != nil {
				return nil, nil, err
			}
		}
		p.lifecycle(chans)
	case ev.Source != nil:
		if err := p.sourceAlerts(ctx, rules); err != nil {
			return nil, nil, err
		}
	}
	ds, err := p.alertDeliveries(chans)
	if err != nil {
		return nil, nil, err
	}
	return p.conds, append(ds, p.deliveries...), nil
}

// planner collects what one event changes.
type planner struct {
	s      *Service
	ev     Event
	now    time.Time
	export *ExportRef
	conds  []Condition
	// alerts by rule, in rule order, the rules they are of, and for a
	// recovery when the condition had started.
	alerts     []Alert
	alertRules []Rule
	firedAt    []time.Time
	deliveries []Delivery
}

// exportRef names the run's export (its id alone if it is gone).
func (p *planner) exportRef(ctx context.Context) {
	ri := p.ev.Run
	p.export = &ExportRef{ID: ri.ExportID, Name: fmt.Sprintf("export #%d", ri.ExportID)}
	if e, err := p.s.st.GetExport(ctx, strconv.FormatInt(ri.ExportID, 10)); err == nil {
		p.export.Name = e.Name
	}
	ri.ExportName = p.export.Name
	ri.URL = p.s.RunURL(ri.ID)
}

// runAlerts evaluates every rule watching the run's export.
func (p *planner) runAlerts(ctx context.Context, rules []Rule) error {
	ri := p.ev.Run
	subject := "export:" + strconv.FormatInt(ri.ExportID, 10)
	var hist []run.Run
	history := func() ([]run.Run, error) {
		if hist == nil {
			h, err := p.s.st.ListRuns(ctx, ri.ExportID, 50)
			if err != nil {
				return nil, err
			}
			hist = h
		}
		return hist, nil
	}
	var applicable []Rule
	for _, r := range rules {
		if r.appliesTo(ri.ExportID) {
			applicable = append(applicable, r)
		}
	}
	if len(applicable) == 0 {
		return nil
	}
	return p.transitions(ctx, subject, ri.ID, applicable, func(r Rule) (finding, error) { return evaluate(r, ri, history) })
}

// sourceAlerts evaluates the source_failed rules.
func (p *planner) sourceAlerts(ctx context.Context, rules []Rule) error {
	src := p.ev.Source
	var applicable []Rule
	for _, r := range rules {
		if r.Kind == RuleSourceFailed {
			applicable = append(applicable, r)
		}
	}
	if len(applicable) == 0 {
		return nil
	}
	f := finding{clears, fmt.Sprintf("source %q loads again", src.Name)}
	if src.Failed {
		f = finding{holds, withMessage(fmt.Sprintf("source %q failed", src.Name), src.Message)}
	}
	return p.transitions(ctx, "source:"+src.Name, 0, applicable, func(Rule) (finding, error) { return f, nil })
}

// transitions compares each rule's finding with its stored condition of
// subject and keeps the changes of state.
func (p *planner) transitions(ctx context.Context, subject string, runID int64, rules []Rule, eval func(Rule) (finding, error)) error {
	stored, err := p.s.st.NotifyConditions(ctx, subject)
	if err != nil {
		return err
	}
	firing, since := map[int64]bool{}, map[int64]time.Time{}
	for _, c := range stored {
		firing[c.RuleID], since[c.RuleID] = c.Firing, c.Since
	}
	for _, r := range rules {
		f, err := eval(r)
		if err != nil {
			return err
		}
		was := firing[r.ID]
		if f.v == unknown || (f.v == holds) == was {
			continue
		}
		now := f.v == holds
		p.conds = append(p.conds, Condition{RuleID: r.ID, Subject: subject, Firing: now, Since: p.ev.At, RunID: runID})
		state, firedAt := StateRecovered, since[r.ID]
		if now {
			state, firedAt = StateFiring, p.ev.At
		}
		p.alerts = append(p.alerts, Alert{Rule: ruleRef(r), State: state, Text: f.text})
		p.alertRules = append(p.alertRules, r)
		p.firedAt = append(p.firedAt, firedAt)
	}
	return nil
}

// alertDeliveries makes one alert notification per channel that one of
// the changed rules notifies. A channel added after the condition started
// is not told it ended (nor anything that happened before it existed).
func (p *planner) alertDeliveries(chans []Channel) ([]Delivery, error) {
	var out []Delivery
	for _, c := range chans {
		var alerts []Alert
		for i, r := range p.alertRules {
			if c.CreatedAt.After(p.firedAt[i]) {
				continue
			}
			if (r.ChannelID == 0 && c.Events.Alerts) || r.ChannelID == c.ID {
				alerts = append(alerts, p.alerts[i])
			}
		}
		if len(alerts) == 0 {
			continue
		}
		n := p.notification(TypeAlert, TypeAlert, alertText(p.export, p.ev.Source, alerts))
		n.Alerts = alerts
		d, err := p.delivery(c, n)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

func alertText(e *ExportRef, src *SourceInfo, alerts []Alert) string {
	what := "segbridge"
	switch {
	case e != nil:
		what = fmt.Sprintf("Export %q", e.Name)
	case src != nil:
		what = fmt.Sprintf("Source %q", src.Name)
	}
	head := what + " is back to normal:"
	for _, a := range alerts {
		if a.State == StateFiring {
			head = what + " needs attention:"
			break
		}
	}
	lines := []string{head}
	for _, a := range alerts {
		mark := "•"
		if a.State == StateRecovered {
			mark = "✓"
		}
		lines = append(lines, fmt.Sprintf("%s %s: %s", mark, RuleKind(a.Rule.Kind).Label(), a.Text))
	}
	return strings.Join(lines, "\n")
}

// lifecycle makes the lifecycle notification of a run event for every
// channel that takes them.
func (p *planner) lifecycle(chans []Channel) {
	ri := p.ev.Run
	event, text := lifecycleText(p.ev.Kind, ri)
	if event == "" {
		return
	}
	for _, c := range chans {
		if !c.Events.Lifecycle || c.CreatedAt.After(p.ev.At) {
			continue
		}
		d, err := p.delivery(c, p.notification(TypeLifecycle, event, fmt.Sprintf("Export %q: %s", p.export.Name, text)))
		if err != nil {
			p.s.log.Error("lifecycle notification not made", slog.Any("error", err))
			continue
		}
		p.deliveries = append(p.deliveries, d)
	}
}

// lifecycleText names a run event's lifecycle event and says it.
func lifecycleText(kind EventKind, ri *RunInfo) (string, string) {
	id := fmt.Sprintf("run #%d", ri.ID)
	switch kind {
	case EventRunQueued:
		return "run.queued", fmt.Sprintf("%s queued (%s)", id, ri.Trigger)
	case EventRunStarted:
		return "run.started", id + " started"
	case EventRunEnded:
	default:
		return "", ""
	}
	c := ri.Counts
	counts := fmt.Sprintf("%d members: %d added, %d updated, %d unchanged, %d untagged, %d skipped, %d failed",
		c.Members, c.Added, c.Updated, c.Unchanged, c.Untagged, c.Skipped, c.Failed)
	switch run.Status(ri.Status) {
	case run.StatusSucceeded:
		return "run.finished", id + " finished; " + counts
	case run.StatusFailed:
		return "run.failed", withMessage(id+" failed", ri.Message)
	case run.StatusHeld:
		return "run.held", withMessage(id+" was held", ri.Message) + "; " + counts
	case run.StatusCancelled:
		return "run.cancelled", id + " was cancelled"
	}
	return "", ""
}

func (p *planner) notification(typ, event, text string) Notification {
	n := Notification{Schema: SchemaVersion, ID: newID(), Sequence: p.ev.ID, Type: typ, Event: event,
		CreatedAt: p.now, Text: text, Export: p.export, Run: p.ev.Run, Source: p.ev.Source}
	if p.ev.Run != nil {
		n.URL = p.ev.Run.URL
	}
	return n
}

// delivery is notification n to channel c, due now.
func (p *planner) delivery(c Channel, n Notification) (Delivery, error) {
	body, err := n.encode()
	if err != nil {
		return Delivery{}, err
	}
	d := Delivery{ChannelID: c.ID, Channel: c.Name, NotificationID: n.ID, Event: n.Event, Summary: summary(n.Text),
		Payload: body, Status: DeliveryPending, MaxAttempts: p.s.cfg.Retry.MaxAttempts, NextAttempt: p.now, CreatedAt: p.now}
	if p.ev.Run != nil {
		d.RunID = p.ev.Run.ID
	}
	return d, nil
}
