package service_test

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/audit"
	"segbridge/internal/connection"
	"segbridge/internal/omnisend"
	"segbridge/internal/omnisend/sandbox"
	"segbridge/internal/readback"
	"segbridge/internal/secret"
	"segbridge/internal/service"
	"segbridge/internal/store"
	"segbridge/internal/store/postgres"
	"segbridge/internal/store/postgres/pgtest"
	"segbridge/internal/store/sqlite"
	"segbridge/internal/user"
)

// Keys the sandbox knows.
const (
	connGoodKey  = "svc-good-0123456789abcdef0123456789abcdef-g00d"
	connOtherKey = "svc-other-0123456789abcdef0123456789abcde-0th3"
)

// connBundle is a store with users, connections and their services, and
// a sandbox Omnisend.
type connBundle struct {
	ctx   context.Context
	st    store.Store
	svc   *service.Services
	users *user.Service
	audit *audit.Log
	sbURL string
	// admin, contrib and viewer are signed-in users; cli the command
	// line's local operator.
	admin, contrib, viewer, cli user.Principal
}

// onBothEngines runs fn on SQLite and, when SEGBRIDGE_TEST_DATABASE_URL
// is set, on PostgreSQL.
func onBothEngines(t *testing.T, fn func(t *testing.T, b *connBundle)) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) { t.Parallel(); fn(t, connSetup(t, "")) })
	t.Run("postgres", func(t *testing.T) { t.Parallel(); fn(t, connSetup(t, pgtest.URL(t))) })
}

func connSetup(t *testing.T, pgURL string) *connBundle {
	t.Helper()
	ctx := context.Background()
	sb, err := sandbox.New(sandbox.Config{TagDelay: time.Nanosecond, Keys: []sandbox.Key{
		{Key: connGoodKey, BrandID: "brand-svc", BrandName: "Service Shop"},
		{Key: connOtherKey, BrandID: "brand-other", BrandName: "Other Shop"},
	}})
	require.NoError(t, err)
	srv := httptest.NewServer(sb)
	t.Cleanup(func() { srv.Close(); sb.Close() })

	dir := t.TempDir()
	var st store.Store
	if pgURL == "" {
		st, err = sqlite.Open(ctx, filepath.Join(dir, "segbridge.db"))
	} else {
		st, err = postgres.Open(ctx, pgURL)
	}
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	require.NoError(t, st.Migrate(ctx))
	keys, err := secret.Load(secret.Config{DataDir: dir})
	require.NoError(t, err)
	conns, err := connection.NewService(connection.Config{Store: st, Keys: keys, Timeout: 2 * time.Second,
		Retry: omnisend.RetryConfig{MaxAttempts: 1, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond}})
	require.NoError(t, err)
	users, err := user.NewService(user.Config{Store: st, PasswordCost: 4})
	require.NoError(t, err)
	log, err := audit.New(audit.Config{Store: st})
	require.NoError(t, err)
	svc, err := service.New(service.Config{Store: st, Audit: log, Connections: conns, Users: users,
		SyncUnsubscribes: func(_ context.Context, name string) (readback.SyncResult, error) {
			c, err := st.GetConnection(ctx, name)
			return readback.SyncResult{Connection: c.Name, Requests: 1, Statuses: 2, Unsubscribed: 1}, err
		}})
	require.NoError(t, err)

	b := &connBundle{ctx: ctx, st: st, svc: svc, users: users, audit: log, sbURL: srv.URL,
		cli: user.Principal{Role: user.RoleAdmin, Via: "cli", Actor: "cli:tester@host"}}
	for _, p := range []struct {
		to    *user.Principal
		email string
		role  user.Role
	}{{&b.admin, "ann@example.com", user.RoleAdmin}, {&b.contrib, "carl@example.com", user.RoleContributor},
		{&b.viewer, "vera@example.com", user.RoleViewer}} {
		u, err := users.Add(ctx, p.email, "correct horse battery staple", p.role)
		require.NoError(t, err)
		*p.to = user.Principal{UserID: u.ID, Email: u.Email, Role: u.Role, Via: "session"}
	}
	return b
}

// input is a complete new connection to the sandbox.
func (b *connBundle) input(name string) service.ConnectionInput {
	return service.ConnectionInput{Name: name, APIKey: omnisend.NewSecret(connGoodKey), BaseURL: b.sbURL,
		ExportUser: "ann@example.com", Agree: true}
}

