package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/profile"
	"segbridge/internal/source"
	"segbridge/internal/store"
)

func runSources(t *testing.T, newStore NewStore) {
	t.Run("CRUD", func(t *testing.T) { testSourceCRUD(t, newStore) })
	t.Run("StageAndUnify", func(t *testing.T) { testStageAndUnify(t, newStore) })
	t.Run("RefreshSteps", func(t *testing.T) { testRefreshSteps(t, newStore) })
}

func testSourceCRUD(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	src := source.Source{Name: "CRM", Kind: source.KindPostgres, Query: "SELECT 1", IDColumn: "id", EmailColumn: "email",
		Match: source.MatchEmail, Priority: 5, Types: map[string]profile.Type{"zip": profile.TypeString},
		CreatedAt: b.now, UpdatedAt: b.now}
	created, err := b.st.CreateSource(b.ctx, src, func(id int64) ([]byte, error) { return fmt.Appendf(nil, "sealed-%d", id), nil })
	require.NoError(t, err)
	require.True(t, created.HasSecret)
	require.Equal(t, "CRM", created.Name)
	require.Equal(t, profile.TypeString, created.Types["zip"])
	sealed, err := b.st.SourceSecret(b.ctx, created.ID)
	require.NoError(t, err)
	require.Equal(t, fmt.Sprintf("sealed-%d", created.ID), string(sealed))

	_, err = b.st.CreateSource(b.ctx, source.Source{Name: "crm", Kind: source.KindFile, Path: "x.csv", IDColumn: "id"}, nil)
	require.ErrorIs(t, err, store.ErrConflict)
	got, err := b.st.GetSource(b.ctx, "crm")
	require.NoError(t, err)
	require.Equal(t, created.ID, got.ID)
	got, err = b.st.GetSource(b.ctx, fmt.Sprint(created.ID))
	require.NoError(t, err)
	require.Equal(t, "CRM", got.Name)

	got.Priority, got.Name = 7, "Customers"
	updated, err := b.st.UpdateSource(b.ctx, got, func(int64) ([]byte, error) { return nil, nil })
	require.NoError(t, err)
	require.Equal(t, 7, updated.Priority)
	require.False(t, updated.HasSecret, "a nil seal removes the secret")

	st := source.State{ETag: `"v1"`, Rows: 3, Gen: 2, Cursor: &source.CursorValue{Type: "int", Value: "9"}, ReadAt: b.now}
	require.NoError(t, b.st.SaveSourceState(b.ctx, created.ID, st))
	list, err := b.st.ListSources(b.ctx)
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.Equal(t, st, list[0].State)

	require.NoError(t, b.st.DeleteSource(b.ctx, created.ID))
	_, err = b.st.GetSource(b.ctx, "Customers")
	require.ErrorIs(t, err, store.ErrNotFound)
	require.ErrorIs(t, b.st.DeleteSource(b.ctx, created.ID), store.ErrNotFound)
}

