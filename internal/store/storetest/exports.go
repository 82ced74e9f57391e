package storetest

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/export"
	"segbridge/internal/segment"
	"segbridge/internal/store"
)

// runExports is the store.Exports part of the suite.
func runExports(t *testing.T, newStore NewStore) {
	t.Run("CreateGetList", func(t *testing.T) { testExportCreateGetList(t, newStore) })
	t.Run("NameConflict", func(t *testing.T) { testExportConflict(t, newStore) })
	t.Run("UnknownReferences", func(t *testing.T) { testExportUnknownRefs(t, newStore) })
	t.Run("Update", func(t *testing.T) { testExportUpdate(t, newStore) })
	t.Run("Delete", func(t *testing.T) { testExportDelete(t, newStore) })
	t.Run("RemovingConnectionDetaches", func(t *testing.T) { testExportDetach(t, newStore) })
	t.Run("SegmentInUse", func(t *testing.T) { testExportSegmentInUse(t, newStore) })
	t.Run("SameBrandMappings", func(t *testing.T) { testExportSameBrand(t, newStore) })
	t.Run("ConsentPolicy", func(t *testing.T) { testExportConsentPolicy(t, newStore) })
}

// exportFixture is a store with a connection and three segments.
type exportFixture struct {
	bundle
	connID int64
	segs   []segment.Segment
}

func setupExports(t *testing.T, newStore NewStore) exportFixture {
	t.Helper()
	b := setup(t, newStore)
	var sealed int64
	c, err := b.st.CreateConnection(b.ctx, conn("Main shop", b.now), sealID(&sealed))
	require.NoError(t, err)
	f := exportFixture{bundle: b, connID: c.ID}
	for _, name := range []string{"VIP buyers", "Lapsed", "Newsletter"} {
		slug, err := segment.Slug(name)
		require.NoError(t, err)
		s, err := b.st.CreateSegment(b.ctx, segment.Draft{Name: name, Slug: slug, Kind: segment.KindRule, Rule: "true"}, b.now)
		require.NoError(t, err)
		f.segs = append(f.segs, s)
	}
	return f
}

func (f exportFixture) export(name string, segs ...int) export.Export {
	e := export.Export{
		Name: name, ConnectionID: f.connID, Active: true,
		Mapping: export.Mapping{
			Email: "email", FirstName: "first_name", PostalCode: "zip",
			Custom:  map[string]string{"ltv": "lifetime_value", "tier": "tier"},
			Consent: &export.ConsentMapping{Attribute: "consent", DateAttribute: "consent_at"},
		},
		Schedule:  export.Schedule{Kind: export.ScheduleCron, Cron: "0 3 * * *", TimeZone: "Europe/Prague"},
		CreatedAt: f.now, UpdatedAt: f.now,
	}.WithDefaults()
	for _, i := range segs {
		e.Segments = append(e.Segments, f.segs[i].ID)
	}
	return e
}

func testExportCreateGetList(t *testing.T, newStore NewStore) {
	f := setupExports(t, newStore)
	want := f.export("Weekly VIPs", 2, 0)
	got, err := f.st.CreateExport(f.ctx, want)
	require.NoError(t, err)
	require.NotZero(t, got.ID)
	want.ID, want.ConnectionName = got.ID, "Main shop"
	require.Equal(t, want, got)
	require.Equal(t, []int64{f.segs[2].ID, f.segs[0].ID}, got.Segments, "segments keep the user's order")

	manual := f.export("all lapsed", 1)
	manual.Schedule, manual.Leave, manual.TagPrefix, manual.ProfileCap, manual.Active =
		export.Schedule{Kind: export.ScheduleManual}, export.LeaveKeep, "acme", 5000, false
	manual.Mapping = export.Mapping{Email: "email"} // on the same brand: mapped as the others map it
	m, err := f.st.CreateExport(f.ctx, manual)
	require.NoError(t, err)
	manual.ID, manual.ConnectionName = m.ID, "Main shop"
	require.Equal(t, manual, m)

	byName, err := f.st.GetExport(f.ctx, "WEEKLY vips")
	require.NoError(t, err, "names match case-insensitively")
	require.Equal(t, got, byName)
	byID, err := f.st.GetExport(f.ctx, strconv.FormatInt(m.ID, 10))
	require.NoError(t, err, "ids match too")
	require.Equal(t, m, byID)
	_, err = f.st.GetExport(f.ctx, "nope")
	require.ErrorIs(t, err, store.ErrNotFound)

	all, err := f.st.ListExports(f.ctx)
	require.NoError(t, err)
	require.Equal(t, []export.Export{m, got}, all, "ordered by name, ignoring case")
	mine, err := f.st.ExportsForConnection(f.ctx, f.connID)
	require.NoError(t, err)
	require.Len(t, mine, 2)
	none, err := f.st.ExportsForConnection(f.ctx, f.connID+100)
	require.NoError(t, err)
	require.Empty(t, none)
}

