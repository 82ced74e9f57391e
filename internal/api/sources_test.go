package api_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"segbridge/internal/service"
	"segbridge/internal/source"
	"segbridge/internal/store"
	"segbridge/internal/user"
)

// fileSource adds a file source named name reading a small CSV.
func (f *fixture) fileSource(name string) string {
	f.t.Helper()
	path := filepath.Join(f.t.TempDir(), "people.csv")
	require.NoError(f.t, os.WriteFile(path, []byte("id,email,tier\nS1,s1@example.com,gold\n"), 0o600))
	_, err := f.a.Services.Sources.Create(f.ctx, user.Principal{Role: user.RoleAdmin, Actor: "stage"},
		service.SourceInput{Source: source.Source{Name: name, Kind: source.KindFile, Path: path, IDColumn: "id", EmailColumn: "email"}})
	require.NoError(f.t, err)
	return name
}

// heldRefresh records a held refresh (with no held sources) and returns its id.
func (f *fixture) heldRefresh() int64 {
	f.t.Helper()
	id, err := f.a.Store.StartRefresh(f.ctx, time.Now())
	require.NoError(f.t, err)
	require.NoError(f.t, f.a.Store.FinishRefresh(f.ctx, store.SystemRefresh{ID: id, FinishedAt: time.Now(),
		Status: store.RefreshHeld, Message: "held for a test"}))
	return id
}

// sourceRoutes are the rows of the sources' routes.
func sourceRoutes() []route {
	return []route{
		{method: "GET", path: "/sources", want: anyone, req: fixed("GET", "/sources", nil)},
		{method: "GET", path: "/sources/{name}", want: anyone, req: func(f *fixture, role string) request {
			return request{method: "GET", path: "/sources/" + esc(f.fileSource("Get "+role))}
		}},
		{method: "POST", path: "/sources", want: admins.with(201), req: func(f *fixture, role string) request {
			return request{method: "POST", path: "/sources", body: map[string]any{"name": "New " + role, "kind": "file",
				"path": "/data/people-*.csv", "id_column": "id"}}
		}},
		{method: "PATCH", path: "/sources/{name}", want: admins, req: func(f *fixture, role string) request {
			return request{method: "PATCH", path: "/sources/" + esc(f.fileSource("Patch "+role)), body: map[string]any{"priority": 3}}
		}},
		{method: "DELETE", path: "/sources/{name}", want: admins.with(204), req: func(f *fixture, role string) request {
			return request{method: "DELETE", path: "/sources/" + esc(f.fileSource("Gone "+role))}
		}},
		{method: "POST", path: "/sources/{name}/test", want: admins, req: func(f *fixture, role string) request {
			return request{method: "POST", path: "/sources/" + esc(f.fileSource("Test "+role)) + "/test"}
		}},
		{method: "POST", path: "/sources/{name}/run", want: admins, req: func(f *fixture, role string) request {
			return request{method: "POST", path: "/sources/" + esc(f.fileSource("Run "+role)) + "/run"}
		}},
		{method: "POST", path: "/system/refresh/now", want: admins, req: fixed("POST", "/system/refresh/now", nil)},
		{method: "POST", path: "/system/refreshes/{id}/release", want: admins, req: func(f *fixture, role string) request {
			return request{method: "POST", path: fmt.Sprintf("/system/refreshes/%d/release", f.heldRefresh())}
		}},
		{method: "POST", path: "/system/refreshes/{id}/discard", want: admins, req: func(f *fixture, role string) request {
			return request{method: "POST", path: fmt.Sprintf("/system/refreshes/%d/discard", f.heldRefresh())}
		}},
	}
}

func TestSourcesAPI(t *testing.T) {
	onEachEngine(t, func(t *testing.T, dbURL string) {
		f := setup(t, dbURL)
		const dsn = "postgres://reader:S3cret-pass@127.0.0.1:1/nowhere"
		res := f.do("admin", request{method: "POST", path: "/sources", body: map[string]any{"name": "crm", "kind": "postgres",
			"query": "SELECT * FROM customers", "id_column": "id", "email_column": "email", "secret": dsn, "priority": 5}})
		require.Equal(t, 201, res.status, string(res.body))
		require.Contains(t, string(res.body), `"has_secret":true`)
		res = f.do("admin", request{method: "POST", path: "/sources", body: map[string]any{"name": "bad", "kind": "postgres",
			"query": "SELECT 1", "id_column": "id"}})
		require.Equal(t, 422, res.status, string(res.body))
		require.Contains(t, string(res.body), "DSN")

		f.fileSource("people")
		res = f.do("admin", request{method: "POST", path: "/sources/people/run"})
		require.Equal(t, 200, res.status, string(res.body))
		require.Contains(t, string(res.body), `"profiles":{"new":1`)
		res = f.do("admin", request{method: "POST", path: "/sources/crm/test"})
		require.Equal(t, 200, res.status, string(res.body))
		require.Contains(t, string(res.body), "cannot be reached")

		res = f.do("admin", request{method: "POST", path: "/system/refresh/now"})
		require.Equal(t, 200, res.status, string(res.body))
		require.Contains(t, string(res.body), `"status":"failed"`)
		require.Contains(t, string(res.body), `"name":"source people"`)
		res = f.do("viewer", request{method: "GET", path: "/system/refresh"})
		require.Equal(t, 200, res.status)
		require.Contains(t, string(res.body), `"steps":[`)
		for _, path := range []string{"/sources", "/sources/crm", "/system/refresh"} {
			body := string(f.do("admin", request{method: "GET", path: path}).body)
			require.NotContains(t, body, "S3cret")
		}
		require.False(t, strings.Contains(f.logs.String(), "S3cret"), "no secret in the logs")
		if dbURL != "" { // the SQLite file is checked by the CLI's test
			conn, err := pgx.Connect(f.ctx, dbURL)
			require.NoError(t, err)
			defer conn.Close(f.ctx)
			var stored string
			require.NoError(t, conn.QueryRow(f.ctx, `SELECT string_agg(settings || state || encode(secret, 'hex'), '') FROM sources`).Scan(&stored))
			require.NotContains(t, stored, "S3cret")
			require.NotContains(t, stored, fmt.Sprintf("%x", "S3cret"), "the secret is sealed")
			require.Contains(t, stored, "customers", "the settings are there")
		}
	})
}
