package run

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"segbridge/internal/profile"
)

// The incremental plan. A changes-only plan reads only the members whose
// mapped attributes or segment membership may have changed since the
// export's last successful run planned (its base), the contacts that run
// did not get through (failed or skipped ops), and the contacts the
// export's state holds as unsure; it diffs them exactly as a full plan
// does, and the leavers are the state entries of those profiles that no
// member wants any more. Every other member is unchanged since the base:
// its attributes and membership are the same, so is its desired contact,
// and the base confirmed it. A full plan is made instead for the first
// run, after a change of anything that decides what is sent (the target's
// Signature), after a run that did not finish, when a consent date held
// back by the base may have come due, when the base is older than the
// membership changes kept, and on request (PlanInfo.Full).

// Plan modes.
const (
	PlanFull    = "full"
	PlanChanges = "changes"
)

// PlanInfo is how a run planned (or is asked to plan).
type PlanInfo struct {
	// Full asks for a full plan (export run --full).
	Full bool `json:"full_requested,omitempty"`
	// Mode is PlanFull or PlanChanges once planned; Reason says why a
	// plan was full.
	Mode   string `json:"mode,omitempty"`
	Reason string `json:"reason,omitempty"`
	// Signature is the target's Signature the plan was made with.
	Signature string `json:"signature,omitempty"`
	// Started is when the plan started: the next changes-only plan reads
	// what changed from a margin before it.
	Started time.Time `json:"started,omitzero"`
	// Refreshed is when the run refreshed its segments before planning
	// (Target.Refreshed): the next changes-only plan reads the joins and
	// leaves of later refreshes.
	Refreshed time.Time `json:"refreshed,omitzero"`
	// Read counts the members a changes-only plan read.
	Read int `json:"read,omitempty"`
}

// Changes reads what changed for a changes-only plan (Target.Changes).
type Changes interface {
	// Changed streams the ids of the profiles whose attributes changed at
	// or after since, and of those that joined or left one of the export's
	// segments (deleted profiles leave) in a refresh after refreshed. An id
	// may come more than once.
	Changed(ctx context.Context, since, refreshed time.Time, fn func(id string) error) error
	// MembersOf streams those of ids (sorted) that are members, as
	// Target.Members would, in id order.
	MembersOf(ctx context.Context, ids []string, fn func(p profile.Profile, tags []string) error) error
	// MemberCount counts the export's members (what Target.Members would
	// stream).
	MemberCount(ctx context.Context) (int, error)
}

// ChangeMargin is how far before its base's plan started a changes-only
// plan reads profile changes: a profile written by an import whose
// transaction began before the base planned, but committed after it read,
// is read again. (Profiles' change times are the importer's clock when it
// wrote them; an import transaction must not stay open longer than this.)
// A run within this margin of the last one reads the changes of the
// margin again.
const ChangeMargin = 15 * time.Minute

// PlanFormat starts every Target.Signature: a base planned by a build
// whose changes-only plan relied on other records gives a full plan. 2:
// the export's skipped members are kept (Store.KeepSkips), not read from
// the base's skip ops.
const PlanFormat = "2"

// ChangesKept is how long membership changes are kept; a base older than
// this (less the margin) gives a full plan.
const ChangesKept = 30 * 24 * time.Hour

// planLookback is how many of the export's latest runs a plan looks
// through for its base.
const planLookback = 50

// needMoreError makes a changes-only plan start again reading more
// profiles: the owners, in the export's state, of e-mails the members it
// read carry (which of two members with one e-mail wins depends on both).
type needMoreError struct{ ids []string }

func (e *needMoreError) Error() string {
	return fmt.Sprintf("%d more profiles to read", len(e.ids))
}

