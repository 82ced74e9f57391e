package run

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
)

// Preview is what a run of an export would do now, computed by the very
// plan a run makes (planOps) into a sink that only counts and lists: no
// run, no op, no state change, no request to Omnisend.
type Preview struct {
	// Counts are the run's counts if Omnisend takes everything: Added and
	// Updated count the upserts, Untagged the untag calls' contacts,
	// Skipped the members not sent, by reason.
	Counts Counts `json:"counts"`
	// Tagged counts the contacts given tags through the tag endpoints
	// (Target.TagEndpoints).
	Tagged int `json:"tagged"`
	// Actions counts the diff's rows by action and reason.
	Actions []ActionCount `json:"actions"`
	// Requests are the Omnisend requests the run would make.
	Requests Requests `json:"requests"`
	// Brake says what the export's removal brake would do with the run:
	// hold its untags (and why), or nothing ("").
	Brake string `json:"brake,omitempty"`
	// Plan is how the run would plan: PlanFull or PlanChanges (what
	// changed since the export's last run); PlanReason says why in full.
	Plan       string `json:"plan"`
	PlanReason string `json:"plan_reason,omitempty"`
}

// ActionCount is how many contacts get one action for one reason.
type ActionCount struct {
	Action string `json:"action"`
	Reason string `json:"reason"`
	N      int    `json:"contacts"`
}

// Diff actions and their reasons.
const (
	ActionAdd    = "add"
	ActionUpdate = "update"
	ActionTag    = "tag"
	ActionUntag  = "untag"
	ActionSkip   = "skip"

	// ReasonNew: the export never sent the contact.
	ReasonNew = "new"
	// ReasonUnconfirmed: the export sent it, but no batch confirmed it.
	ReasonUnconfirmed = "unconfirmed"
	// ReasonChanged: its fields or segment tags changed.
	ReasonChanged = "changed"
	// ReasonUnsure: an earlier batch's outcome is unknown, so it is sent
	// again.
	ReasonUnsure = "unsure"
	// ReasonLeft: it left every segment of the export.
	ReasonLeft = "left"
	// ReasonLeftSegments: it left some of the export's segments.
	ReasonLeftSegments = "left_segments"
)

// DiffRow is one contact a run would change or skip: the diff a preview
// streams.
type DiffRow struct {
	Email  string `json:"email"`
	Action string `json:"action"`
	Reason string `json:"reason"`
	// Fields are the contact's fields that change, old → new (Tags aside:
	// see TagsAdded and TagsRemoved). An added contact has every field it
	// sends, with no old value.
	Fields []FieldChange `json:"fields,omitempty"`
	// OldUnknown marks an update whose last confirmed contact is no longer
	// on record: its fields are listed with their new values only.
	OldUnknown  bool     `json:"old_unknown,omitempty"`
	TagsAdded   []string `json:"tags_added,omitempty"`
	TagsRemoved []string `json:"tags_removed,omitempty"`
}

// FieldChange is one field of a contact, old → new ("" when absent).
type FieldChange struct {
	Field string `json:"field"`
	Old   string `json:"old"`
	New   string `json:"new"`
}

// PreviewOptions tune Executor.Preview.
type PreviewOptions struct {
	// Diff, when set, gets one row per contact the run would change or
	// skip, in plan order, as the plan goes (nothing is collected).
	Diff func(DiffRow) error
	// Before returns the contact (omnisend.Contact as JSON) last
	// confirmed for those of emails the export has one of: the diff's old
	// values. Only asked when Diff is set; nil: old values unknown.
	Before func(ctx context.Context, exportID int64, emails []string) (map[string][]byte, error)
	// Full previews a full plan (a run started with a full check), else
	// the plan a run would choose (see incremental.go).
	Full bool
	// Ops, when set, gets every op of the plan (run 0), a chunk at a time.
	Ops func([]Op) error
	// Relink, when set, gets the state entries the run's plan would give
	// to another profile (see relinker).
	Relink func([]StateEntry) error
	// KeepSkips, when set, gets the skipped members the run's plan would
	// keep as the export's (see skipKeeper).
	KeepSkips func(full bool, reread []string, skips []Op) error
}

