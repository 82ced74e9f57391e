package run

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"segbridge/internal/profile"
)

// plan maps every member to its desired contact and diffs it against the
// export's confirmed state into ops, a chunk at a time, then adds an untag
// for every state entry no member wants. Reading and mapping members runs
// on one goroutine, matching and writing ops on another, so the two
// overlap. The e-mails already planned are kept in memory as fingerprints
// (see wantedSet), to drop duplicates and find the leavers without writing
// them anywhere. A plan interrupted part-way starts over: nothing has been
// sent yet.
func (e *Executor) plan(ctx context.Context, r *Run, t Target) error {
	st := e.cfg.Store
	if err := e.adopt(ctx, r, t); err != nil {
		return fmt.Errorf("plan: continue earlier runs: %w", err)
	}
	started := e.cfg.Now()
	var sink *writingSink
	p, info, err := e.planAuto(ctx, *r, t, func(string) (Sink, error) {
		if sink != nil { // a plan starting over: the ops written so far go
			if err := sink.wait(); err != nil {
				return nil, err
			}
		}
		if err := st.ClearPlan(ctx, r.ID); err != nil {
			return nil, err
		}
		sink = newWritingSink(ctx, storeSink{st: st, exportID: r.ExportID})
		return sink, nil
	})
	if sink != nil {
		if werr := sink.wait(); err == nil && werr != nil {
			err = fmt.Errorf("plan: %w", werr)
		}
	}
	info.Full, info.Signature, info.Started, info.Refreshed = r.Plan.Full, t.Signature, started, t.Refreshed
	r.Plan = info
	r.Counts.Members = p.members
	if err != nil {
		return err
	}
	r.Counts.Unchanged, r.Counts.Kept = p.unchanged, p.kept
	r.Counts.Dropped = p.dropped
	r.Counts.SkippedUnchanged = p.unchangedSkips
	if err := e.brake(ctx, r, t, p.figures()); err != nil {
		return fmt.Errorf("plan: %w", err)
	}
	r.Step = StepSend
	t.progress.add(ctx, func(pr *Progress) { *pr = Progress{Upserts: p.upserts, Untags: p.untags} })
	return nil
}

// Sink takes the ops a plan decides, a chunk at a time, in seq order: the
// store's outbox for a run (storeSink), or a preview that only counts them
// and lists them (see Preview). One diff feeds both, so a preview is what
// the run would do.
type Sink interface {
	// Ops takes a chunk of ops. prior holds the export's state of the
	// chunk's contacts that have one, by e-mail. Neither is kept by the
	// planner after the call returns.
	Ops(ctx context.Context, ops []Op, prior map[string]StateEntry) error
}

// storeSink writes a run's ops to its outbox.
type storeSink struct {
	st       Store
	exportID int64
}

func (s storeSink) Ops(ctx context.Context, ops []Op, _ map[string]StateEntry) error {
	return s.st.AddOps(ctx, ops)
}

// writingSink is a run's storeSink whose ops are written by goroutines of
// their own (opWriters), a chunk behind the plan: the plan reads and diffs
// the next chunk of members while the last ones' ops are written (about a third of
// a changes-only plan's time at 1,000,000 members on SQLite went to
// writing ops). Ops waits while a chunk is still queued, and returns the
// first write error; wait ends the writer and returns it too. Relink and
// KeepSkips write at once.
type writingSink struct {
	storeSink
	chunks chan []Op
	done   chan struct{}
	err    atomic.Pointer[error] // the first write error
	mu     sync.Mutex            // guards closed and the sends
	closed bool
}

func newWritingSink(ctx context.Context, s storeSink) *writingSink {
	w := &writingSink{storeSink: s, chunks: make(chan []Op, 1), done: make(chan struct{})}
	var wg sync.WaitGroup
	for range opWriters {
		wg.Go(func() {
			for ops := range w.chunks {
				if w.failed() != nil {
					continue // drained; the plan stops at its next Ops
				}
				if err := s.st.AddOps(ctx, ops); err != nil {
					w.err.CompareAndSwap(nil, &err)
				}
			}
		})
	}
	go func() {
		wg.Wait()
		close(w.done)
	}()
	return w
}

