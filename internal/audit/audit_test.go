package audit_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/audit"
	"segbridge/internal/store/sqlite"
	"segbridge/internal/user"
)

func TestRecordAndList(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "test.db"))
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	require.NoError(t, st.Migrate(ctx))
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	l, err := audit.New(audit.Config{Store: st, Now: func() time.Time { now = now.Add(time.Second); return now }})
	require.NoError(t, err)

	ann := user.Principal{UserID: 1, Email: "ann@example.com", Role: user.RoleAdmin, Via: "session"}
	require.NoError(t, l.Record(ctx, ann, "connection.create", "Main shop", "access admins"))
	require.NoError(t, l.Record(ctx, user.Principal{Role: user.RoleAdmin, Via: "cli"}, "user.create", "bob@example.com", ""))
	require.NoError(t, l.Record(ctx, user.Principal{}, "export.run", "Weekly VIP", "scheduled"))
	require.ErrorContains(t, l.Record(ctx, ann, " ", "x", ""), "action: required")

	es, err := l.List(ctx, audit.ListOptions{})
	require.NoError(t, err)
	require.Len(t, es, 3)
	require.Equal(t, []string{"system", "cli", "ann@example.com"}, []string{es[0].Actor, es[1].Actor, es[2].Actor}, "newest first")
	require.Equal(t, audit.Entry{ID: es[2].ID, At: time.Date(2026, 11, 28, 12, 0, 1, 0, time.UTC), Actor: "ann@example.com",
		Action: "connection.create", Target: "Main shop", Detail: "access admins"}, es[2])

	page, err := l.List(ctx, audit.ListOptions{Before: es[0].ID, Limit: 1})
	require.NoError(t, err)
	require.Equal(t, []audit.Entry{es[1]}, page)
	_, err = l.List(ctx, audit.ListOptions{Limit: 1001})
	require.ErrorContains(t, err, "limit 1001")
	_, err = l.List(ctx, audit.ListOptions{Before: -1})
	require.ErrorContains(t, err, "before -1")

	_, err = audit.New(audit.Config{})
	require.ErrorContains(t, err, "Store: required")
}