// Preview plans export exportID's run against target t exactly as a run's
// plan step does (the same members, mapping, diff, cap and refusals) but
// hands the ops to a counting sink: it writes nothing and asks Omnisend
// nothing (t.Client only sizes the batches). Unlike a run it does not
// first confirm the batches of the export's unfinished runs (that would
// write): their contacts are in the state as unsure and previewed as sent
// again. A plan the run would refuse is refused here alike (*RefusedError).
func (e *Executor) Preview(ctx context.Context, exportID int64, t Target, opt PreviewOptions) (Preview, error) {
	if t.Client == nil {
		return Preview{}, errors.New("preview: the target has no Omnisend client to size batches with")
	}
	var s *previewSink
	p, info, err := e.planAuto(ctx, Run{ID: math.MaxInt64, ExportID: exportID, Plan: PlanInfo{Full: opt.Full}}, t, func(mode string) (Sink, error) {
		s = &previewSink{exportID: exportID, opt: opt, est: newEstimator(t), actions: map[[2]string]int{}}
		// A changes-only plan may give way to a full one: its rows wait
		// until it is done.
		s.hold = mode == PlanChanges
		return s, nil
	})
	if err != nil {
		return Preview{}, err
	}
	for _, row := range s.held {
		if err := opt.Diff(row); err != nil {
			return Preview{}, err
		}
	}
	if len(s.heldRelinks) > 0 {
		if err := opt.Relink(s.heldRelinks); err != nil {
			return Preview{}, err
		}
	}
	if len(s.heldOps) > 0 {
		if err := opt.Ops(s.heldOps); err != nil {
			return Preview{}, err
		}
	}
	if err := s.est.flush(); err != nil {
		return Preview{}, err
	}
	pv := Preview{Counts: s.counts, Tagged: s.tagged, Requests: s.est.requests(), Plan: info.Mode, PlanReason: info.Reason}
	pv.Counts.Members, pv.Counts.Unchanged, pv.Counts.Kept = p.members, p.unchanged, p.kept
	pv.Counts.Dropped = p.dropped
	pv.Counts = pv.Counts.withUnchangedSkips(p.unchangedSkips)
	last, err := e.lastSucceeded(ctx, Run{ID: math.MaxInt64, ExportID: exportID})
	if err != nil {
		return Preview{}, fmt.Errorf("preview: removal brake: %w", err)
	}
	if crossed := t.Brake.crossed(p.figures(), last); len(crossed) > 0 && p.untags > 0 {
		pv.Brake = "the removal brake would hold the run's untags for approval: " + strings.Join(crossed, "; ")
	}
	for k, n := range s.actions {
		pv.Actions = append(pv.Actions, ActionCount{Action: k[0], Reason: k[1], N: n})
	}
	slices.SortFunc(pv.Actions, func(a, b ActionCount) int {
		if c := actionOrder(a.Action) - actionOrder(b.Action); c != 0 {
			return c
		}
		return compareStrings(a.Reason, b.Reason)
	})
	return pv, nil
}

