package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/store"
)

func testRefreshes(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	first, err := b.st.StartRefresh(b.ctx, b.now)
	require.NoError(t, err)
	second, err := b.st.StartRefresh(b.ctx, b.now.Add(time.Hour))
	require.NoError(t, err)
	require.NoError(t, b.st.FinishRefresh(b.ctx, store.SystemRefresh{
		ID: first, FinishedAt: b.now.Add(time.Minute), Status: store.RefreshFailed, Message: "boom", Segments: 3, Runs: 2,
	}))
	err = b.st.FinishRefresh(b.ctx, store.SystemRefresh{ID: 999_999, FinishedAt: b.now, Status: store.RefreshSucceeded})
	require.ErrorIs(t, err, store.ErrNotFound)

	got, err := b.st.ListRefreshes(b.ctx, 0)
	require.NoError(t, err)
	require.Len(t, got, 2)
	require.Equal(t, second, got[0].ID, "newest first")
	require.Equal(t, store.RefreshRunning, got[0].Status)
	require.True(t, got[0].FinishedAt.IsZero())
	require.Equal(t, store.SystemRefresh{
		ID: first, StartedAt: b.now, FinishedAt: b.now.Add(time.Minute), Status: store.RefreshFailed,
		Message: "boom", Segments: 3, Runs: 2,
	}, got[1])
}