// planMode decides how run r (a preview: ID math.MaxInt64) of its export
// plans against t: PlanChanges with its base, or PlanFull and why.
func (e *Executor) planMode(ctx context.Context, r Run, t Target) (mode, reason string, base Run, err error) {
	if t.Changes == nil {
		return PlanFull, "the target reads every member", Run{}, nil
	}
	if r.Plan.Full {
		return PlanFull, "a full check was asked for", Run{}, nil
	}
	runs, err := e.cfg.Store.ListRuns(ctx, r.ExportID, planLookback)
	if err != nil {
		return "", "", Run{}, err
	}
	for _, old := range runs { // newest first
		if old.ID >= r.ID {
			continue
		}
		if old.Status == StatusSucceeded {
			base = old
			break
		}
		if old.Status.Final() {
			return PlanFull, fmt.Sprintf("run %d did not finish", old.ID), Run{}, nil
		}
	}
	switch {
	case base.ID == 0 || base.Plan.Signature == "" || base.Plan.Started.IsZero():
		return PlanFull, "first run", Run{}, nil
	case !strings.HasPrefix(base.Plan.Signature, PlanFormat+":"):
		return PlanFull, "the first run since segbridge changed how it plans checks every member", Run{}, nil
	case base.Plan.Signature != t.Signature:
		return PlanFull, "the export's settings changed since its last run (mapping, tags, segments, consent policy or tagging)", Run{}, nil
	case base.Counts.Dropped[droppedFutureConsent] > 0:
		return PlanFull, "a consent date held back by the last run may have come due", Run{}, nil
	case e.cfg.Now().Sub(base.Plan.Started) > ChangesKept-ChangeMargin:
		return PlanFull, "the last run is older than the changes kept", Run{}, nil
	}
	return PlanChanges, "", base, nil
}

// droppedFutureConsent is the Dropped reason of a consent status dated
// later than the run (export.DroppedConsentFuture's name): the contact
// changes when that date comes, without any change of its profile.
const droppedFutureConsent = "consent_future_date"