func actionOrder(a string) int {
	return slices.Index([]string{ActionAdd, ActionUpdate, ActionTag, ActionUntag, ActionSkip}, a)
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// previewSink counts a plan's ops as a run's would count once Omnisend took
// them, estimates the requests they take, and streams the diff.
type previewSink struct {
	exportID int64
	opt      PreviewOptions
	est      *estimator
	counts   Counts
	tagged   int
	actions  map[[2]string]int
	// hold keeps the diff's rows (and ops) in held (heldOps) instead of
	// streaming them.
	hold        bool
	held        []DiffRow
	heldOps     []Op
	heldRelinks []StateEntry
}

// KeepSkips implements skipKeeper: a preview writes nothing, but tells
// opt.KeepSkips. (A plan keeps its skips once, when it is done.)
func (s *previewSink) KeepSkips(_ context.Context, full bool, reread []string, skips []Op) error {
	if s.opt.KeepSkips == nil {
		return nil
	}
	return s.opt.KeepSkips(full, slices.Clone(reread), slices.Clone(skips))
}

// Relink implements relinker: a preview writes nothing, but tells
// opt.Relink.
func (s *previewSink) Relink(_ context.Context, entries []StateEntry) error {
	if s.opt.Relink == nil {
		return nil
	}
	if s.hold {
		s.heldRelinks = append(s.heldRelinks, entries...)
		return nil
	}
	return s.opt.Relink(slices.Clone(entries))
}

// Ops implements Sink.
func (s *previewSink) Ops(ctx context.Context, ops []Op, prior map[string]StateEntry) error {
	if s.opt.Ops != nil {
		if s.hold {
			s.heldOps = append(s.heldOps, ops...)
		} else if err := s.opt.Ops(slices.Clone(ops)); err != nil {
			return err
		}
	}
	for _, op := range ops {
		if err := s.est.add(op); err != nil {
			return err
		}
		switch op.Kind {
		case OpSkip:
			s.counts.Skipped = addReason(s.counts.Skipped, op.Reason, 1)
		case OpUpsert:
			if op.New {
				s.counts.Added++
			} else {
				s.counts.Updated++
			}
		case OpUntag:
			s.counts.Untagged++
		case OpTag:
			s.tagged++
		}
	}
	groups := contactGroups(ops)
	var before map[string][]byte
	if s.opt.Diff != nil && s.opt.Before != nil {
		var emails []string
		for _, g := range groups {
			if up := g.upsert(); up != nil && !up.New {
				emails = append(emails, up.Email)
			}
		}
		if len(emails) > 0 {
			var err error
			if before, err = s.opt.Before(ctx, s.exportID, emails); err != nil {
				return fmt.Errorf("preview: last confirmed contacts: %w", err)
			}
		}
	}
	for _, g := range groups {
		var st *StateEntry
		if e, ok := prior[g[0].Email]; ok {
			st = &e
		}
		row := diffRow(g, st)
		s.actions[[2]string{row.Action, row.Reason}]++
		if s.opt.Diff == nil {
			continue
		}
		if err := row.fields(g, before, s.opt.Before != nil); err != nil {
			return err
		}
		if s.hold {
			s.held = append(s.held, row)
			continue
		}
		if err := s.opt.Diff(row); err != nil {
			return err
		}
	}
	return nil
}

// opGroup is the ops of one contact: the planner adds them one after the
// other (decide), and a skip stands alone.
type opGroup []Op

func (g opGroup) upsert() *Op {
	for i := range g {
		if g[i].Kind == OpUpsert {
			return &g[i]
		}
	}
	return nil
}

func (g opGroup) of(k OpKind) *Op {
	for i := range g {
		if g[i].Kind == k {
			return &g[i]
		}
	}
	return nil
}

func contactGroups(ops []Op) []opGroup {
	var out []opGroup
	for i, op := range ops {
		if i > 0 && op.Kind != OpSkip && ops[i-1].Kind != OpSkip && op.Email == ops[i-1].Email {
			out[len(out)-1] = append(out[len(out)-1], op)
			continue
		}
		out = append(out, opGroup{op})
	}
	return out
}

// diffRow names a contact's action and reason and its tags; fields fills
// in its fields.
func diffRow(g opGroup, st *StateEntry) DiffRow {
	row := DiffRow{Email: g[0].Email}
	up, tag, untag := g.upsert(), g.of(OpTag), g.of(OpUntag)
	switch {
	case g[0].Kind == OpSkip:
		row.Action, row.Reason = ActionSkip, g[0].Reason
		return row
	case up != nil && up.New:
		row.Action, row.Reason = ActionAdd, ReasonNew
		if st != nil {
			row.Reason = ReasonUnconfirmed
		}
	case up != nil:
		row.Action, row.Reason = ActionUpdate, ReasonChanged
		if st != nil && st.Unsure && up.Hash == st.Hash {
			row.Reason = ReasonUnsure
		}
	case untag != nil:
		row.Action, row.Reason = ActionUntag, ReasonLeftSegments
		if untag.Leaves {
			row.Reason = ReasonLeft
		}
	case tag != nil:
		row.Action, row.Reason = ActionTag, ReasonChanged
	}
	switch {
	case tag != nil:
		row.TagsAdded = tag.Tags
	case up != nil && up.New:
		row.TagsAdded = contactTags(up.Contact)
	case up != nil && st != nil:
		row.TagsAdded = removedTags(up.Tags, st.Tags)
	case up != nil:
		row.TagsAdded = up.Tags
	}
	if untag != nil {
		row.TagsRemoved = untag.Tags
	}
	return row
}

// fields fills in the fields an upsert changes, against the contact last
// confirmed (before, by e-mail; known says whether it was looked up).
func (row *DiffRow) fields(g opGroup, before map[string][]byte, known bool) error {
	up := g.upsert()
	if up == nil {
		return nil
	}
	var old []byte
	if !up.New {
		old = before[up.Email]
		row.OldUnknown = old == nil || !known
	}
	changes, err := contactChanges(old, up.Contact)
	if err != nil {
		return fmt.Errorf("preview: contact %s: %w", up.Email, err)
	}
	row.Fields = changes
	return nil
}

// contactTags reads the tags of a contact as JSON.
func contactTags(contact []byte) []string {
	var c struct{ Tags []string }
	if json.Unmarshal(contact, &c) != nil {
		return nil
	}
	return c.Tags
}
