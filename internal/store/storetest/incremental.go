package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/profile"
	"segbridge/internal/run"
	"segbridge/internal/segment"
)

// runIncremental checks the reads of a changes-only plan (issue 18).
func runIncremental(t *testing.T, newStore NewStore) {
	t.Run("ChangedProfilesAndMembership", func(t *testing.T) { testChangedProfiles(t, newStore) })
	t.Run("StateAndRetries", func(t *testing.T) { testIncrementalState(t, newStore) })
}

func collect(t *testing.T, scan func(fn func(string) error) error) []string {
	t.Helper()
	var out []string
	require.NoError(t, scan(func(id string) error { out = append(out, id); return nil }))
	slices.Sort(out)
	return slices.Compact(out)
}

// testChangedProfiles: UpdatedAt moves only when attributes change;
// refreshes record joins and leaves (and forget them after
// run.ChangesKept); the members of some ids are read with their segments
// and counted.
func testChangedProfiles(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	_, err := b.st.UpsertProfiles(b.ctx, []profile.Profile{prof("p1", "n", int64(1)), prof("p2", "n", int64(2)),
		prof("p3", "n", int64(3)), prof("p4", "n", int64(4))}, b.now)
	require.NoError(t, err)
	later := b.now.Add(time.Hour)
	_, err = b.st.UpsertProfiles(b.ctx, []profile.Profile{prof("p2", "n", int64(20)), prof("p3", "n", int64(3))}, later)
	require.NoError(t, err)
	require.Equal(t, []string{"p2"}, collect(t, func(fn func(string) error) error {
		return b.st.ChangedProfiles(b.ctx, later, fn)
	}), "p3 was written again unchanged: not changed")
	require.Len(t, collect(t, func(fn func(string) error) error { return b.st.ChangedProfiles(b.ctx, b.now, fn) }), 4)

	var segs []int64
	for i, members := range [][]string{{"p1", "p3"}, {"p2"}} {
		seg, err := b.st.CreateSegment(b.ctx, segment.Draft{Name: "S" + string(rune('a'+i)), Slug: "s" + string(rune('a'+i)), Kind: segment.KindRule, Rule: "true"}, b.now)
		require.NoError(t, err)
		require.NoError(t, b.st.ApplyMembership(b.ctx, segment.MembershipChange{SegmentID: seg.ID, Add: members, MemberCount: len(members), RefreshedAt: b.now}))
		segs = append(segs, seg.ID)
	}
	require.NoError(t, b.st.ApplyMembership(b.ctx, segment.MembershipChange{SegmentID: segs[0], Add: []string{"p2"}, Remove: []string{"p1"}, MemberCount: 2, RefreshedAt: later}))
	require.Equal(t, []string{"p1", "p2"}, collect(t, func(fn func(string) error) error {
		return b.st.MemberChanges(b.ctx, segs, b.now, fn)
	}), "p1 left, p2 joined after the first refresh")
	require.Equal(t, []string{"p1", "p2", "p3"}, collect(t, func(fn func(string) error) error {
		return b.st.MemberChanges(b.ctx, segs, b.now.Add(-time.Second), fn)
	}))
	require.Empty(t, collect(t, func(fn func(string) error) error {
		return b.st.MemberChanges(b.ctx, segs, later, fn)
	}), "none after the last refresh")
	require.Empty(t, collect(t, func(fn func(string) error) error {
		return b.st.MemberChanges(b.ctx, segs[1:], b.now, fn)
	}), "only the segments asked about")

	n, err := b.st.CountMembers(b.ctx, segs)
	require.NoError(t, err)
	require.Equal(t, 2, n, "p2 and p3, once each")
	n, err = b.st.CountMembers(b.ctx, segs[:1])
	require.NoError(t, err)
	require.Equal(t, 2, n)

	type row struct {
		ID   string
		N    any
		Segs []int64
	}
	var got []row
	require.NoError(t, b.st.ScanMemberProfilesOf(b.ctx, segs, []string{"p1", "p2", "p4"}, func(id string, attrs []byte, in []int64) error {
		a, err := profile.DecodeAttrs(attrs)
		require.NoError(t, err)
		slices.Sort(in)
		got = append(got, row{id, a["n"], in})
		return nil
	}))
	require.Equal(t, []row{{"p2", int64(20), segs}}, got, "only the members among the ids, with their segments")

	// A refresh a long time later forgets the old changes.
	much := b.now.Add(run.ChangesKept + 2*time.Hour)
	require.NoError(t, b.st.ApplyMembership(b.ctx, segment.MembershipChange{SegmentID: segs[0], Add: []string{"p4"}, MemberCount: 3, RefreshedAt: much}))
	require.Equal(t, []string{"p4"}, collect(t, func(fn func(string) error) error {
		return b.st.MemberChanges(b.ctx, segs[:1], b.now.Add(-time.Second), fn)
	}))
}