// entries are the audit log, newest first, as "actor action target".
func (b *connBundle) entries(t *testing.T) []string {
	t.Helper()
	es, err := b.audit.List(b.ctx, audit.ListOptions{Limit: 1000})
	require.NoError(t, err)
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Actor + " " + e.Action + " " + e.Target
	}
	return out
}

// requireKind requires err to be a *service.Error of kind k naming field
// (when field is not "").
func requireKind(t *testing.T, err error, k service.Kind, field string) *service.Error {
	t.Helper()
	e, ok := service.AsError(err)
	require.True(t, ok, "want a *service.Error, got %T: %v", err, err)
	require.Equal(t, k, e.Kind, "%v", err)
	if field != "" {
		require.Equal(t, field, e.Field(), "%v", err)
	}
	return e
}

func TestConnectionsOnlyAdmins(t *testing.T) {
	onBothEngines(t, func(t *testing.T, b *connBundle) {
		cs := b.svc.Connections
		c, err := cs.Create(b.ctx, b.admin, b.input("Main shop"))
		require.NoError(t, err)
		for _, p := range []user.Principal{b.contrib, b.viewer, {}} {
			_, err := cs.Connect(b.ctx, p, b.input("Other"))
			requireKind(t, err, service.KindForbidden, "")
			_, err = cs.Create(b.ctx, p, b.input("Other"))
			requireKind(t, err, service.KindForbidden, "")
			access := connection.AccessContributors
			_, err = cs.Update(b.ctx, p, c.Name, connection.Changes{Access: &access})
			requireKind(t, err, service.KindForbidden, "")
			_, err = cs.Check(b.ctx, p, c.Name)
			requireKind(t, err, service.KindForbidden, "")
			_, _, err = cs.Remove(b.ctx, p, c.Name)
			requireKind(t, err, service.KindForbidden, "")
			_, err = cs.SyncUnsubscribes(b.ctx, p, c.Name)
			requireKind(t, err, service.KindForbidden, "")
		}
		_, err = cs.Create(b.ctx, b.contrib, b.input("Other"))
		require.EqualError(t, err, "only admins may create connections; you (carl@example.com) are a contributor")
		_, err = cs.SyncUnsubscribes(b.ctx, b.viewer, c.Name)
		require.EqualError(t, err, "only admins may sync the unsubscribes of connections; you (vera@example.com) are a viewer")
		require.Equal(t, []string{"ann@example.com connection.create Main shop"}, b.entries(t), "a refusal records nothing")
	})
}

func TestConnectionsOneAuditEntryEach(t *testing.T) {
	onBothEngines(t, func(t *testing.T, b *connBundle) {
		cs := b.svc.Connections
		brand, err := cs.Connect(b.ctx, b.cli, b.input("Main shop"))
		require.NoError(t, err)
		require.Equal(t, "Service Shop", brand.Name)
		require.Empty(t, b.entries(t), "Connect changes nothing")

		c, err := cs.Create(b.ctx, b.cli, b.input("Main shop"))
		require.NoError(t, err)
		require.Equal(t, "cli:tester@host", c.Consent.By, "the principal agreed")
		name, access, eu := "Main", connection.AccessContributors, "ANN@example.com"
		c, err = cs.Update(b.ctx, b.admin, "main shop", connection.Changes{Name: &name, Access: &access, ExportUser: &eu})
		require.NoError(t, err)
		require.Equal(t, "Main", c.Name)
		require.Equal(t, "ann@example.com", c.ExportUser, "spelt as the user is")
		_, err = cs.Check(b.ctx, b.admin, "Main")
		require.NoError(t, err)
		res, err := cs.SyncUnsubscribes(b.ctx, b.admin, "Main")
		require.NoError(t, err)
		require.Equal(t, "Main", res.Connection)
		removed, detached, err := cs.Remove(b.ctx, b.admin, "Main")
		require.NoError(t, err)
		require.Equal(t, c.ID, removed.ID)
		require.Zero(t, detached)
		require.Equal(t, []string{
			"ann@example.com connection.remove Main",
			"ann@example.com connection.sync_unsubscribes Main",
			"ann@example.com connection.check Main",
			"ann@example.com connection.update Main",
			"cli:tester@host connection.create Main shop",
		}, b.entries(t))

		_, err = cs.Check(b.ctx, b.admin, "Main")
		e := requireKind(t, err, service.KindNotFound, "")
		require.Equal(t, `no connection named "Main" (see: segbridge connection list)`, e.Msg)
		require.Len(t, b.entries(t), 5, "nothing found, nothing recorded")
	})
}