// planChanges plans the changes since base into sink (see the comment at
// the top), reading the profiles extra too. It returns a *needMoreError
// when it must read more; its sink then holds a partial plan to throw
// away.
func (e *Executor) planChanges(ctx context.Context, exportID, runID int64, t Target, base Run, extra []string, sink Sink) (*planner, error) {
	st := e.cfg.Store
	p := &planner{e: e, exportID: exportID, runID: runID, sink: sink, keep: t.KeepLeavers, wanted: newWantedSet(),
		tagEndpoints: t.TagEndpoints, baseTags: t.BaseTags, incremental: true}
	ids := map[string]struct{}{}
	refreshed := base.Plan.Refreshed
	if refreshed.IsZero() {
		refreshed = base.Plan.Started.Add(-ChangeMargin)
	}
	if err := t.Changes.Changed(ctx, base.Plan.Started.Add(-ChangeMargin), refreshed, func(id string) error {
		ids[id] = struct{}{}
		return nil
	}); err != nil {
		return p, fmt.Errorf("plan: read changes: %w", err)
	}
	retry, err := st.RetryProfiles(ctx, base.ID)
	if err != nil {
		return p, fmt.Errorf("plan: read the last run's failures: %w", err)
	}
	for _, id := range retry {
		ids[id] = struct{}{}
	}
	unsure, err := st.UnsureState(ctx, exportID)
	if err != nil {
		return p, fmt.Errorf("plan: read unsure contacts: %w", err)
	}
	for _, s := range unsure {
		if s.ProfileID != "" {
			ids[s.ProfileID] = struct{}{}
		}
	}
	for _, id := range extra {
		ids[id] = struct{}{}
	}
	// The members the export skips are skipped again for the same reason
	// without reading them, unless they changed, or (a duplicate e-mail)
	// the member their e-mail went to might have (see carrySkips).
	skipped, err := st.ExportSkips(ctx, exportID)
	if err != nil {
		return p, fmt.Errorf("plan: read the export's skipped members: %w", err)
	}
	delete(ids, "")
	sorted := make([]string, 0, len(ids))
	for id := range ids {
		sorted = append(sorted, id)
	}
	slices.Sort(sorted)
	p.candidates = ids

	members, err := t.Changes.MemberCount(ctx)
	if err != nil {
		return p, fmt.Errorf("plan: count members: %w", err)
	}
	if t.Cap > 0 && members > t.Cap {
		return p, fmt.Errorf("plan: %w", capRefusal(t.Cap))
	}
	// The state entries of the profiles read (or that left): the members'
	// own, mostly (match looks up only the other e-mails), and the
	// leavers' candidates, with the unsure ones.
	owned, err := st.StateOfProfiles(ctx, exportID, sorted)
	if err != nil {
		return p, fmt.Errorf("plan: read the state of the changed profiles: %w", err)
	}
	p.owned = make(map[string]StateEntry, len(owned))
	for _, s := range owned {
		p.owned[s.Email] = s
	}
	buf := make([]planItem, 0, e.cfg.PlanChunk)
	read := 0
	err = t.Changes.MembersOf(ctx, sorted, func(prof profile.Profile, tags []string) error {
		read++
		d, reason := t.Map(prof, tags)
		buf = append(buf, planItem{d: d, reason: reason})
		if len(buf) == cap(buf) {
			err := p.match(ctx, buf)
			buf = buf[:0]
			return err
		}
		return nil
	})
	if err == nil && len(buf) > 0 {
		err = p.match(ctx, buf)
	}
	p.read = read
	p.members = members
	if err != nil {
		return p, fmt.Errorf("plan: %w", err)
	}
	p.carrySkips(skipped, owned, unsure)
	if len(p.more) > 0 {
		return p, &needMoreError{ids: p.more}
	}
	if members > 0 && p.skipped == members {
		return p, fmt.Errorf("plan: %w", allSkipped(members, p.skipReasons()))
	}
	if err := p.flushOps(ctx); err != nil {
		return p, fmt.Errorf("plan: %w", err)
	}
	// The leavers: those entries no member read wants.
	seen := map[string]bool{}
	for _, list := range [][]StateEntry{owned, unsure} {
		for _, s := range list {
			if seen[s.Email] || p.wanted.has(s.Email) {
				continue
			}
			seen[s.Email] = true
			if p.diff(nil, &s) {
				if p.prior == nil {
					p.prior = map[string]StateEntry{}
				}
				p.prior[s.Email] = s
			}
			if len(p.ops) >= e.cfg.PlanChunk {
				if err := p.flushOps(ctx); err != nil {
					return p, fmt.Errorf("plan: %w", err)
				}
			}
		}
	}
	if err := p.flushOps(ctx); err != nil {
		return p, fmt.Errorf("plan: %w", err)
	}
	// The export's skipped members read again lose their skip, unless
	// this plan skipped them again.
	var reread []string
	for _, op := range skipped {
		if _, read := p.candidates[op.ProfileID]; read {
			reread = append(reread, op.ProfileID)
		}
	}
	if err := p.keepSkips(ctx, false, reread); err != nil {
		return p, fmt.Errorf("plan: %w", err)
	}
	// Every member not read is unchanged (see planner.withOps).
	p.unchanged = members - p.skipped - p.withOps
	if t.Brake.weighsUntags(p.untags) { // the share of untags needs the state's size
		// Counting stops where the untags would no longer cross the
		// threshold (a million entries take 0.1–0.2 s to count).
		if p.state, err = st.CountState(ctx, exportID, t.Brake.untagsCrossBelow(p.untags)); err != nil {
			return p, fmt.Errorf("plan: %w", err)
		}
	}
	return p, nil
}

func capRefusal(cap int) error {
	return &RefusedError{Msg: fmt.Sprintf("the export's segments have more than %d members (its profile cap); nothing was sent — raise the cap or narrow the segments", cap)}
}

func allSkipped(members int, reasons string) error {
	return &RefusedError{Msg: fmt.Sprintf(
		"every one of the export's %d members was skipped (%s): nothing was sent and nothing untagged; check the export's mapping (is the e-mail attribute right?)",
		members, reasons)}
}

// carrySkips skips again the members the export skipped (skipped) that
// were not read, counting them without an op: their skip ops are those of
// the plan that decided them. A member skipped as a duplicate e-mail is
// skipped again only if no profile read carries or owned that e-mail (the
// member it went to is then unchanged and still first); else it is read
// too (p.more).
func (p *planner) carrySkips(skipped []Op, owned, unsure []StateEntry) {
	touched := map[string]bool{}
	for _, l := range [][]StateEntry{owned, unsure} {
		for _, s := range l {
			touched[s.Email] = true
		}
	}
	for _, op := range skipped {
		if _, read := p.candidates[op.ProfileID]; read {
			continue
		}
		if op.Reason == ReasonDuplicateEmail && (touched[op.Email] || p.wanted.has(op.Email)) {
			p.more = append(p.more, op.ProfileID)
			continue
		}
		p.skipUnchanged(op.Reason)
	}
}
