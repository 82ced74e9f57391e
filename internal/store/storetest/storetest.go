// Package storetest is the conformance suite every store.Store engine must
// pass. Engines call Run from their own tests with a constructor that gives
// each test a fresh, migrated, empty store.
package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/profile"
	"segbridge/internal/segment"
	"segbridge/internal/store"
)

// NewStore returns a fresh, migrated, empty store, closed by the test's cleanup.
type NewStore func(t *testing.T) store.Store

// Run runs the whole suite against the engine that newStore opens.
func Run(t *testing.T, newStore NewStore) {
	t.Run("MigrateTwice", func(t *testing.T) { testMigrateTwice(t, newStore) })
	t.Run("UpsertProfiles", func(t *testing.T) { testUpsertProfiles(t, newStore) })
	t.Run("UpsertDuplicateInBatch", func(t *testing.T) { testUpsertDuplicateInBatch(t, newStore) })
	t.Run("UpsertLargeBatch", func(t *testing.T) { testUpsertLargeBatch(t, newStore) })
	t.Run("ProfileTypesRoundTrip", func(t *testing.T) { testProfileTypes(t, newStore) })
	t.Run("ProfileSchema", func(t *testing.T) { runProfileSchema(t, newStore) })
	t.Run("ListAndScanProfiles", func(t *testing.T) { testListAndScan(t, newStore) })
	t.Run("GetMissingProfile", func(t *testing.T) { testGetMissing(t, newStore) })
	t.Run("Segments", func(t *testing.T) { testSegments(t, newStore) })
	t.Run("SegmentNameConflict", func(t *testing.T) { testSegmentConflict(t, newStore) })
	t.Run("Membership", func(t *testing.T) { testMembership(t, newStore) })
	t.Run("ScanMemberProfiles", func(t *testing.T) { testScanMemberProfiles(t, newStore) })
	t.Run("Connections", func(t *testing.T) { runConnections(t, newStore) })
	t.Run("Exports", func(t *testing.T) { runExports(t, newStore) })
	t.Run("Runs", func(t *testing.T) { runRuns(t, newStore) })
	t.Run("Brake", func(t *testing.T) { runBrake(t, newStore) })
	t.Run("Refreshes", func(t *testing.T) { testRefreshes(t, newStore) })
	t.Run("RefreshSchedule", func(t *testing.T) { testRefreshSchedule(t, newStore) })
	t.Run("Sources", func(t *testing.T) { runSources(t, newStore) })
	t.Run("Users", func(t *testing.T) { runUsers(t, newStore) })
	t.Run("Notifications", func(t *testing.T) { runNotify(t, newStore) })
	t.Run("Readback", func(t *testing.T) { runReadback(t, newStore) })
	t.Run("ProfileSearch", func(t *testing.T) { runProfileSearch(t, newStore) })
	t.Run("Incremental", func(t *testing.T) { runIncremental(t, newStore) })
}

type bundle struct {
	ctx context.Context
	st  store.Store
	now time.Time
}

func setup(t *testing.T, newStore NewStore) bundle {
	t.Helper()
	t.Parallel()
	return bundle{
		ctx: context.Background(),
		st:  newStore(t),
		now: time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC),
	}
}

func prof(id string, kv ...any) profile.Profile {
	a := profile.Attrs{}
	for i := 0; i+1 < len(kv); i += 2 {
		a[kv[i].(string)] = kv[i+1]
	}
	return profile.Profile{ID: id, Attrs: a}
}

func testMigrateTwice(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	require.NoError(t, b.st.Migrate(b.ctx))
	require.NoError(t, b.st.Migrate(b.ctx))
}