func testExportConflict(t *testing.T, newStore NewStore) {
	f := setupExports(t, newStore)
	_, err := f.st.CreateExport(f.ctx, f.export("Weekly", 0))
	require.NoError(t, err)
	_, err = f.st.CreateExport(f.ctx, f.export("WEEKLY", 1))
	require.ErrorIs(t, err, store.ErrConflict, "names are unique regardless of case")
}

func testExportUnknownRefs(t *testing.T, newStore NewStore) {
	f := setupExports(t, newStore)
	e := f.export("Weekly", 0)
	e.ConnectionID = f.connID + 100
	_, err := f.st.CreateExport(f.ctx, e)
	require.ErrorIs(t, err, store.ErrNotFound)
	require.ErrorContains(t, err, "connection")
	e = f.export("Weekly", 0)
	e.Segments = append(e.Segments, 9999)
	_, err = f.st.CreateExport(f.ctx, e)
	require.ErrorIs(t, err, store.ErrNotFound)
	require.ErrorContains(t, err, "segment 9999")
	all, err := f.st.ListExports(f.ctx)
	require.NoError(t, err)
	require.Empty(t, all, "nothing is saved")
}

func testExportUpdate(t *testing.T, newStore NewStore) {
	f := setupExports(t, newStore)
	e, err := f.st.CreateExport(f.ctx, f.export("Weekly", 0, 1))
	require.NoError(t, err)
	other, err := f.st.CreateExport(f.ctx, f.export("Other", 0))
	require.NoError(t, err)

	later := f.now.Add(time.Hour)
	e.Name, e.Segments, e.TagPrefix, e.Leave = "Weekly VIPs", []int64{f.segs[2].ID, f.segs[0].ID}, "acme", export.LeaveKeep
	e.Mapping.Phone, e.Mapping.Consent, e.Mapping.Custom = "phone", nil, nil
	e.Schedule, e.ProfileCap, e.Active, e.UpdatedAt = export.Schedule{Kind: export.ScheduleRefresh}, 10, false, later
	got, err := f.st.UpdateExport(f.ctx, e)
	require.NoError(t, err)
	require.Equal(t, e, got)
	require.True(t, got.CreatedAt.Equal(f.now), "created_at kept")
	require.True(t, got.UpdatedAt.Equal(later))

	other.Name = "weekly vips"
	_, err = f.st.UpdateExport(f.ctx, other)
	require.ErrorIs(t, err, store.ErrConflict)
	other.Name, other.Segments = "Other", []int64{9999}
	_, err = f.st.UpdateExport(f.ctx, other)
	require.ErrorIs(t, err, store.ErrNotFound)
	kept, err := f.st.GetExport(f.ctx, "Other")
	require.NoError(t, err)
	require.Equal(t, []int64{f.segs[0].ID}, kept.Segments, "a failed update changes nothing")
	e.ID += 100
	_, err = f.st.UpdateExport(f.ctx, e)
	require.ErrorIs(t, err, store.ErrNotFound)
}

func testExportDelete(t *testing.T, newStore NewStore) {
	f := setupExports(t, newStore)
	e, err := f.st.CreateExport(f.ctx, f.export("Weekly", 0))
	require.NoError(t, err)
	require.NoError(t, f.st.DeleteExport(f.ctx, e.ID))
	_, err = f.st.GetExport(f.ctx, "Weekly")
	require.ErrorIs(t, err, store.ErrNotFound)
	require.ErrorIs(t, f.st.DeleteExport(f.ctx, e.ID), store.ErrNotFound)
	require.NoError(t, f.st.DeleteSegment(f.ctx, f.segs[0].ID), "a removed export no longer holds its segments")
	again, err := f.st.CreateExport(f.ctx, f.export("Weekly", 1))
	require.NoError(t, err, "the name is free again")
	require.Greater(t, again.ID, e.ID, "ids are never reused")
}

func testExportDetach(t *testing.T, newStore NewStore) {
	f := setupExports(t, newStore)
	e, err := f.st.CreateExport(f.ctx, f.export("Weekly", 0))
	require.NoError(t, err)
	require.False(t, e.Detached())

	require.NoError(t, f.st.DeleteConnection(f.ctx, f.connID))
	got, err := f.st.GetExport(f.ctx, "Weekly")
	require.NoError(t, err, "removing a connection keeps its exports")
	require.True(t, got.Detached())
	require.Zero(t, got.ConnectionID)
	require.Equal(t, "Main shop", got.ConnectionName, "the name it had is kept")
	require.Equal(t, `connection "Main shop" was removed`, got.DetachedText())
	require.Equal(t, e.Mapping, got.Mapping, "settings are kept")
	require.Equal(t, e.Segments, got.Segments)
	none, err := f.st.ExportsForConnection(f.ctx, f.connID)
	require.NoError(t, err)
	require.Empty(t, none)

	got.DetachedReason = "the run of 2026-11-28 found no connection"
	got, err = f.st.UpdateExport(f.ctx, got)
	require.NoError(t, err, "a detached export can be saved")
	require.Equal(t, "the run of 2026-11-28 found no connection", got.DetachedText())

	var sealed int64
	c2, err := f.st.CreateConnection(f.ctx, conn("Second shop", f.now), sealID(&sealed))
	require.NoError(t, err)
	got.ConnectionID, got.DetachedReason = c2.ID, ""
	got, err = f.st.UpdateExport(f.ctx, got)
	require.NoError(t, err)
	require.False(t, got.Detached(), "attaching it to another connection")
	require.Equal(t, "Second shop", got.ConnectionName)
}