func testStageAndUnify(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	mk := func(name string, prio int) source.Source {
		s, err := b.st.CreateSource(b.ctx, source.Source{Name: name, Kind: source.KindFile, Path: "x.csv", IDColumn: "id",
			EmailColumn: "email", Match: source.MatchEmail, Priority: prio, CreatedAt: b.now, UpdatedAt: b.now}, nil)
		require.NoError(t, err)
		return s
	}
	hi, lo := mk("hi", 10), mk("lo", 0)
	row := func(id, email string, kv ...any) source.Row {
		return source.Row{ID: id, Email: email, Attrs: prof(id, kv...).Attrs}
	}
	res, err := b.st.StageRows(b.ctx, hi, 1, []source.Row{
		row("1", "Ann@Example.com", "city", "Brno"), row("2", "", "city", "Praha"),
	}, b.now)
	require.NoError(t, err)
	require.Equal(t, store.StageResult{Inserted: 2}, res)
	_, err = b.st.StageRows(b.ctx, lo, 1, []source.Row{row("L1", " ann@example.COM ", "city", "Ostrava", "tier", "gold")}, b.now)
	require.NoError(t, err)
	// A profile imported by hand whose id a key meets is kept below the sources.
	_, err = b.st.UpsertProfiles(b.ctx, []profile.Profile{prof("2", "note", "by hand", "city", "Plzen")}, b.now)
	require.NoError(t, err)

	keys, err := b.st.PendingKeys(b.ctx, "", 10)
	require.NoError(t, err)
	require.Equal(t, []string{"2", "ann@example.com"}, keys)
	require.NoError(t, b.st.AdoptProfiles(b.ctx, keys))
	rows, err := b.st.StagedRows(b.ctx, keys)
	require.NoError(t, err)
	require.Len(t, rows, 4)
	require.Equal(t, []int64{hi.ID, 0}, []int64{rows[0].SourceID, rows[1].SourceID}, "key 2: the source, then the hand import")
	require.Equal(t, []int64{hi.ID, lo.ID}, []int64{rows[2].SourceID, rows[3].SourceID}, "by priority")

	var batch store.UnifiedBatch
	batch.Keys, batch.Origins = keys, map[string][]byte{}
	for _, k := range []string{"2", "ann@example.com"} {
		var group []source.Staged
		for _, r := range rows {
			if r.Key == k {
				group = append(group, r)
			}
		}
		attrs, origins, err := source.Merge(group)
		require.NoError(t, err)
		enc, err := origins.Encode()
		require.NoError(t, err)
		batch.Profiles = append(batch.Profiles, profile.Profile{ID: k, Attrs: attrs})
		batch.Origins[k] = enc
	}
	ur, err := b.st.ApplyUnified(b.ctx, batch, b.now)
	require.NoError(t, err)
	require.Equal(t, 1, ur.Inserted)
	p, err := b.st.GetProfile(b.ctx, "ann@example.com")
	require.NoError(t, err)
	require.Equal(t, "Brno", p.Attrs["city"])
	require.Equal(t, "gold", p.Attrs["tier"])
	p, err = b.st.GetProfile(b.ctx, "2")
	require.NoError(t, err)
	require.Equal(t, "Praha", p.Attrs["city"])
	require.Equal(t, "by hand", p.Attrs["note"])
	origins, err := b.st.GetProfileOrigins(b.ctx, "2")
	require.NoError(t, err)
	require.Equal(t, int64(0), origins["note"].Source)
	require.Equal(t, hi.ID, origins["city"].Source)
	keys, err = b.st.PendingKeys(b.ctx, "", 10)
	require.NoError(t, err)
	require.Empty(t, keys)

	// An unchanged row is only seen again; a row not seen is dropped.
	res, err = b.st.StageRows(b.ctx, hi, 2, []source.Row{row("1", "Ann@Example.com", "city", "Brno")}, b.now.Add(time.Hour))
	require.NoError(t, err)
	require.Equal(t, store.StageResult{Unchanged: 1}, res)
	n, err := b.st.DropUnseenRows(b.ctx, hi.ID, 2)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	keys, err = b.st.PendingKeys(b.ctx, "", 10)
	require.NoError(t, err)
	require.Equal(t, []string{"2"}, keys)
	count, err := b.st.CountSourceRows(b.ctx, hi.ID)
	require.NoError(t, err)
	require.Equal(t, 1, count)

	// Removing the lower source leaves ann with the higher one's attributes;
	// a unified key without rows is removed.
	require.NoError(t, b.st.DeleteSource(b.ctx, lo.ID))
	_, err = b.st.StageRows(b.ctx, hi, 3, []source.Row{row("1", "other@example.com", "city", "Brno")}, b.now)
	require.NoError(t, err)
	keys, err = b.st.PendingKeys(b.ctx, "", 10)
	require.NoError(t, err)
	require.Equal(t, []string{"2", "ann@example.com", "other@example.com"}, keys)
	rows, err = b.st.StagedRows(b.ctx, keys)
	require.NoError(t, err)
	batch = store.UnifiedBatch{Keys: keys, Origins: map[string][]byte{}}
	for _, r := range rows {
		attrs, origins, err := source.Merge([]source.Staged{r})
		require.NoError(t, err)
		enc, _ := origins.Encode()
		if len(batch.Profiles) > 0 && batch.Profiles[len(batch.Profiles)-1].ID == r.Key {
			continue
		}
		batch.Profiles = append(batch.Profiles, profile.Profile{ID: r.Key, Attrs: attrs})
		batch.Origins[r.Key] = enc
	}
	ur, err = b.st.ApplyUnified(b.ctx, batch, b.now)
	require.NoError(t, err)
	require.Equal(t, 1, ur.Removed)
	_, err = b.st.GetProfile(b.ctx, "ann@example.com")
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = b.st.GetProfileOrigins(b.ctx, "ann@example.com")
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = b.st.GetProfile(b.ctx, "2")
	require.NoError(t, err, "the hand-imported profile stays: it is a source of its own")
	schema, err := b.st.ProfileSchema(b.ctx)
	require.NoError(t, err)
	_, hasTier := schema.Attribute("tier")
	require.False(t, hasTier, "the removed profile's attributes leave the schema")
}

func testRefreshSteps(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	id, err := b.st.StartRefresh(b.ctx, b.now)
	require.NoError(t, err)
	rec := store.SystemRefresh{ID: id, StartedAt: b.now, FinishedAt: b.now.Add(time.Minute), Status: store.RefreshHeld, Message: "held",
		Steps: []store.RefreshStep{{Name: "source crm", StartedAt: b.now, FinishedAt: b.now.Add(time.Second),
			Counts: map[string]int{"rows": 0}, Note: "returned no rows"}},
		Held: []store.HeldSource{{SourceID: 3, Name: "crm", Gen: 4, Rows: 0, LastRows: 20}}}
	require.NoError(t, b.st.FinishRefresh(b.ctx, rec))
	got, err := b.st.GetRefresh(b.ctx, id)
	require.NoError(t, err)
	require.Equal(t, rec, got)
	_, err = b.st.GetRefresh(b.ctx, id+100)
	require.ErrorIs(t, err, store.ErrNotFound)
}