func testUpsertProfiles(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	res, err := b.st.UpsertProfiles(b.ctx, []profile.Profile{
		prof("a", "email", "a@example.com", "orders", int64(1)),
		prof("b", "email", "b@example.com"),
	}, b.now)
	require.NoError(t, err)
	require.Equal(t, profile.UpsertResult{Inserted: 2}, res)

	later := b.now.Add(time.Hour)
	res, err = b.st.UpsertProfiles(b.ctx, []profile.Profile{
		prof("a", "email", "a@example.com", "orders", int64(2)),
		prof("b", "email", "b@example.com"),
		prof("c", "email", "c@example.com"),
	}, later)
	require.NoError(t, err)
	require.Equal(t, profile.UpsertResult{Inserted: 1, Updated: 1, Unchanged: 1}, res)

	n, err := b.st.CountProfiles(b.ctx)
	require.NoError(t, err)
	require.Equal(t, 3, n)

	a, err := b.st.GetProfile(b.ctx, "a")
	require.NoError(t, err)
	require.Equal(t, int64(2), a.Attrs["orders"])
	require.True(t, a.CreatedAt.Equal(b.now), "created_at kept: %v", a.CreatedAt)
	require.True(t, a.UpdatedAt.Equal(later), "updated_at moved: %v", a.UpdatedAt)

	bp, err := b.st.GetProfile(b.ctx, "b")
	require.NoError(t, err)
	require.True(t, bp.UpdatedAt.Equal(b.now), "unchanged profile keeps updated_at: %v", bp.UpdatedAt)
}

func testUpsertDuplicateInBatch(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	res, err := b.st.UpsertProfiles(b.ctx, []profile.Profile{
		prof("a", "v", int64(1)), prof("a", "v", int64(2)),
	}, b.now)
	require.NoError(t, err)
	require.Equal(t, profile.UpsertResult{Inserted: 1}, res)
	a, err := b.st.GetProfile(b.ctx, "a")
	require.NoError(t, err)
	require.Equal(t, int64(2), a.Attrs["v"], "last one in the batch wins")
}

func testUpsertLargeBatch(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	batch := make([]profile.Profile, 2500)
	for i := range batch {
		batch[i] = prof(fmt.Sprintf("p%05d", i), "i", int64(i))
	}
	res, err := b.st.UpsertProfiles(b.ctx, batch, b.now)
	require.NoError(t, err)
	require.Equal(t, 2500, res.Inserted)
	batch[7] = prof("p00007", "i", int64(-1))
	res, err = b.st.UpsertProfiles(b.ctx, batch, b.now)
	require.NoError(t, err)
	require.Equal(t, profile.UpsertResult{Updated: 1, Unchanged: 2499}, res)
}

func testProfileTypes(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	want := profile.Attrs{
		"s": "Žluťoučký \"kůň\" \\ \n", "i": int64(-42), "big": int64(1 << 60),
		"f": 12.5, "t": true, "no": false, "zip": "01234",
	}
	_, err := b.st.UpsertProfiles(b.ctx, []profile.Profile{{ID: "x", Attrs: want}}, b.now)
	require.NoError(t, err)
	got, err := b.st.GetProfile(b.ctx, "x")
	require.NoError(t, err)
	require.Equal(t, want, got.Attrs)
	err = b.st.ScanProfiles(b.ctx, func(id string, attrs []byte) error {
		a, err := profile.DecodeAttrs(attrs)
		require.NoError(t, err)
		require.Equal(t, want, a)
		return nil
	})
	require.NoError(t, err)
}

func testListAndScan(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	var batch []profile.Profile
	for i := range 25 {
		batch = append(batch, prof(fmt.Sprintf("id%02d", 24-i), "n", int64(i)))
	}
	_, err := b.st.UpsertProfiles(b.ctx, batch, b.now)
	require.NoError(t, err)

	page, err := b.st.ListProfiles(b.ctx, store.ListOptions{Limit: 10})
	require.NoError(t, err)
	require.Len(t, page, 10)
	require.Equal(t, "id00", page[0].ID)
	page, err = b.st.ListProfiles(b.ctx, store.ListOptions{After: page[9].ID, Limit: 10})
	require.NoError(t, err)
	require.Equal(t, "id10", page[0].ID)

	var ids []string
	require.NoError(t, b.st.ScanProfiles(b.ctx, func(id string, _ []byte) error {
		ids = append(ids, id)
		return nil
	}))
	require.Len(t, ids, 25)
	slices.Sort(ids)
	require.Equal(t, "id00", ids[0])
	require.Equal(t, "id24", ids[24])

	stop := fmt.Errorf("stop")
	err = b.st.ScanProfiles(b.ctx, func(string, []byte) error { return stop })
	require.ErrorIs(t, err, stop, "a callback error stops the scan and is returned")
}