func TestConnectionsExportUserMustBeAdmin(t *testing.T) {
	onBothEngines(t, func(t *testing.T, b *connBundle) {
		cs := b.svc.Connections
		in := b.input("Shop")
		in.ExportUser = "nobody@example.com"
		_, err := cs.Create(b.ctx, b.admin, in)
		e := requireKind(t, err, service.KindInvalid, "export_user")
		require.Equal(t, "export_user: nobody@example.com is not an admin of segbridge (see: segbridge user list); scheduled exports run as an admin", e.Msg)
		in.ExportUser = "carl@example.com"
		_, err = cs.Connect(b.ctx, b.admin, in)
		e = requireKind(t, err, service.KindInvalid, "export_user")
		require.Contains(t, e.Msg, "carl@example.com is not an admin of segbridge but a contributor")

		c, err := cs.Create(b.ctx, b.admin, b.input("Shop"))
		require.NoError(t, err)
		eu := "vera@example.com"
		_, err = cs.Update(b.ctx, b.admin, "Shop", connection.Changes{ExportUser: &eu})
		requireKind(t, err, service.KindInvalid, "export_user")
		got, err := b.st.GetConnection(b.ctx, "Shop")
		require.NoError(t, err)
		require.Equal(t, c.ExportUser, got.ExportUser, "a refused change changes nothing")
		require.Len(t, b.entries(t), 1)
	})
}

func TestConnectionsInvalidInput(t *testing.T) {
	onBothEngines(t, func(t *testing.T, b *connBundle) {
		cs := b.svc.Connections
		for base, want := range map[string]string{"not a url": "absolute http(s) URL", "ftp://example.com": "absolute http(s) URL",
			"https://u:p@example.com": "user or password"} {
			in := b.input("Shop")
			in.BaseURL = base
			_, err := cs.Create(b.ctx, b.admin, in)
			e := requireKind(t, err, service.KindInvalid, "base_url")
			require.Contains(t, e.Fields[0].Msg, want, base)
		}

		in := b.input("")
		in.Access, in.Dialect, in.APIKey, in.ExportUser = "all", "v5", omnisend.NewSecret("with space"), "not-an-email"
		_, err := cs.Create(b.ctx, b.admin, in)
		e := requireKind(t, err, service.KindInvalid, "name")
		var fields []string
		for _, f := range e.Fields {
			fields = append(fields, f.Field)
		}
		require.Equal(t, []string{"name", "access", "api_key", "dialect", "export_user"}, fields, "every field at fault at once")
		require.NotContains(t, e.Msg, "with space", "never the key")

		in = b.input("Shop")
		in.Agree = false
		_, err = cs.Create(b.ctx, b.admin, in)
		e = requireKind(t, err, service.KindInvalid, "consent")
		require.ErrorIs(t, err, connection.ErrConsentRequired)
		require.Contains(t, e.Msg, "read the notice (version "+connection.NoticeVersion+") and agree to it")

		in = b.input("Shop")
		in.APIKey = omnisend.NewSecret("svc-wrong-0123456789abcdef")
		_, err = cs.Create(b.ctx, b.admin, in)
		e = requireKind(t, err, service.KindInvalid, "api_key")
		require.Contains(t, e.Msg, "Omnisend rejected the API key (HTTP 401)")
		var ce *connection.CheckError
		require.ErrorAs(t, err, &ce, "the cause is kept")

		in = b.input("Shop")
		in.BaseURL = "http://127.0.0.1:1"
		_, err = cs.Create(b.ctx, b.admin, in)
		e = requireKind(t, err, service.KindUnavailable, "")
		require.Contains(t, e.Msg, "cannot reach Omnisend at http://127.0.0.1:1")

		_, err = cs.Create(b.ctx, b.admin, b.input("Shop"))
		require.NoError(t, err)
		_, err = cs.Create(b.ctx, b.admin, b.input("SHOP"))
		e = requireKind(t, err, service.KindConflict, "")
		require.Equal(t, `a connection named "Shop" already exists; choose another name`, e.Msg)

		other := omnisend.NewSecret(connOtherKey)
		_, err = cs.Update(b.ctx, b.admin, "Shop", connection.Changes{APIKey: &other})
		e = requireKind(t, err, service.KindConflict, "")
		require.ErrorIs(t, err, connection.ErrBrandChanged)
		require.Contains(t, e.Msg, "belongs to brand brand-other, not brand-svc")
		_, err = cs.Update(b.ctx, b.admin, "Shop", connection.Changes{})
		requireKind(t, err, service.KindInvalid, "")
		require.Len(t, b.entries(t), 1, "only the one creation is recorded")
	})
}

