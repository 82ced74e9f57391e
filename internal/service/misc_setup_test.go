package service_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"segbridge/internal/app"
	"segbridge/internal/audit"
	"segbridge/internal/service"
	"segbridge/internal/store/postgres/pgtest"
	"segbridge/internal/user"
)

// miscBundle is an installation for the profiles, system and notify
// services' tests, with a principal per role.
type miscBundle struct {
	t   *testing.T
	ctx context.Context
	a   *app.App
	svc *service.Services
	// admin, contributor and viewer act in the tests.
	admin, contributor, viewer user.Principal
}

// miscOnEachEngine runs fn on SQLite and, when
// SEGBRIDGE_TEST_DATABASE_URL is set, on PostgreSQL.
func miscOnEachEngine(t *testing.T, fn func(t *testing.T, b *miscBundle)) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) { t.Parallel(); fn(t, miscSetup(t, "")) })
	t.Run("postgres", func(t *testing.T) { t.Parallel(); fn(t, miscSetup(t, pgtest.URL(t))) })
}

func miscSetup(t *testing.T, dbURL string) *miscBundle {
	t.Helper()
	ctx := context.Background()
	a, err := app.Open(ctx, app.Config{DatabaseURL: dbURL, DataDir: t.TempDir(), PasswordCost: 4})
	require.NoError(t, err)
	t.Cleanup(func() { a.Close() })
	b := &miscBundle{t: t, ctx: ctx, a: a, svc: a.Services}
	for _, r := range []user.Role{user.RoleAdmin, user.RoleContributor, user.RoleViewer} {
		u, err := a.Users.Add(ctx, string(r)+"@example.com", "correct horse battery staple", r)
		require.NoError(t, err)
		p := user.Principal{UserID: u.ID, Email: u.Email, Role: u.Role, Via: "session"}
		switch r {
		case user.RoleAdmin:
			b.admin = p
		case user.RoleContributor:
			b.contributor = p
		default:
			b.viewer = p
		}
	}
	return b
}

// entries returns the audit entries of action, oldest first.
func (b *miscBundle) entries(action service.Action) []audit.Entry {
	b.t.Helper()
	all, err := b.a.Audit.List(b.ctx, audit.ListOptions{Limit: 1000})
	require.NoError(b.t, err)
	var out []audit.Entry
	for i := len(all) - 1; i >= 0; i-- {
		if all[i].Action == string(action) {
			out = append(out, all[i])
		}
	}
	return out
}

// requireKind asserts that err is a *service.Error of kind k.
func requireKindOf(t *testing.T, k service.Kind, err error) *service.Error {
	t.Helper()
	e, ok := service.AsError(err)
	require.True(t, ok, "want a *service.Error, got %T: %v", err, err)
	require.Equal(t, k, e.Kind, e.Msg)
	return e
}
