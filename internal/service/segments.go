package service

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"segbridge/internal/segment"
	"segbridge/internal/store"
	"segbridge/internal/user"
)

// Segments creates, changes, refreshes and deletes segments.
type Segments struct{ *core }

// SegmentInput is a new segment: a rule, or a static list of profile ids.
type SegmentInput struct {
	Name string
	// Rule is the CEL rule of a rule segment.
	Rule string
	// IDs are the profile ids of a static segment (when Rule is "").
	IDs []string
	// Static says the segment is static even when IDs is empty (so that
	// the error says the list is empty rather than the rule).
	Static bool
}

// Get finds a segment by name or slug; every signed-in user may read
// segments.
func (s *Segments) Get(ctx context.Context, nameOrSlug string) (segment.Segment, error) {
	seg, err := s.st.GetSegment(ctx, nameOrSlug)
	if errors.Is(err, store.ErrNotFound) {
		return seg, NotFound("no segment named %q", nameOrSlug).because(err)
	}
	return seg, err
}

// CheckRule checks a rule against the stored profiles' schema, as saving
// it would: its syntax, its types, and that every attribute it names is
// carried by some profile. The error is an *Error naming the field
// "rule", wrapping the *segment.RuleError (line, column, snippet).
func (s *Segments) CheckRule(ctx context.Context, rule string) error {
	if _, err := segment.Compile(rule); err != nil {
		return ruleError(err)
	}
	schema, err := s.st.ProfileSchema(ctx)
	if err != nil {
		return err
	}
	if _, err := segment.CheckRule(rule, schema); err != nil {
		return ruleError(err)
	}
	return nil
}

// ruleError is a rule's compile or check error as an invalid "rule".
func ruleError(err error) error {
	var re *segment.RuleError
	if errors.As(err, &re) {
		// The message already says it is a rule error, with its position.
		return (&Error{Kind: KindInvalid, Msg: re.Error(), Fields: []FieldProblem{{Field: "rule", Msg: re.Error()}}}).because(err)
	}
	return err
}

// Create checks and stores a new segment (it is not refreshed).
func (s *Segments) Create(ctx context.Context, p user.Principal, in SegmentInput) (segment.Segment, error) {
	if err := allow(p, SegmentCreate, Subject{}); err != nil {
		return segment.Segment{}, err
	}
	var (
		d   segment.Draft
		err error
	)
	if in.Rule != "" || !in.Static && len(in.IDs) == 0 {
		d, err = segment.NewRuleDraft(in.Name, in.Rule)
	} else {
		d, err = segment.NewStaticDraft(in.Name, in.IDs)
	}
	if err != nil {
		derr := draftError(err, in)
		if se, ok := AsError(derr); ok && se.Field() == "name" && in.Rule != "" {
			// A bad name and a rule: name the rule's problem too, at once.
			rerr := s.CheckRule(ctx, in.Rule)
			if re, ok := AsError(rerr); ok && len(re.Fields) > 0 {
				return segment.Segment{}, InvalidFields(append(slices.Clone(se.Fields), re.Fields...)...).because(err)
			} else if rerr != nil && !ok {
				return segment.Segment{}, rerr
			}
		}
		return segment.Segment{}, derr
	}
	if d.Kind == segment.KindRule {
		if err := s.CheckRule(ctx, d.Rule); err != nil {
			return segment.Segment{}, err
		}
	}
	seg, err := s.st.CreateSegment(ctx, d, s.now())
	if errors.Is(err, store.ErrConflict) {
		return seg, Conflict("a segment named %q (or with slug %q) already exists", d.Name, d.Slug).because(err)
	}
	if err != nil {
		return seg, fmt.Errorf("create segment %q: %w", d.Name, err)
	}
	s.record(ctx, p, SegmentCreate, seg.Name, string(seg.Kind))
	return seg, nil
}

// draftError names the field a draft's error is about.
func draftError(err error, in SegmentInput) error {
	var re *segment.RuleError
	switch {
	case errors.As(err, &re):
		return ruleError(err)
	case segment.ValidateName(in.Name) != nil:
		return Invalid("name", "%s", err.Error()).because(err)
	case in.Rule == "" && !in.Static && len(in.IDs) == 0:
		return Invalid("rule", "give a rule (a rule segment) or profile ids (a static segment)").because(err)
	}
	return Invalid("ids", "%s", err.Error()).because(err)
}