// opWriters is how many chunks of ops a writingSink writes at once. On
// PostgreSQL the plan's end waited for one writer: a 1 % change of
// 1,000,000 members read its members in 130 ms, then inserted its 20,000
// ops for 630 ms, a chunk of 1,000 at a time. SQLite takes one write at a
// time, so there the second writer waits its turn.
const opWriters = 2

func (w *writingSink) failed() error {
	if p := w.err.Load(); p != nil {
		return *p
	}
	return nil
}

// Ops queues a copy of ops (the planner reuses them).
func (w *writingSink) Ops(ctx context.Context, ops []Op, _ map[string]StateEntry) error {
	if err := w.failed(); err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return errors.New("write ops: the plan's writer has ended")
	}
	select {
	case w.chunks <- slices.Clone(ops):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// wait lets the queued ops be written and returns the first write error.
func (w *writingSink) wait() error {
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		close(w.chunks)
	}
	w.mu.Unlock()
	<-w.done
	return w.failed()
}

// Relink implements relinker.
func (s storeSink) Relink(ctx context.Context, entries []StateEntry) error {
	return s.st.RelinkState(ctx, s.exportID, entries)
}

// relinker is a sink that records, for state entries whose e-mail a
// member of another profile now carries, that profile as the entry's own
// (a run's plan; a preview writes nothing). A changes-only plan relies on
// it: the state entry of an e-mail a member wants is that member's.
type relinker interface {
	Relink(ctx context.Context, entries []StateEntry) error
}

// planAuto plans run r's export against t as planMode decides: changes
// only, or in full (also when a changes-only plan gives way). newSink
// gives the sink to plan into in mode, a fresh one for the full plan that
// follows a changes-only plan giving way.
func (e *Executor) planAuto(ctx context.Context, r Run, t Target, newSink func(mode string) (Sink, error)) (*planner, PlanInfo, error) {
	runID := r.ID
	if runID == math.MaxInt64 {
		runID = 0
	}
	mode, reason, base, err := e.planMode(ctx, r, t)
	if err != nil {
		return &planner{}, PlanInfo{}, fmt.Errorf("plan: %w", err)
	}
	sink, err := newSink(mode)
	if err != nil {
		return &planner{}, PlanInfo{}, err
	}
	if mode == PlanChanges {
		var extra []string
		for range 3 {
			p, err := e.planChanges(ctx, r.ExportID, runID, t, base, extra, sink)
			var more *needMoreError
			if !errors.As(err, &more) {
				return p, PlanInfo{Mode: PlanChanges, Read: p.read}, err
			}
			extra = append(extra, more.ids...)
			if sink, err = newSink(PlanChanges); err != nil {
				return &planner{}, PlanInfo{}, err
			}
		}
		reason = "the e-mails of the changed members lead to too many other members"
		if sink, err = newSink(PlanFull); err != nil {
			return &planner{}, PlanInfo{}, err
		}
	}
	p, err := e.planOps(ctx, r.ExportID, runID, t, sink)
	return p, PlanInfo{Mode: PlanFull, Reason: reason, Read: p.members}, err
}