// testIncrementalState: the state entries of some profiles, the unsure
// ones, the count, relinking an entry to another profile, the failed ops
// and the skipped members of a run, and a run's plan round trip.
func testIncrementalState(t *testing.T, newStore NewStore) {
	f := setupRuns(t, newStore)
	first := f.seedState(t, "a@x.com", "b@x.com", "c@x.com")
	r := f.newRun(t)
	ops := f.addOps(t, f.upsert(r, "b@x.com", false), f.upsert(r, "d@x.com", true), f.skip(r, "p-bad", run.ReasonInvalidEmail))
	f.confirm(t, r, ops[:2], run.BatchOutcome{Failed: map[string]string{"d@x.com": "refused"}})
	// An upsert in a batch whose outcome is unknown leaves its contact unsure.
	r2 := f.newRunOf(t, f.other)
	other := f.addOps(t, f.upsert(r2, "z@x.com", true))
	require.NoError(t, f.rs.AssignBatch(f.ctx, f.other, other, other[0].Seq, f.now))

	owned, err := f.rs.StateOfProfiles(f.ctx, f.exp, []string{"p-a@x.com", "p-c@x.com", "p-none"})
	require.NoError(t, err)
	require.ElementsMatch(t, []string{"a@x.com", "c@x.com"}, emails2(owned))
	unsure, err := f.rs.UnsureState(f.ctx, f.exp)
	require.NoError(t, err)
	require.Equal(t, []string{"d@x.com"}, emails2(unsure), "a failed new contact stays unsure (AssignBatch)")
	unsure, err = f.rs.UnsureState(f.ctx, f.other)
	require.NoError(t, err)
	require.Equal(t, []string{"z@x.com"}, emails2(unsure))
	n, err := f.rs.CountState(f.ctx, f.exp, 0)
	require.NoError(t, err)
	require.Equal(t, 4, n)
	for atMost, want := range map[int]int{1: 1, 3: 3, 4: 4, 5: 4} {
		n, err := f.rs.CountState(f.ctx, f.exp, atMost)
		require.NoError(t, err)
		require.Equal(t, want, n, "counting up to %d", atMost)
	}

	require.NoError(t, f.rs.RelinkState(f.ctx, f.exp, []run.StateEntry{{Email: "c@x.com", ProfileID: "p-other"}}))
	st := f.state(t, f.exp)
	require.Equal(t, "p-other", st["c@x.com"].ProfileID)
	require.Equal(t, "h1-c@x.com", st["c@x.com"].Hash, "only the profile changes")

	retry, err := f.rs.RetryProfiles(f.ctx, r.ID)
	require.NoError(t, err)
	require.Equal(t, []string{"p-d@x.com"}, retry, "the failed upsert")
	// The export's skipped members: a full plan's replace them all, a
	// changes-only plan's those of the profiles it read again.
	skips := func(exportID int64) map[string]string {
		t.Helper()
		got, err := f.rs.ExportSkips(f.ctx, exportID)
		require.NoError(t, err)
		out := map[string]string{}
		for _, op := range got {
			require.Equal(t, run.OpSkip, op.Kind)
			out[op.ProfileID] = op.Email + " " + op.Reason
		}
		return out
	}
	skip := func(id, email, reason string) run.Op {
		return run.Op{Kind: run.OpSkip, ProfileID: id, Email: email, Reason: reason, Status: run.OpSkipped}
	}
	require.Empty(t, skips(f.exp))
	require.NoError(t, f.rs.KeepSkips(f.ctx, f.exp, true, nil, []run.Op{
		skip("p-bad", "bad", run.ReasonInvalidEmail), skip("p-dup", "a@x.com", run.ReasonDuplicateEmail), skip("p-gone", "", run.ReasonMissingEmail)}))
	require.NoError(t, f.rs.KeepSkips(f.ctx, f.other, true, nil, []run.Op{skip("p-bad", "bad", run.ReasonInvalidEmail)}))
	require.NoError(t, f.rs.KeepSkips(f.ctx, f.exp, false, []string{"p-dup", "p-gone", "p-new", "p-never"}, []run.Op{
		skip("p-gone", "gone@", run.ReasonInvalidEmail), skip("p-new", "", run.ReasonMissingEmail)}))
	require.Equal(t, map[string]string{"p-bad": "bad " + run.ReasonInvalidEmail, "p-gone": "gone@ " + run.ReasonInvalidEmail,
		"p-new": " " + run.ReasonMissingEmail}, skips(f.exp), "p-dup read again and no longer skipped; p-gone's reason changed")
	require.Len(t, skips(f.other), 1, "another export's are its own")
	require.NoError(t, f.rs.KeepSkips(f.ctx, f.exp, true, nil, nil))
	require.Empty(t, skips(f.exp))
	require.Len(t, skips(f.other), 1)
	retry, err = f.rs.RetryProfiles(f.ctx, first.ID)
	require.NoError(t, err)
	require.Empty(t, retry)

	plan := run.PlanInfo{Full: true}
	require.NoError(t, f.rs.SetRunPlan(f.ctx, r.ID, plan))
	got, err := f.rs.GetRun(f.ctx, r.ID)
	require.NoError(t, err)
	require.Equal(t, plan, got.Plan)
	got.Plan = run.PlanInfo{Full: true, Mode: run.PlanChanges, Signature: "sig", Started: f.now.Add(time.Minute), Read: 7}
	require.NoError(t, f.rs.SaveRun(f.ctx, got))
	again, err := f.rs.GetRun(f.ctx, r.ID)
	require.NoError(t, err)
	require.Equal(t, got.Plan.Mode, again.Plan.Mode)
	require.Equal(t, got.Plan.Read, again.Plan.Read)
	require.True(t, got.Plan.Started.Equal(again.Plan.Started))
}

func emails2(st []run.StateEntry) []string {
	out := make([]string, len(st))
	for i, s := range st {
		out[i] = s.Email
	}
	return out
}
