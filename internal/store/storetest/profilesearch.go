package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/profile"
	"segbridge/internal/segment"
	"segbridge/internal/store"
)

func runProfileSearch(t *testing.T, newStore NewStore) {
	t.Run("SearchPaging", func(t *testing.T) { testSearchPaging(t, newStore) })
	t.Run("SearchByValue", func(t *testing.T) { testSearchByValue(t, newStore) })
	t.Run("ProfileSegments", func(t *testing.T) { testProfileSegments(t, newStore) })
	t.Run("ExportStatesOf", func(t *testing.T) { testExportStatesOf(t, newStore) })
	t.Run("ProfileImports", func(t *testing.T) { testProfileImports(t, newStore) })
}

func ids(ps []profile.Profile) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.ID
	}
	return out
}

// testSearchPaging: id and e-mail prefix searches page forward and back
// in their order, say whether more rows lie beyond, and count up to a cap.
func testSearchPaging(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	var batch []profile.Profile
	for i := range 12 {
		// e-mails sort in the opposite order of ids; two share one.
		email := fmt.Sprintf("User%02d@Example.com", 11-i)
		if i == 11 {
			email = "user01@example.com"
		}
		batch = append(batch, profile.Profile{ID: fmt.Sprintf("c%02d", i), Attrs: profile.Attrs{"email": email}})
	}
	batch = append(batch, profile.Profile{ID: "x1", Attrs: profile.Attrs{"name": "no e-mail"}})
	_, err := b.st.UpsertProfiles(b.ctx, batch, b.now)
	require.NoError(t, err)

	ps, more, err := b.st.SearchProfiles(b.ctx, store.ProfileQuery{By: store.SearchID, Q: "c0", Limit: 4})
	require.NoError(t, err)
	require.Equal(t, []string{"c00", "c01", "c02", "c03"}, ids(ps))
	require.True(t, more)
	ps, more, err = b.st.SearchProfiles(b.ctx, store.ProfileQuery{By: store.SearchID, Q: "c0", Limit: 4, After: &store.ProfileKey{ID: "c07"}})
	require.NoError(t, err)
	require.Equal(t, []string{"c08", "c09"}, ids(ps))
	require.False(t, more, "c10 does not start with c0")
	ps, more, err = b.st.SearchProfiles(b.ctx, store.ProfileQuery{By: store.SearchID, Q: "c0", Limit: 4, Before: &store.ProfileKey{ID: "c06"}})
	require.NoError(t, err)
	require.Equal(t, []string{"c02", "c03", "c04", "c05"}, ids(ps), "the page before, in ascending order")
	require.True(t, more)
	ps, _, err = b.st.SearchProfiles(b.ctx, store.ProfileQuery{By: store.SearchID, Limit: 100})
	require.NoError(t, err)
	require.Len(t, ps, 13, "no search: every profile")

	ps, more, err = b.st.SearchProfiles(b.ctx, store.ProfileQuery{By: store.SearchEmail, Q: "USER0", Limit: 3})
	require.NoError(t, err)
	require.Equal(t, []string{"c10", "c11", "c09"}, ids(ps), "user01 (c10, c11), user02, ...")
	require.True(t, more)
	last := store.KeyOf(store.SearchEmail, ps[2])
	require.Equal(t, store.ProfileKey{Email: "user02@example.com", ID: "c09"}, last)
	ps, _, err = b.st.SearchProfiles(b.ctx, store.ProfileQuery{By: store.SearchEmail, Q: "user0", Limit: 3, Before: &last})
	require.NoError(t, err)
	require.Equal(t, []string{"c10", "c11"}, ids(ps))
	ps, more, err = b.st.SearchProfiles(b.ctx, store.ProfileQuery{By: store.SearchEmail, Q: "user0", Limit: 3, After: &last})
	require.NoError(t, err)
	require.Equal(t, []string{"c08", "c07", "c06"}, ids(ps), "user03, user04, user05")
	require.True(t, more)
	ps, more, err = b.st.SearchProfiles(b.ctx, store.ProfileQuery{By: store.SearchEmail, Limit: 20, After: &last})
	require.NoError(t, err)
	require.Len(t, ps, 9, "no search: every e-mail after user02 (c09)")
	require.False(t, more)
	ps, _, err = b.st.SearchProfiles(b.ctx, store.ProfileQuery{By: store.SearchEmail, Q: "user1", Limit: 5, Before: &last})
	require.NoError(t, err)
	require.Empty(t, ids(ps), "the key is before every user1 e-mail")
	ps, _, err = b.st.SearchProfiles(b.ctx, store.ProfileQuery{By: store.SearchID, Q: "c1", Limit: 5, After: &store.ProfileKey{ID: "b"}})
	require.NoError(t, err)
	require.Equal(t, []string{"c10", "c11"}, ids(ps), "a key before the range")

	n, err := b.st.CountProfileMatches(b.ctx, store.SearchEmail, "user0", 100)
	require.NoError(t, err)
	require.Equal(t, 10, n)
	n, err = b.st.CountProfileMatches(b.ctx, store.SearchEmail, "", 5)
	require.NoError(t, err)
	require.Equal(t, 6, n, "stops at max+1")
	n, err = b.st.CountProfileMatches(b.ctx, store.SearchID, "x", 5)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	n, err = b.st.CountProfileMatches(b.ctx, store.SearchID, "%", 5)
	require.NoError(t, err)
	require.Zero(t, n)
}