// planOps plans export exportID's members against its state into sink
// (runID numbers the ops; 0 for a preview). It only reads the store. The
// planner it returns, also with an error, holds the counts so far.
func (e *Executor) planOps(ctx context.Context, exportID, runID int64, t Target, sink Sink) (*planner, error) {
	st := e.cfg.Store
	p := &planner{e: e, exportID: exportID, runID: runID, sink: sink, keep: t.KeepLeavers, wanted: newWantedSet(), tagEndpoints: t.TagEndpoints, baseTags: t.BaseTags}
	chunks := make(chan []planItem, 2)
	g, gctx := errgroup.WithContext(ctx)
	members := 0
	g.Go(func() error {
		defer close(chunks)
		buf := make([]planItem, 0, e.cfg.PlanChunk)
		send := func() error {
			select {
			case chunks <- buf:
				buf = make([]planItem, 0, e.cfg.PlanChunk)
				return nil
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		err := t.Members(gctx, func(prof profile.Profile, tags []string) error {
			members++
			if t.Cap > 0 && members > t.Cap {
				return capRefusal(t.Cap)
			}
			d, reason := t.Map(prof, tags)
			buf = append(buf, planItem{d: d, reason: reason})
			if len(buf) == cap(buf) {
				return send()
			}
			return nil
		})
		if err == nil && len(buf) > 0 {
			err = send()
		}
		return err
	})
	g.Go(func() error {
		for items := range chunks {
			if err := p.match(gctx, items); err != nil {
				return err
			}
		}
		return nil
	})
	err := g.Wait()
	p.members = members
	if err != nil {
		return p, fmt.Errorf("plan: %w", err)
	}
	if members > 0 && p.skipped == members {
		return p, fmt.Errorf("plan: %w", allSkipped(members, p.skipReasons()))
	}
	if err := st.ScanState(ctx, exportID, func(s StateEntry) error {
		p.state++
		if p.wanted.has(s.Email) {
			return nil
		}
		if p.diff(nil, &s) {
			if p.prior == nil {
				p.prior = map[string]StateEntry{}
			}
			p.prior[s.Email] = s
		}
		if len(p.ops) >= e.cfg.PlanChunk {
			return p.flushOps(ctx)
		}
		return nil
	}); err != nil {
		return p, fmt.Errorf("plan: find leavers: %w", err)
	}
	if err := p.flushOps(ctx); err != nil {
		return p, fmt.Errorf("plan: %w", err)
	}
	if err := p.keepSkips(ctx, true, nil); err != nil {
		return p, fmt.Errorf("plan: %w", err)
	}
	return p, nil
}

// RefusedError is a plan that refuses the export as it is defined (more
// members than its cap, every member skipped, a mapping or rule that no
// longer fits the profiles): a run fails with its message, sending
// nothing, and a preview reports the same.
type RefusedError struct{ Msg string }

func (e *RefusedError) Error() string { return e.Msg }

// planItem is one mapped member: its desired contact, or why it is skipped.
type planItem struct {
	d      Desired
	reason string
}

// planner turns matched members into ops and hands them to its sink.
type planner struct {
	e               *Executor
	exportID, runID int64
	sink            Sink
	keep            bool // leave leavers tagged
	// tagEndpoints adds tags with tag ops, not on the upsert; baseTags
	// are added to every contact new to the export (Target).
	tagEndpoints bool
	baseTags     []string
	seq          int64
	ops          []Op
	// prior is the state of the contacts of ops, for the sink.
	prior map[string]StateEntry
	// members counts the members read.
	members int
	// wanted holds the e-mails planned so far.
	wanted wantedSet
	emails []string
	// unchanged and kept are counted, not written as ops.
	unchanged, kept int
	// upserts and untags count the ops written, for the run's progress.
	upserts, untags int
	// skipped counts the members skipped, by reason too.
	skipped int
	// state counts the export's state entries (for the brake).
	state   int
	reasons map[string]int
	// dropped counts the members planned with something left out, by
	// reason (Desired.Dropped).
	dropped map[string]int
	// incremental marks a changes-only plan, which reads the members in
	// candidates only (read counts them); withOps counts the members read
	// that got an op, so that every other member is unchanged.
	incremental bool
	candidates  map[string]struct{}
	read        int
	withOps     int
	// owned holds, by e-mail, the state entries of the profiles a
	// changes-only plan reads (read before the members): match looks up
	// only the e-mails not among them.
	owned map[string]StateEntry
	fetch []string
	// relinks are the state entries to give to the member now carrying
	// their e-mail (see relinker).
	relinks []StateEntry
	// more are the profiles a changes-only plan must read too: the
	// owners in the state of e-mails the members read carry.
	more []string
	// skips are the skip ops this plan decided, kept as the export's
	// skipped members (skipKeeper) when a run's plan ends; unchangedSkips
	// counts, by reason, those a changes-only plan carried over from
	// them without writing an op (see carrySkips).
	skips          []Op
	unchangedSkips map[string]int
}

// skipKeeper is a sink that records the plan's skipped members as the
// export's (a run's plan; a preview writes nothing): the next changes-only
// plan carries over those it does not read again.
type skipKeeper interface {
	KeepSkips(ctx context.Context, full bool, reread []string, skips []Op) error
}

// KeepSkips implements skipKeeper.
func (s storeSink) KeepSkips(ctx context.Context, full bool, reread []string, skips []Op) error {
	return s.st.KeepSkips(ctx, s.exportID, full, reread, skips)
}

// keepSkips hands the plan's skip decisions to its sink when it keeps
// them (full: they are all of the export's; else those of reread).
func (p *planner) keepSkips(ctx context.Context, full bool, reread []string) error {
	if k, ok := p.sink.(skipKeeper); ok {
		return k.KeepSkips(ctx, full, reread, p.skips)
	}
	return nil
}

func (p *planner) add(op Op) {
	p.seq++
	op.RunID, op.Seq = p.runID, p.seq
	switch op.Kind {
	case OpUpsert:
		p.upserts++
	case OpUntag:
		p.untags++
	}
	if op.Status == "" {
		op.Status = OpPending
	}
	p.ops = append(p.ops, op)
}

func (p *planner) skip(profileID, email, reason string) {
	p.skipped++
	p.reasons = addReason(p.reasons, reason, 1)
	op := Op{Kind: OpSkip, ProfileID: profileID, Email: email, Status: OpSkipped, Reason: reason}
	p.skips = append(p.skips, op)
	p.add(op)
}

// skipUnchanged counts a member skipped for the same reason by the plans
// before and unchanged since: skipped, without an op (carrySkips).
func (p *planner) skipUnchanged(reason string) {
	p.skipped++
	p.reasons = addReason(p.reasons, reason, 1)
	p.unchangedSkips = addReason(p.unchangedSkips, reason, 1)
}

// skipReasons says how many members were skipped for which reason.
func (p *planner) skipReasons() string { return ReasonsText(p.reasons) }

// match diffs a chunk of members against the export's state, in member
// order, and writes the ops. The first member with an e-mail wins; later
// ones are skipped as duplicates.
func (p *planner) match(ctx context.Context, items []planItem) error {
	p.emails = p.emails[:0]
	for i := range items {
		it := &items[i]
		if it.reason != "" {
			continue
		}
		if !p.wanted.add(it.d.Email) {
			it.reason = ReasonDuplicateEmail
			continue
		}
		p.emails = append(p.emails, it.d.Email)
	}
	state, err := p.stateOf(ctx, p.emails)
	if err != nil {
		return err
	}
	for i := range items {
		it := &items[i]
		if it.reason != "" {
			p.skip(it.d.ProfileID, it.d.Email, it.reason)
			continue
		}
		for _, f := range it.d.Dropped {
			p.dropped = addReason(p.dropped, f, 1)
		}
		var sp *StateEntry
		if s, ok := state[it.d.Email]; ok {
			sp = &s
			if s.ProfileID != it.d.ProfileID {
				if _, read := p.candidates[s.ProfileID]; p.incremental && !read {
					// That member decides too (which of the two comes
					// first): the plan starts again reading it.
					p.more = append(p.more, s.ProfileID)
				}
				p.relinks = append(p.relinks, StateEntry{Email: s.Email, ProfileID: it.d.ProfileID})
			}
		}
		if p.diff(&it.d, sp) {
			p.withOps++
		}
	}
	p.prior = state
	return p.flushOps(ctx)
}

// stateOf returns the export's state entries of emails: those in p.owned
// from there, the others from the store.
func (p *planner) stateOf(ctx context.Context, emails []string) (map[string]StateEntry, error) {
	if p.owned == nil {
		return p.e.cfg.Store.StateOf(ctx, p.exportID, emails)
	}
	p.fetch = p.fetch[:0]
	for _, e := range emails {
		if _, ok := p.owned[e]; !ok {
			p.fetch = append(p.fetch, e)
		}
	}
	state := map[string]StateEntry{}
	if len(p.fetch) > 0 {
		var err error
		if state, err = p.e.cfg.Store.StateOf(ctx, p.exportID, p.fetch); err != nil {
			return nil, err
		}
	}
	for _, e := range emails {
		if s, ok := p.owned[e]; ok {
			state[e] = s
		}
	}
	return state, nil
}

func (p *planner) flushOps(ctx context.Context) error {
	if len(p.relinks) > 0 {
		if rl, ok := p.sink.(relinker); ok {
			if err := rl.Relink(ctx, p.relinks); err != nil {
				return err
			}
		}
		p.relinks = p.relinks[:0]
	}
	if len(p.ops) == 0 {
		return nil
	}
	if err := p.sink.Ops(ctx, p.ops, p.prior); err != nil {
		return err
	}
	p.ops, p.prior = p.ops[:0], nil
	return nil
}

// diff turns one desired/state pair into ops, and reports whether it
// added any. An unsure state entry (an earlier batch's outcome is unknown)
// is sent again if still wanted, untagged if it left.
func (p *planner) diff(d *Desired, s *StateEntry) bool {
	before := p.seq
	p.decide(d, s)
	return p.seq != before
}

func (p *planner) decide(d *Desired, s *StateEntry) {
	switch {
	case s == nil:
		p.add(Op{Kind: OpUpsert, New: true, Email: d.Email, ProfileID: d.ProfileID, Contact: d.Contact, Hash: d.Hash, Tags: d.Tags})
		p.tagGained(d, nil)
	case d == nil && p.keep:
		p.kept++
	case d == nil:
		p.add(Op{Kind: OpUntag, Leaves: true, Email: s.Email, ProfileID: s.ProfileID, Tags: s.Tags})
	case s.Unsure || d.Hash != s.Hash:
		p.add(Op{Kind: OpUpsert, New: s.Hash == "", Email: d.Email, ProfileID: d.ProfileID, Contact: d.Contact, Hash: d.Hash, Tags: d.Tags})
		p.tagGained(d, s)
		p.untagLost(d, s)
	default:
		if !p.untagLost(d, s) {
			p.unchanged++ // not written: an unchanged contact needs nothing
		}
	}
}

// tagGained adds, when tags go through the tag endpoints, a tag op of
// the tags d must gain: the base tags and all its segment tags when the
// export never confirmed it (s nil, unconfirmed or unsure: Omnisend may
// hold any of them, or none), else the segment tags s lacks. (A contact's
// hash covers its tags, so a contact that gains a tag is upserted too: its
// batch's confirmation orders the tag op after the contact exists.)
func (p *planner) tagGained(d *Desired, s *StateEntry) {
	if !p.tagEndpoints {
		return
	}
	var add []string
	if s == nil || s.Unsure || s.Hash == "" {
		add = append(slices.Clone(p.baseTags), d.Tags...)
	} else {
		add = removedTags(d.Tags, s.Tags)
	}
	if len(add) > 0 {
		p.add(Op{Kind: OpTag, Email: d.Email, ProfileID: d.ProfileID, Tags: add})
	}
}

// untagLost adds an untag of the segment tags s may carry that d does not
// want (unless the export keeps them), and reports whether it did.
func (p *planner) untagLost(d *Desired, s *StateEntry) bool {
	gone := removedTags(s.Tags, d.Tags)
	if len(gone) == 0 || p.keep {
		return false
	}
	p.add(Op{Kind: OpUntag, Email: d.Email, ProfileID: d.ProfileID, Tags: gone})
	return true
}

// adopt continues the export's earlier runs that ended without
// succeeding (failed, cancelled, or stopped with their process): batches
// they sent are confirmed now, so what Omnisend took is in the state
// before this run plans, and the ops they left pending are marked as
// carried over. The plan then sends only what is still missing, against
// the current data, instead of everything again.
func (e *Executor) adopt(ctx context.Context, r *Run, t Target) error {
	runs, err := e.cfg.Store.ListRuns(ctx, r.ExportID, adoptLookback)
	if err != nil {
		return err
	}
	for _, old := range runs {
		if old.ID >= r.ID || !old.Status.Final() || old.Status == StatusSucceeded {
			continue
		}
		if err := e.confirmBatches(ctx, r, old.ID, t, true); err != nil {
			return fmt.Errorf("run %d: %w", old.ID, err)
		}
		n, err := e.cfg.Store.AbandonOps(ctx, old.ID, ReasonContinued, fmt.Sprintf("left pending; run %d re-planned it", r.ID))
		if err != nil {
			return fmt.Errorf("run %d: %w", old.ID, err)
		}
		if n > 0 {
			e.cfg.Logger.Info("run: continuing an earlier run", "run", r.ID, "earlier", old.ID, "carried_over", n)
		}
	}
	return nil
}

// adoptLookback is how many of the export's latest runs a plan looks at
// for unfinished work.
const adoptLookback = 20

// removedTags returns the tags in old that are not in new.
func removedTags(old, new []string) []string {
	var gone []string
	for _, t := range old {
		if !slices.Contains(new, t) {
			gone = append(gone, t)
		}
	}
	return gone
}
