package storetest

import (
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/connection"
	"segbridge/internal/omnisend"
	"segbridge/internal/store"
)

// runConnections is the store.Connections part of the suite.
func runConnections(t *testing.T, newStore NewStore) {
	t.Run("CreateGetList", func(t *testing.T) { testConnectionCreateGetList(t, newStore) })
	t.Run("NameConflict", func(t *testing.T) { testConnectionConflict(t, newStore) })
	t.Run("SealFailureSavesNothing", func(t *testing.T) { testConnectionSealFailure(t, newStore) })
	t.Run("UpdateCheck", func(t *testing.T) { testConnectionUpdateCheck(t, newStore) })
	t.Run("Update", func(t *testing.T) { testConnectionUpdate(t, newStore) })
	t.Run("Delete", func(t *testing.T) { testConnectionDelete(t, newStore) })
}

func conn(name string, now time.Time) connection.Connection {
	return connection.Connection{
		Name: name, Access: connection.AccessAdmins, KeyLast4: "abcd",
		Dialect: omnisend.Dialect20260315, BaseURL: "https://api.omnisend.com", Tagging: connection.TaggingEndpoints,
		BrandID: "brand-1", BrandName: "Brand One", CheckedAt: now,
		Consent:    connection.Consent{By: "alice", At: now.Add(-time.Minute), NoticeVersion: connection.NoticeVersion},
		ExportUser: "alice@example.com", CreatedAt: now, UpdatedAt: now,
	}
}

// sealID returns a seal callback that "seals" to the id it was given.
func sealID(got *int64) func(id int64) ([]byte, error) {
	return func(id int64) ([]byte, error) {
		*got = id
		return []byte("sealed:" + strconv.FormatInt(id, 10)), nil
	}
}

func testConnectionCreateGetList(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	want := conn("Main shop", b.now)
	var sealedFor int64
	got, err := b.st.CreateConnection(b.ctx, want, sealID(&sealedFor))
	require.NoError(t, err)
	require.NotZero(t, got.ID)
	require.Equal(t, got.ID, sealedFor, "the key is sealed for the new row's id")
	want.ID = got.ID
	require.Equal(t, want, got)

	second := conn("archive", b.now)
	second.Access, second.Dialect, second.BrandName, second.CheckedAt = connection.AccessContributors, omnisend.DialectV3, "", time.Time{}
	second.Tagging = ""
	var id2 int64
	c2, err := b.st.CreateConnection(b.ctx, second, sealID(&id2))
	require.NoError(t, err)
	require.Equal(t, connection.TaggingUpsert, c2.Tagging, "no tagging is the default, upsert")
	require.True(t, c2.CheckedAt.IsZero(), "an unchecked connection has no check time")
	require.Equal(t, omnisend.DialectV3, c2.Dialect)

	byName, err := b.st.GetConnection(b.ctx, "MAIN SHOP")
	require.NoError(t, err, "names match case-insensitively")
	require.Equal(t, got, byName)
	byID, err := b.st.GetConnection(b.ctx, strconv.FormatInt(c2.ID, 10))
	require.NoError(t, err, "ids match too")
	require.Equal(t, c2, byID)

	all, err := b.st.ListConnections(b.ctx)
	require.NoError(t, err)
	require.Len(t, all, 2)
	require.Equal(t, []string{"archive", "Main shop"}, []string{all[0].Name, all[1].Name}, "ordered by name, ignoring case")

	sealed, err := b.st.ConnectionKey(b.ctx, got.ID)
	require.NoError(t, err)
	require.Equal(t, []byte("sealed:"+strconv.FormatInt(got.ID, 10)), sealed)
}

func testConnectionConflict(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	var id int64
	_, err := b.st.CreateConnection(b.ctx, conn("Shop", b.now), sealID(&id))
	require.NoError(t, err)
	_, err = b.st.CreateConnection(b.ctx, conn("SHOP", b.now), sealID(&id))
	require.ErrorIs(t, err, store.ErrConflict, "names are unique regardless of case")
}

func testConnectionSealFailure(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	boom := errors.New("seal failed")
	_, err := b.st.CreateConnection(b.ctx, conn("Shop", b.now), func(int64) ([]byte, error) { return nil, boom })
	require.ErrorIs(t, err, boom)
	all, err := b.st.ListConnections(b.ctx)
	require.NoError(t, err)
	require.Empty(t, all, "a connection whose key could not be sealed is not saved")
}

func testConnectionUpdateCheck(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	var id int64
	c, err := b.st.CreateConnection(b.ctx, conn("Shop", b.now), sealID(&id))
	require.NoError(t, err)
	later := b.now.Add(time.Hour)
	require.NoError(t, b.st.UpdateConnectionCheck(b.ctx, c.ID, connection.Check{
		Brand: connection.Brand{ID: "brand-1", Name: "Renamed brand"}, At: later,
	}))
	got, err := b.st.GetConnection(b.ctx, "shop")
	require.NoError(t, err)
	require.Equal(t, "Renamed brand", got.BrandName)
	require.True(t, got.CheckedAt.Equal(later), "checked_at: %v", got.CheckedAt)
	require.True(t, got.UpdatedAt.Equal(later), "updated_at: %v", got.UpdatedAt)
	require.True(t, got.CreatedAt.Equal(b.now), "created_at kept: %v", got.CreatedAt)
	err = b.st.UpdateConnectionCheck(b.ctx, c.ID+100, connection.Check{At: later})
	require.ErrorIs(t, err, store.ErrNotFound)
}

func testConnectionDelete(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	var id int64
	c, err := b.st.CreateConnection(b.ctx, conn("Shop", b.now), sealID(&id))
	require.NoError(t, err)
	require.NoError(t, b.st.DeleteConnection(b.ctx, c.ID))
	_, err = b.st.GetConnection(b.ctx, "Shop")
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = b.st.ConnectionKey(b.ctx, c.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
	require.ErrorIs(t, b.st.DeleteConnection(b.ctx, c.ID), store.ErrNotFound)

	again, err := b.st.CreateConnection(b.ctx, conn("Shop", b.now), sealID(&id))
	require.NoError(t, err, "the name is free again")
	require.Greater(t, again.ID, c.ID, "ids are never reused, so a sealed key never fits a later row")
}