// TestConnectionsDialectAndBaseURL: a connection's dialect and base URL
// change only after the stored key is checked against the changed API
// (like a key rotation): refused, unreachable or another brand there
// changes nothing; bad values are all named at once; a good change is
// recorded once, saying what it was.
func TestConnectionsDialectAndBaseURL(t *testing.T) {
	onBothEngines(t, func(t *testing.T, b *connBundle) {
		cs := b.svc.Connections
		sandboxWith := func(brand string, key string) string {
			sb, err := sandbox.New(sandbox.Config{TagDelay: time.Nanosecond, Keys: []sandbox.Key{{Key: key, BrandID: brand, BrandName: brand}}})
			require.NoError(t, err)
			srv := httptest.NewServer(sb)
			t.Cleanup(func() { srv.Close(); sb.Close() })
			return srv.URL
		}
		same, otherBrand, unknownKey := sandboxWith("brand-svc", connGoodKey), sandboxWith("brand-x", connGoodKey), sandboxWith("brand-svc", connOtherKey)
		c, err := cs.Create(b.ctx, b.admin, b.input("Shop"))
		require.NoError(t, err)
		require.Equal(t, omnisend.Dialect20260315, c.Dialect)

		bad, v5 := "ftp://example.com", omnisend.Dialect("v5")
		_, err = cs.Update(b.ctx, b.admin, "Shop", connection.Changes{BaseURL: &bad, Dialect: &v5})
		e := requireKind(t, err, service.KindInvalid, "dialect")
		require.Len(t, e.Fields, 2, "both at once: %v", e)
		require.Equal(t, "base_url", e.Fields[1].Field)

		_, err = cs.Update(b.ctx, b.admin, "Shop", connection.Changes{BaseURL: &unknownKey})
		e = requireKind(t, err, service.KindInvalid, "base_url")
		require.Contains(t, e.Msg, "the stored API key was refused there")
		_, err = cs.Update(b.ctx, b.admin, "Shop", connection.Changes{BaseURL: &otherBrand})
		e = requireKind(t, err, service.KindConflict, "")
		require.Contains(t, e.Msg, "belongs to brand brand-x, not brand-svc")
		gone := "http://127.0.0.1:1"
		_, err = cs.Update(b.ctx, b.admin, "Shop", connection.Changes{BaseURL: &gone})
		requireKind(t, err, service.KindUnavailable, "")
		got, err := cs.Get(b.ctx, "Shop")
		require.NoError(t, err)
		require.Equal(t, b.sbURL, got.BaseURL, "a failed check changes nothing")
		require.Len(t, b.entries(t), 1, "only the creation is recorded")

		v3 := omnisend.DialectV3
		saved, err := cs.Update(b.ctx, b.admin, "Shop", connection.Changes{BaseURL: &same, Dialect: &v3})
		require.NoError(t, err)
		require.Equal(t, same, saved.BaseURL)
		require.Equal(t, omnisend.DialectV3, saved.Dialect)
		got, err = cs.Get(b.ctx, "Shop")
		require.NoError(t, err)
		require.Equal(t, same, got.BaseURL)
		es, err := b.audit.List(b.ctx, audit.ListOptions{Limit: 10})
		require.NoError(t, err)
		require.Len(t, es, 2)
		require.Equal(t, "connection.update", es[0].Action)
		require.Contains(t, es[0].Detail, "changed base_url, dialect")
		require.Contains(t, es[0].Detail, "dialect v3, was 2026-03-15")
	})
}
