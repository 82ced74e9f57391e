package service_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/audit"
	"segbridge/internal/connection"
	"segbridge/internal/export"
	"segbridge/internal/segment"
	"segbridge/internal/service"
	"segbridge/internal/store"
	"segbridge/internal/store/postgres"
	"segbridge/internal/store/postgres/pgtest"
	"segbridge/internal/store/sqlite"
	"segbridge/internal/user"
)

// The principals the tests act as.
var (
	admin       = user.Principal{UserID: 1, Email: "admin@example.com", Role: user.RoleAdmin, Via: "api"}
	contributor = user.Principal{UserID: 2, Email: "contributor@example.com", Role: user.RoleContributor, Via: "api"}
	viewer      = user.Principal{UserID: 3, Email: "viewer@example.com", Role: user.RoleViewer, Via: "api"}
)

// onEachEngine runs fn on SQLite and, when SEGBRIDGE_TEST_DATABASE_URL is
// set, on PostgreSQL.
func onEachEngine(t *testing.T, fn func(t *testing.T, b *bundle)) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) { t.Parallel(); fn(t, setup(t, "")) })
	t.Run("postgres", func(t *testing.T) { t.Parallel(); fn(t, setup(t, pgtest.URL(t))) })
}

// bundle is a test's services on a fresh store with two connections to
// one brand ("Shared", which contributors may use, and "Admins Only"), a
// third on another brand, and the segment "Buyers".
type bundle struct {
	t     *testing.T
	ctx   context.Context
	st    store.Store
	audit *audit.Log
	svc   *service.Services
	// queued are the runs whose jobs the services queued (resume or not).
	queued map[int64]bool
	// verified counts Config.Verify's calls.
	verified int
}

func setup(t *testing.T, dbURL string) *bundle {
	t.Helper()
	ctx := context.Background()
	var (
		st  store.Store
		err error
	)
	if dbURL == "" {
		st, err = sqlite.Open(ctx, filepath.Join(t.TempDir(), "segbridge.db"))
	} else {
		st, err = postgres.Open(ctx, dbURL)
	}
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	require.NoError(t, st.Migrate(ctx))
	log, err := audit.New(audit.Config{Store: st})
	require.NoError(t, err)
	b := &bundle{t: t, ctx: ctx, st: st, audit: log, queued: map[int64]bool{}}
	b.svc, err = service.New(service.Config{Store: st, Audit: log,
		Queue: func(_ context.Context, runID int64, resume bool) (int64, error) {
			b.queued[runID] = resume
			return 1000 + runID, nil
		},
		Verify: func(_ context.Context, name string, opt service.VerifyOptions) (service.VerifyResult, error) {
			b.verified++
			res := service.VerifyResult{Export: name}
			if opt.Repair {
				res.Repaired = 2
			}
			return res, nil
		},
	})
	require.NoError(t, err)
	b.connection("Shared", connection.AccessContributors, "brand-1")
	b.connection("Admins Only", connection.AccessAdmins, "brand-1")
	b.connection("Elsewhere", connection.AccessContributors, "brand-2")
	d, err := segment.NewRuleDraft("Buyers", "p.orders > 1")
	require.NoError(t, err)
	_, err = st.CreateSegment(ctx, d, time.Now())
	require.NoError(t, err)
	return b
}

func (b *bundle) connection(name string, access connection.Access, brand string) connection.Connection {
	b.t.Helper()
	now := time.Now()
	c, err := b.st.CreateConnection(b.ctx, connection.Connection{Name: name, Access: access, KeyLast4: "abcd", Dialect: "2026-03-15",
		BaseURL: "http://127.0.0.1:1", BrandID: brand, BrandName: brand, CheckedAt: now, ExportUser: admin.Email,
		Consent:   connection.Consent{By: admin.Email, At: now, NoticeVersion: connection.NoticeVersion},
		CreatedAt: now, UpdatedAt: now,
	}, func(int64) ([]byte, error) { return []byte("sealed"), nil })
	require.NoError(b.t, err)
	return c
}

// input is an export of Buyers on conn with mapping m (default: e-mail).
func input(name, conn string, m *export.Mapping) service.ExportInput {
	if m == nil {
		m = &export.Mapping{Email: "email"}
	}
	return service.ExportInput{Name: name, Connection: conn, Segments: []string{"Buyers"}, Mapping: m}
}

// create saves an export as p, which must work.
func (b *bundle) create(p user.Principal, name, conn string) export.Export {
	b.t.Helper()
	e, err := b.svc.Exports.Create(b.ctx, p, input(name, conn, nil))
	require.NoError(b.t, err)
	return e
}

// audited returns the audit log, oldest first, as "actor action target".
func (b *bundle) audited() []string {
	b.t.Helper()
	entries, err := b.audit.List(b.ctx, audit.ListOptions{Limit: 1000})
	require.NoError(b.t, err)
	out := make([]string, 0, len(entries))
	for i := len(entries) - 1; i >= 0; i-- {
		e := entries[i]
		out = append(out, e.Actor+" "+e.Action+" "+e.Target)
	}
	return out
}

// requireKind checks that err is a service error of kind k, whose
// message carries no package or driver prefix.
func requireServiceKind(t *testing.T, err error, k service.Kind) *service.Error {
	t.Helper()
	require.Error(t, err)
	e, ok := service.AsError(err)
	require.True(t, ok, "not a service error: %v", err)
	require.Equal(t, k, e.Kind, e.Msg)
	for _, prefix := range []string{"sqlite:", "postgres:", "store:", "export:", "sql:", "service:"} {
		require.NotContains(t, e.Msg, prefix)
	}
	require.False(t, strings.Contains(e.Msg, "segbridge/internal"), e.Msg)
	return e
}