// subject is seg as the permission table sees it: the admin-only
// connections of the exports that send it.
func (s *Segments) subject(ctx context.Context, seg segment.Segment) (Subject, error) {
	exps, err := s.st.ListExports(ctx)
	if err != nil {
		return Subject{}, err
	}
	var conns []int64
	for _, e := range exps {
		if slices.Contains(e.Segments, seg.ID) && e.ConnectionID != 0 {
			conns = append(conns, e.ConnectionID)
		}
	}
	admins, err := s.adminOnlyConnections(ctx, conns...)
	return Subject{Name: fmt.Sprintf("segment %q feeds an export that", seg.Name), AdminOnly: admins}, err
}

// writable finds a segment and checks that p may perform a on it.
func (s *Segments) writable(ctx context.Context, p user.Principal, a Action, nameOrSlug string) (segment.Segment, error) {
	if err := allow(p, a, Subject{}); err != nil {
		return segment.Segment{}, err
	}
	seg, err := s.Get(ctx, nameOrSlug)
	if err != nil {
		return seg, err
	}
	sub, err := s.subject(ctx, seg)
	if err != nil {
		return seg, err
	}
	return seg, allow(p, a, sub)
}

// UpdateRule replaces a rule segment's rule (checked first); its members
// change at its next refresh, its name and slug never.
func (s *Segments) UpdateRule(ctx context.Context, p user.Principal, nameOrSlug, rule string) (segment.Segment, error) {
	seg, err := s.writable(ctx, p, SegmentUpdate, nameOrSlug)
	if err != nil {
		return seg, err
	}
	if seg.Kind != segment.KindRule {
		return seg, Invalid("rule", "segment %q is static: it has no rule to change (create a rule segment instead)", seg.Name)
	}
	if err := s.CheckRule(ctx, rule); err != nil {
		return seg, err
	}
	seg, err = s.st.UpdateSegmentRule(ctx, seg.ID, rule, s.now())
	if err != nil {
		return seg, fmt.Errorf("update segment %q: %w", seg.Name, err)
	}
	s.record(ctx, p, SegmentUpdate, seg.Name, seg.Rule)
	return seg, nil
}

// Delete removes a segment and its membership. A segment an export sends
// cannot be deleted: the conflict names the exports.
func (s *Segments) Delete(ctx context.Context, p user.Principal, nameOrSlug string) (segment.Segment, error) {
	seg, err := s.writable(ctx, p, SegmentDelete, nameOrSlug)
	if err != nil {
		return seg, err
	}
	err = s.st.DeleteSegment(ctx, seg.ID)
	if errors.Is(err, store.ErrInUse) {
		return seg, Conflict("segment %q is used by %s; take it out of their segments first", seg.Name, inUseBy(err)).because(err)
	}
	if err != nil {
		return seg, fmt.Errorf("delete segment %q: %w", seg.Name, err)
	}
	s.record(ctx, p, SegmentDelete, seg.Name, "")
	return seg, nil
}

// inUseBy names what holds a row, from a store.ErrInUse error.
func inUseBy(err error) string {
	var iu *store.InUseError
	if errors.As(err, &iu) && len(iu.By) > 0 {
		return iu.Text()
	}
	return "an export"
}

// Refresh evaluates a segment and stores its membership.
func (s *Segments) Refresh(ctx context.Context, p user.Principal, nameOrSlug string) (segment.Segment, segment.RefreshResult, error) {
	seg, err := s.writable(ctx, p, SegmentRefresh, nameOrSlug)
	if err != nil {
		return seg, segment.RefreshResult{}, err
	}
	res, err := segment.Refresh(ctx, s.st, seg, s.now())
	if err != nil {
		return seg, res, fmt.Errorf("refresh segment %q: %w", seg.Name, err)
	}
	if seg, err = s.Get(ctx, seg.Slug); err != nil {
		return seg, res, err
	}
	s.record(ctx, p, SegmentRefresh, seg.Name, fmt.Sprintf("%d members (+%d, -%d)", len(res.Members), res.Joined, res.Left))
	return seg, res, nil
}
