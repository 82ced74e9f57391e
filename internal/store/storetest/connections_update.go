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

// testConnectionUpdate changes a connection's settings, then its key.
func testConnectionUpdate(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	var id int64
	c, err := b.st.CreateConnection(b.ctx, conn("Shop", b.now), sealID(&id))
	require.NoError(t, err)
	_, err = b.st.CreateConnection(b.ctx, conn("Other", b.now), sealID(&id))
	require.NoError(t, err)

	later := b.now.Add(time.Hour)
	c.Name, c.Access, c.ExportUser, c.UpdatedAt = "Main shop", connection.AccessContributors, "bob@example.com", later
	c.Tagging = connection.TaggingUpsert
	c.Dialect, c.BaseURL = omnisend.DialectV3, "https://sandbox.example.com/api"
	got, err := b.st.UpdateConnection(b.ctx, c, nil)
	require.NoError(t, err)
	require.Equal(t, omnisend.DialectV3, got.Dialect)
	require.Equal(t, "https://sandbox.example.com/api", got.BaseURL)
	require.Equal(t, connection.TaggingUpsert, got.Tagging)
	require.Equal(t, "Main shop", got.Name)
	require.Equal(t, connection.AccessContributors, got.Access)
	require.Equal(t, "bob@example.com", got.ExportUser)
	require.True(t, got.UpdatedAt.Equal(later), "updated_at: %v", got.UpdatedAt)
	require.True(t, got.CreatedAt.Equal(b.now), "created_at kept: %v", got.CreatedAt)
	key, err := b.st.ConnectionKey(b.ctx, c.ID)
	require.NoError(t, err)
	require.Equal(t, "sealed:"+strconv.FormatInt(c.ID, 10), string(key), "no seal keeps the key")

	got.KeyLast4, got.CheckedAt = "wxyz", later
	got, err = b.st.UpdateConnection(b.ctx, got, func(id int64) ([]byte, error) { return []byte("resealed"), nil })
	require.NoError(t, err)
	require.Equal(t, "wxyz", got.KeyLast4)
	key, err = b.st.ConnectionKey(b.ctx, c.ID)
	require.NoError(t, err)
	require.Equal(t, "resealed", string(key))

	_, err = b.st.UpdateConnection(b.ctx, got, func(int64) ([]byte, error) { return nil, errors.New("no") })
	require.Error(t, err)
	key, _ = b.st.ConnectionKey(b.ctx, c.ID)
	require.Equal(t, "resealed", string(key), "a failed seal changes nothing")

	got.Name = "other"
	_, err = b.st.UpdateConnection(b.ctx, got, nil)
	require.ErrorIs(t, err, store.ErrConflict)
	got.ID += 100
	got.Name = "Gone"
	_, err = b.st.UpdateConnection(b.ctx, got, nil)
	require.ErrorIs(t, err, store.ErrNotFound)
}