func testExportSegmentInUse(t *testing.T, newStore NewStore) {
	f := setupExports(t, newStore)
	a, err := f.st.CreateExport(f.ctx, f.export("Weekly", 0, 1))
	require.NoError(t, err)
	_, err = f.st.CreateExport(f.ctx, f.export("Daily", 0))
	require.NoError(t, err)
	err = f.st.DeleteSegment(f.ctx, f.segs[0].ID)
	require.ErrorIs(t, err, store.ErrInUse)
	require.ErrorContains(t, err, `segment "VIP buyers" is used by exports "Daily", "Weekly"`)
	err = f.st.DeleteSegment(f.ctx, f.segs[1].ID)
	require.ErrorContains(t, err, `used by export "Weekly"`)
	_, err = f.st.GetSegment(f.ctx, "lapsed")
	require.NoError(t, err, "the segment is kept")

	a.Segments = []int64{f.segs[0].ID}
	_, err = f.st.UpdateExport(f.ctx, a)
	require.NoError(t, err)
	require.NoError(t, f.st.DeleteSegment(f.ctx, f.segs[1].ID), "no longer used")
	require.NoError(t, f.st.DeleteSegment(f.ctx, f.segs[2].ID), "never used")
}

// testExportSameBrand: two exports writing to one Omnisend brand may not
// map one Omnisend field from different attributes (each contact's fields
// have one source per brand), whether they share a connection or not.
func testExportSameBrand(t *testing.T, newStore NewStore) {
	f := setupExports(t, newStore)
	first, err := f.st.CreateExport(f.ctx, f.export("First", 0))
	require.NoError(t, err)
	same := f.export("Same mapping", 1)
	_, err = f.st.CreateExport(f.ctx, same)
	require.NoError(t, err, "the same mapping is fine")

	other := f.export("Other name source", 1)
	other.Mapping.FirstName = "given_name"
	_, err = f.st.CreateExport(f.ctx, other)
	var fe *export.FieldError
	require.ErrorAs(t, err, &fe)
	require.Equal(t, "mapping.first_name", fe.Field)
	require.Contains(t, fe.Msg, `"First"`)

	var sealed int64
	c2, err := f.st.CreateConnection(f.ctx, conn("Second key, same brand", f.now), sealID(&sealed))
	require.NoError(t, err)
	other.ConnectionID = c2.ID
	_, err = f.st.CreateExport(f.ctx, other)
	require.ErrorAs(t, err, &fe, "another connection to the same brand is the same brand")

	c3 := conn("Other brand", f.now)
	c3.BrandID = "brand-2"
	c3saved, err := f.st.CreateConnection(f.ctx, c3, sealID(&sealed))
	require.NoError(t, err)
	other.ConnectionID = c3saved.ID
	_, err = f.st.CreateExport(f.ctx, other)
	require.NoError(t, err, "another brand may map it otherwise")

	first.Mapping.Custom = map[string]string{"tier": "level"}
	_, err = f.st.UpdateExport(f.ctx, first)
	require.ErrorAs(t, err, &fe, "an update is checked too")
	require.Equal(t, "mapping.custom.tier", fe.Field)
	first.Mapping.Custom = nil
	_, err = f.st.UpdateExport(f.ctx, first)
	require.NoError(t, err, "leaving a field out is fine")
}

// testExportConsentPolicy: the consent policy is saved on create and
// update, and read back with the export.
func testExportConsentPolicy(t *testing.T, newStore NewStore) {
	f := setupExports(t, newStore)
	e := f.export("Weekly", 0)
	require.Equal(t, export.ConsentKeep, e.ConsentPolicy, "the default")
	e.ConsentPolicy = export.ConsentOptIns
	got, err := f.st.CreateExport(f.ctx, e)
	require.NoError(t, err)
	require.Equal(t, export.ConsentOptIns, got.ConsentPolicy)
	got.ConsentPolicy = export.ConsentMirror
	got, err = f.st.UpdateExport(f.ctx, got)
	require.NoError(t, err)
	require.Equal(t, export.ConsentMirror, got.ConsentPolicy)
	all, err := f.st.ListExports(f.ctx)
	require.NoError(t, err)
	require.Equal(t, export.ConsentMirror, all[0].ConsentPolicy)
	got.ConsentPolicy = ""
	got, err = f.st.UpdateExport(f.ctx, got)
	require.NoError(t, err)
	require.Equal(t, export.ConsentKeep, got.ConsentPolicy, "unset is saved as keep")
}
