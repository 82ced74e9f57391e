package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"segbridge/internal/connection"
	"segbridge/internal/export"
	"segbridge/internal/profile"
	"segbridge/internal/run"
	"segbridge/internal/segment"
)

// signature sums up what decides the contacts ex sends besides the
// profiles and their membership (run.Target.Signature): its mapping, tag
// prefix, segments (their rules and slugs), consent policy, what it does
// with leavers, and how its connection tags. A run planned with another
// signature makes the next plan a full one.
func signature(ex export.Export, segs map[int64]segment.Segment, conn connection.Connection) string {
	type seg struct {
		ID   int64  `json:"id"`
		Kind string `json:"kind"`
		Rule string `json:"rule"`
		Slug string `json:"slug"`
	}
	v := struct {
		Mapping    export.Mapping       `json:"mapping"`
		TagPrefix  string               `json:"tag_prefix"`
		Segments   []seg                `json:"segments"`
		Consent    export.ConsentPolicy `json:"consent"`
		Leave      export.Leave         `json:"leave"`
		Connection int64                `json:"connection"`
		Tagging    connection.Tagging   `json:"tagging"`
		SourceTag  string               `json:"source_tag"`
	}{ex.Mapping, ex.TagPrefix, nil, ex.ConsentPolicy, ex.Leave, ex.ConnectionID, conn.Tagging, export.SourceTag}
	for _, id := range ex.Segments {
		s := segs[id]
		v.Segments = append(v.Segments, seg{ID: id, Kind: string(s.Kind), Rule: s.Rule, Slug: s.Slug})
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "" // never a changes-only plan on a signature that cannot be made
	}
	sum := sha256.Sum256(b)
	return run.PlanFormat + ":" + hex.EncodeToString(sum[:])
}

// runChanges is a run's run.Changes: its segments are refreshed (every
// join and leave is recorded), so the stored membership and the profiles'
// change times say what changed.
type runChanges struct {
	rv      resolver
	ex      export.Export
	members func(scan scanFunc) func(context.Context, func(profile.Profile, []string) error) error
}

// scanFunc streams stored member profiles (store.Segments'
// ScanMemberProfiles or ScanMemberProfilesOf).
type scanFunc func(ctx context.Context, fn func(id string, attrs []byte, segs []int64) error) error

func (c runChanges) Changed(ctx context.Context, since, refreshed time.Time, fn func(id string) error) error {
	st := c.rv.a.Store
	if err := st.ChangedProfiles(ctx, since, fn); err != nil {
		return err
	}
	return st.MemberChanges(ctx, c.ex.Segments, refreshed, fn)
}

func (c runChanges) MembersOf(ctx context.Context, ids []string, fn func(profile.Profile, []string) error) error {
	st := c.rv.a.Store
	return c.members(func(ctx context.Context, fn func(string, []byte, []int64) error) error {
		return st.ScanMemberProfilesOf(ctx, c.ex.Segments, ids, fn)
	})(ctx, fn)
}

func (c runChanges) MemberCount(ctx context.Context) (int, error) {
	return c.rv.a.Store.CountMembers(ctx, c.ex.Segments)
}

// previewChanges is a preview's run.Changes: nothing is refreshed, so the
// joins and leaves the run's refresh would record are found by evaluating
// the segments against their stored membership, and the members are read
// as evaluatedMembers reads them. (A preview reads every profile anyway.)
type previewChanges struct {
	rv      resolver
	ex      export.Export
	segs    map[int64]segment.Segment
	members func(context.Context, func(profile.Profile, []string) error) error
}

func (c previewChanges) Changed(ctx context.Context, since, refreshed time.Time, fn func(id string) error) error {
	st := c.rv.a.Store
	if err := st.ChangedProfiles(ctx, since, fn); err != nil {
		return err
	}
	if err := st.MemberChanges(ctx, c.ex.Segments, refreshed, fn); err != nil {
		return err
	}
	for _, id := range c.ex.Segments {
		seg := c.segs[id]
		ev, err := segment.Evaluate(ctx, st, seg)
		if err != nil {
			return err
		}
		stored := map[string]bool{}
		if err := st.ScanMembers(ctx, id, func(pid string) error { stored[pid] = true; return nil }); err != nil {
			return fmt.Errorf("segment %q: %w", seg.Name, err)
		}
		for _, pid := range ev.Members {
			if !stored[pid] {
				if err := fn(pid); err != nil {
					return err
				}
			}
			delete(stored, pid)
		}
		for pid := range stored { // would leave
			if err := fn(pid); err != nil {
				return err
			}
		}
	}
	return nil
}

func (c previewChanges) MembersOf(ctx context.Context, ids []string, fn func(profile.Profile, []string) error) error {
	want := make(map[string]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	return c.members(ctx, func(p profile.Profile, tags []string) error {
		if !want[p.ID] {
			return nil
		}
		return fn(p, tags)
	})
}

func (c previewChanges) MemberCount(ctx context.Context) (int, error) {
	n := 0
	err := c.members(ctx, func(profile.Profile, []string) error { n++; return nil })
	return n, err
}

var (
	_ run.Changes = runChanges{}
	_ run.Changes = previewChanges{}
)