// testSearchByValue: a value search finds profiles with an attribute of
// that value whatever its case or type, and not by attribute names or
// parts of values.
func testSearchByValue(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	_, err := b.st.UpsertProfiles(b.ctx, []profile.Profile{
		{ID: "a", Attrs: profile.Attrs{"city": "Vilnius", "tier": "gold"}},
		{ID: "b", Attrs: profile.Attrs{"city": "vilnius", "code": int64(42)}},
		{ID: "c", Attrs: profile.Attrs{"city": "Vilniusas", "vip": true, "note": `say "hi" <b>`}},
		{ID: "d", Attrs: profile.Attrs{"vilnius": "x", "rate": 1.5}},
	}, b.now)
	require.NoError(t, err)
	for q, want := range map[string][]string{
		"VILNIUS": {"a", "b"}, "42": {"b"}, "true": {"c"}, "1.5": {"d"}, `say "hi" <b>`: {"c"}, "nothing": nil, "%": nil,
	} {
		ps, more, err := b.st.SearchProfiles(b.ctx, store.ProfileQuery{By: store.SearchValue, Q: q, Limit: 10})
		require.NoError(t, err, q)
		require.False(t, more)
		if want == nil {
			require.Empty(t, ps, q)
		} else {
			require.Equal(t, want, ids(ps), q)
		}
		n, err := b.st.CountProfileMatches(b.ctx, store.SearchValue, q, 10)
		require.NoError(t, err)
		require.Equal(t, len(want), n, q)
	}
	ps, more, err := b.st.SearchProfiles(b.ctx, store.ProfileQuery{By: store.SearchValue, Q: "vilnius", Limit: 1})
	require.NoError(t, err)
	require.Equal(t, []string{"a"}, ids(ps))
	require.True(t, more)
}

// testProfileSegments: the segments a profile is a stored member of.
func testProfileSegments(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	var segIDs []int64
	for i, members := range [][]string{{"p1", "p2"}, {"p2"}, {"p1", "p3"}} {
		seg, err := b.st.CreateSegment(b.ctx, segment.Draft{Name: fmt.Sprint("S", i), Slug: fmt.Sprint("s", i), Kind: segment.KindRule, Rule: "true"}, b.now)
		require.NoError(t, err)
		require.NoError(t, b.st.ApplyMembership(b.ctx, segment.MembershipChange{SegmentID: seg.ID, Add: members, MemberCount: len(members), RefreshedAt: b.now}))
		segIDs = append(segIDs, seg.ID)
	}
	got, err := b.st.ProfileSegments(b.ctx, "p1")
	require.NoError(t, err)
	require.Equal(t, []int64{segIDs[0], segIDs[2]}, got)
	got, err = b.st.ProfileSegments(b.ctx, "nobody")
	require.NoError(t, err)
	require.Empty(t, got)
}

// testExportStatesOf: each export's confirmed state for an e-mail.
func testExportStatesOf(t *testing.T, newStore NewStore) {
	f := setupRuns(t, newStore)
	f.seedState(t, "kept@example.com")
	got, err := f.st.ExportStatesOf(f.ctx, " Kept@Example.com ")
	require.NoError(t, err)
	require.Len(t, got, 1)
	require.Equal(t, f.exp, got[0].ExportID)
	require.Equal(t, "p-kept@example.com", got[0].ProfileID)
	require.Equal(t, []string{"segbridge: vip-buyers"}, got[0].Tags)
	require.True(t, got[0].Confirmed)
	require.False(t, got[0].Unsure)
	require.True(t, got[0].ConfirmedAt.Equal(f.now), "%v", got[0].ConfirmedAt)
	got, err = f.st.ExportStatesOf(f.ctx, "other@example.com")
	require.NoError(t, err)
	require.Empty(t, got)
}

// testProfileImports: the import history, newest first, a page at a time.
func testProfileImports(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	got, err := b.st.ListProfileImports(b.ctx, 0, 10)
	require.NoError(t, err)
	require.Empty(t, got)
	var want []store.ProfileImport
	for i := range 3 {
		im, err := b.st.RecordProfileImport(b.ctx, store.ProfileImport{
			At: b.now.Add(time.Duration(i) * time.Minute), Actor: "ann@example.com", Source: fmt.Sprintf("f%d.csv", i), Format: "csv",
			Bytes: 100, Rows: 5, Inserted: 2, Updated: 1, Unchanged: 1, Rejected: 1, Status: store.ImportDone,
		})
		require.NoError(t, err)
		require.NotZero(t, im.ID)
		want = append([]store.ProfileImport{im}, want...)
	}
	failed, err := b.st.RecordProfileImport(b.ctx, store.ProfileImport{At: b.now, Actor: "cli", Source: "stdin", Format: "jsonl",
		Status: store.ImportFailed, Message: "every row was rejected"})
	require.NoError(t, err)
	want = append([]store.ProfileImport{failed}, want...)
	got, err = b.st.ListProfileImports(b.ctx, 0, 10)
	require.NoError(t, err)
	for i := range got {
		require.True(t, got[i].At.Equal(want[i].At))
		got[i].At = want[i].At
	}
	require.Equal(t, want, got)
	got, err = b.st.ListProfileImports(b.ctx, want[1].ID, 1)
	require.NoError(t, err)
	require.Equal(t, []int64{want[2].ID}, []int64{got[0].ID})
}
