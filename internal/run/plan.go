package run

import (
	"context"
	"fmt"
	"slices"

	"segbridge/internal/profile"
)

// plan maps every member to its desired contact, stages them, and diffs
// them against the export's confirmed state into ops. A plan interrupted
// part-way starts over: nothing has been sent yet.
func (e *Executor) plan(ctx context.Context, r *Run, t Target) error {
	st := e.cfg.Store
	if err := st.ClearPlan(ctx, r.ID); err != nil {
		return err
	}
	p := planner{e: e, r: r, seq: 0}
	members := 0
	err := t.Members(ctx, func(prof profile.Profile, tags []string) error {
		members++
		if t.Cap > 0 && members > t.Cap {
			return fmt.Errorf("the export's segments have more than %d members (its profile cap); nothing was sent — raise the cap or narrow the segments", t.Cap)
		}
		d, reason := t.Map(prof, tags)
		if reason != "" {
			p.skip(prof.ID, d.Email, reason)
		} else {
			p.desired = append(p.desired, d)
		}
		if len(p.desired)+len(p.ops) >= e.cfg.PlanChunk {
			return p.flushDesired(ctx)
		}
		return nil
	})
	if err == nil {
		err = p.flushDesired(ctx)
	}
	if err != nil {
		return fmt.Errorf("plan: %w", err)
	}
	r.Counts.Members = members
	if err := st.ScanPlanDiff(ctx, r.ID, r.ExportID, func(d *Desired, s *StateEntry) error {
		p.diff(d, s, t.KeepLeavers)
		if len(p.ops) >= e.cfg.PlanChunk {
			return p.flushOps(ctx)
		}
		return nil
	}); err != nil {
		return fmt.Errorf("plan: diff against confirmed state: %w", err)
	}
	if err := p.flushOps(ctx); err != nil {
		return fmt.Errorf("plan: %w", err)
	}
	r.Counts.Unchanged, r.Counts.Kept = p.unchanged, p.kept
	r.Step = StepSend
	return nil
}

// planner buffers what plan writes.
type planner struct {
	e       *Executor
	r       *Run
	seq     int64
	desired []Desired
	ops     []Op
	// unchanged and kept are counted, not written as ops.
	unchanged, kept int
}

func (p *planner) add(op Op) {
	p.seq++
	op.RunID, op.Seq = p.r.ID, p.seq
	if op.Status == "" {
		op.Status = OpPending
	}
	p.ops = append(p.ops, op)
}

func (p *planner) skip(profileID, email, reason string) {
	p.add(Op{Kind: OpSkip, ProfileID: profileID, Email: email, Status: OpSkipped, Reason: reason})
}

func (p *planner) flushDesired(ctx context.Context) error {
	dups, err := p.e.cfg.Store.AddDesired(ctx, p.r.ID, p.desired)
	if err != nil {
		return err
	}
	for _, d := range dups {
		p.skip(d.ProfileID, d.Email, ReasonDuplicateEmail)
	}
	p.desired = p.desired[:0]
	return p.flushOps(ctx)
}

func (p *planner) flushOps(ctx context.Context) error {
	if len(p.ops) == 0 {
		return nil
	}
	if err := p.e.cfg.Store.AddOps(ctx, p.ops); err != nil {
		return err
	}
	p.ops = p.ops[:0]
	return nil
}

// diff turns one desired/state pair into ops.
func (p *planner) diff(d *Desired, s *StateEntry, keepLeavers bool) {
	switch {
	case s == nil:
		p.add(Op{Kind: OpUpsert, New: true, Email: d.Email, ProfileID: d.ProfileID, Contact: d.Contact, Hash: d.Hash, Tags: d.Tags})
	case d == nil && keepLeavers:
		p.kept++
	case d == nil:
		p.add(Op{Kind: OpUntag, Leaves: true, Email: s.Email, ProfileID: s.ProfileID, Tags: s.Tags})
	case d.Hash != s.Hash:
		p.add(Op{Kind: OpUpsert, Email: d.Email, ProfileID: d.ProfileID, Contact: d.Contact, Hash: d.Hash, Tags: d.Tags})
		if gone := removedTags(s.Tags, d.Tags); len(gone) > 0 && !keepLeavers {
			p.add(Op{Kind: OpUntag, Email: d.Email, ProfileID: d.ProfileID, Tags: gone})
		}
	default:
		p.unchanged++ // not written: an unchanged contact needs nothing
	}
}

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
