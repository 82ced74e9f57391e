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

func testRefreshSchedule(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	got, err := b.st.GetRefreshSchedule(b.ctx)
	require.NoError(t, err)
	require.Equal(t, store.RefreshSchedule{}, got, "none stored")
	require.False(t, got.Stored())

	// A firing can be claimed before any schedule is stored (the
	// configured one fired), once.
	ok, err := b.st.ClaimRefreshFiring(b.ctx, b.now)
	require.NoError(t, err)
	require.True(t, ok)
	ok, err = b.st.ClaimRefreshFiring(b.ctx, b.now)
	require.NoError(t, err)
	require.False(t, ok, "the same firing twice")
	ok, err = b.st.ClaimRefreshFiring(b.ctx, b.now.Add(-time.Hour))
	require.NoError(t, err)
	require.False(t, ok, "an earlier firing")
	got, err = b.st.GetRefreshSchedule(b.ctx)
	require.NoError(t, err)
	require.False(t, got.Stored())
	require.True(t, got.LastFiredAt.Equal(b.now))

	set := store.RefreshSchedule{Cron: "0 3 * * *", TimeZone: "Europe/Prague", UpdatedAt: b.now.Add(time.Minute), UpdatedBy: "ada"}
	require.NoError(t, b.st.SetRefreshSchedule(b.ctx, set))
	got, err = b.st.GetRefreshSchedule(b.ctx)
	require.NoError(t, err)
	set.LastFiredAt = b.now
	require.Equal(t, set, got, "setting keeps the last firing")

	ok, err = b.st.ClaimRefreshFiring(b.ctx, b.now.Add(24*time.Hour))
	require.NoError(t, err)
	require.True(t, ok, "a later firing")
	set2 := store.RefreshSchedule{Cron: "*/5 * * * *", TimeZone: "UTC", UpdatedAt: b.now.Add(2 * time.Minute), UpdatedBy: "bob"}
	require.NoError(t, b.st.SetRefreshSchedule(b.ctx, set2))
	got, err = b.st.GetRefreshSchedule(b.ctx)
	require.NoError(t, err)
	set2.LastFiredAt = b.now.Add(24 * time.Hour)
	require.Equal(t, set2, got)
}