func testGetMissing(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	_, err := b.st.GetProfile(b.ctx, "nope")
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = b.st.GetSegment(b.ctx, "nope")
	require.ErrorIs(t, err, store.ErrNotFound)
	require.ErrorIs(t, b.st.DeleteSegment(b.ctx, 999), store.ErrNotFound)
}

func testSegments(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	vip, err := b.st.CreateSegment(b.ctx, segment.Draft{
		Name: "VIP buyers", Slug: "vip-buyers", Kind: segment.KindRule, Rule: `p.orders > 3`,
	}, b.now)
	require.NoError(t, err)
	require.NotZero(t, vip.ID)
	require.Equal(t, "vip-buyers", vip.Slug)
	require.True(t, vip.RefreshedAt.IsZero())

	st, err := b.st.CreateSegment(b.ctx, segment.Draft{
		Name: "Hand picked", Slug: "hand-picked", Kind: segment.KindStatic, StaticIDs: []string{"b", "a", "c"},
	}, b.now)
	require.NoError(t, err)
	require.Equal(t, 3, st.StaticCount)
	var ids []string
	require.NoError(t, b.st.ScanStaticIDs(b.ctx, st.ID, func(id string) error { ids = append(ids, id); return nil }))
	require.Equal(t, []string{"a", "b", "c"}, ids)

	got, err := b.st.GetSegment(b.ctx, "vip buyers")
	require.NoError(t, err, "names match case-insensitively")
	require.Equal(t, vip.ID, got.ID)
	got, err = b.st.GetSegment(b.ctx, "hand-picked")
	require.NoError(t, err, "slugs match too")
	require.Equal(t, st.ID, got.ID)

	all, err := b.st.ListSegments(b.ctx)
	require.NoError(t, err)
	require.Len(t, all, 2)
	require.Equal(t, "Hand picked", all[0].Name)

	later := b.now.Add(time.Hour)
	upd, err := b.st.UpdateSegmentRule(b.ctx, vip.ID, `p.orders > 5`, later)
	require.NoError(t, err)
	require.Equal(t, `p.orders > 5`, upd.Rule)
	require.Equal(t, vip.Slug, upd.Slug, "the slug (tags) never changes")
	require.True(t, later.Equal(upd.UpdatedAt), "updated at %s", upd.UpdatedAt)
	require.True(t, vip.CreatedAt.Equal(upd.CreatedAt))
	_, err = b.st.UpdateSegmentRule(b.ctx, st.ID, `true`, later)
	require.ErrorIs(t, err, store.ErrNotFound, "a static segment has no rule")
	_, err = b.st.UpdateSegmentRule(b.ctx, vip.ID+st.ID+100, `true`, later)
	require.ErrorIs(t, err, store.ErrNotFound)

	require.NoError(t, b.st.DeleteSegment(b.ctx, st.ID))
	_, err = b.st.GetSegment(b.ctx, "hand-picked")
	require.ErrorIs(t, err, store.ErrNotFound)
}

func testSegmentConflict(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	_, err := b.st.CreateSegment(b.ctx, segment.Draft{Name: "Lapsed", Slug: "lapsed", Kind: segment.KindRule, Rule: "true"}, b.now)
	require.NoError(t, err)
	_, err = b.st.CreateSegment(b.ctx, segment.Draft{Name: "LAPSED", Slug: "lapsed-2", Kind: segment.KindRule, Rule: "true"}, b.now)
	require.ErrorIs(t, err, store.ErrConflict, "names are unique regardless of case")
	_, err = b.st.CreateSegment(b.ctx, segment.Draft{Name: "Lapsed!", Slug: "lapsed", Kind: segment.KindRule, Rule: "true"}, b.now)
	require.ErrorIs(t, err, store.ErrConflict, "slugs are unique")
}

func testMembership(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	seg, err := b.st.CreateSegment(b.ctx, segment.Draft{Name: "S", Slug: "s", Kind: segment.KindRule, Rule: "true"}, b.now)
	require.NoError(t, err)
	members := func() []string {
		var ids []string
		require.NoError(t, b.st.ScanMembers(b.ctx, seg.ID, func(id string) error { ids = append(ids, id); return nil }))
		return ids
	}
	add := make([]string, 1200)
	for i := range add {
		add[i] = fmt.Sprintf("m%04d", i)
	}
	require.NoError(t, b.st.ApplyMembership(b.ctx, segment.MembershipChange{
		SegmentID: seg.ID, Add: add, MemberCount: len(add), RefreshedAt: b.now,
	}))
	require.Len(t, members(), 1200)

	later := b.now.Add(time.Hour)
	require.NoError(t, b.st.ApplyMembership(b.ctx, segment.MembershipChange{
		SegmentID: seg.ID, Add: []string{"z"}, Remove: add[2:], MemberCount: 3, RefreshedAt: later,
	}))
	require.Equal(t, []string{"m0000", "m0001", "z"}, members())
	got, err := b.st.GetSegment(b.ctx, "s")
	require.NoError(t, err)
	require.Equal(t, 3, got.MemberCount)
	require.True(t, got.RefreshedAt.Equal(later))

	err = b.st.ApplyMembership(b.ctx, segment.MembershipChange{SegmentID: 999, RefreshedAt: later})
	require.ErrorIs(t, err, store.ErrNotFound)
}

func testScanMemberProfiles(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	_, err := b.st.UpsertProfiles(b.ctx, []profile.Profile{
		prof("p1", "n", int64(1)), prof("p2", "n", int64(2)), prof("p3", "n", int64(3)), prof("p4", "n", int64(4)),
	}, b.now)
	require.NoError(t, err)
	var segs []int64
	for i, members := range [][]string{{"p3", "p1"}, {"p1", "p2"}, {"p4"}} {
		seg, err := b.st.CreateSegment(b.ctx, segment.Draft{Name: fmt.Sprint("S", i), Slug: fmt.Sprint("s", i), Kind: segment.KindRule, Rule: "true"}, b.now)
		require.NoError(t, err)
		require.NoError(t, b.st.ApplyMembership(b.ctx, segment.MembershipChange{SegmentID: seg.ID, Add: members, MemberCount: len(members), RefreshedAt: b.now}))
		segs = append(segs, seg.ID)
	}
	type row struct {
		ID   string
		N    any
		Segs []int64
	}
	var got []row
	err = b.st.ScanMemberProfiles(b.ctx, segs[:2], func(id string, attrs []byte, in []int64) error {
		a, err := profile.DecodeAttrs(attrs)
		require.NoError(t, err)
		slices.Sort(in)
		got = append(got, row{id, a["n"], in})
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, []row{
		{"p1", int64(1), []int64{segs[0], segs[1]}},
		{"p2", int64(2), []int64{segs[1]}},
		{"p3", int64(3), []int64{segs[0]}},
	}, got, "members of any of the segments, once each, by id, with their segments")

	got = nil
	err = b.st.ScanMemberProfiles(b.ctx, segs[:1], func(id string, attrs []byte, in []int64) error {
		a, err := profile.DecodeAttrs(attrs)
		require.NoError(t, err)
		got = append(got, row{id, a["n"], in})
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, []row{
		{"p1", int64(1), []int64{segs[0]}},
		{"p3", int64(3), []int64{segs[0]}},
	}, got, "one segment's members by id")
}
