package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/connection"
	"segbridge/internal/run"
	"segbridge/internal/user"
)

// want is the status a route answers each role with.
type want struct{ admin, contributor, viewer, none int }

func (w want) of(role string) int {
	return map[string]int{"admin": w.admin, "contributor": w.contributor, "viewer": w.viewer, "none": w.none}[role]
}

var (
	anyone  = want{200, 200, 200, 401}
	writers = want{200, 200, 403, 401}
	admins  = want{200, 403, 403, 401}
)

// with returns w with the success status replaced by ok.
func (w want) with(ok int) want {
	for _, p := range []*int{&w.admin, &w.contributor, &w.viewer} {
		if *p == 200 {
			*p = ok
		}
	}
	return w
}

// route is one row of the table: a route (as the OpenAPI document names
// it) and the request to send to it as each role.
type route struct {
	method, path string
	name         string // tells rows of one route apart
	req          func(f *fixture, role string) request
	want         want
}

func fixed(method, path string, body any) func(*fixture, string) request {
	return func(*fixture, string) request { return request{method: method, path: path, body: body} }
}

// routes is the table: every route of the API (TestRoutesCoverTheAPI
// fails when one has no row).
func routes() []route {
	return append([]route{
		// session
		{method: "POST", path: "/session", want: want{200, 200, 200, 401}, req: func(f *fixture, role string) request {
			email, pw := "admin@example.com", "wrong password"
			if p, ok := f.users[role]; ok {
				email, pw = p.Email, password
			}
			return request{method: "POST", path: "/session", body: map[string]string{"email": email, "password": pw}}
		}},
		{method: "DELETE", path: "/session", want: anyone.with(204), req: fixed("DELETE", "/session", nil)},
		{method: "GET", path: "/me", want: anyone, req: fixed("GET", "/me", nil)},
		// tokens
		{method: "GET", path: "/tokens", want: anyone, req: fixed("GET", "/tokens", nil)},
		{method: "POST", path: "/tokens", want: anyone.with(201), req: fixed("POST", "/tokens", map[string]string{"name": "ci"})},
		{method: "DELETE", path: "/tokens/{id}", want: anyone.with(204), req: func(f *fixture, role string) request {
			owner := f.users[role]
			if role == "none" {
				owner = f.users["admin"]
			}
			tok, _, err := f.a.Users.CreateToken(f.ctx, owner, "to revoke", 0)
			require.NoError(f.t, err)
			return request{method: "DELETE", path: fmt.Sprintf("/tokens/%d", tok.ID)}
		}},
		// profiles
		{method: "GET", path: "/profiles", want: anyone, req: fixed("GET", "/profiles?limit=5", nil)},
		{method: "GET", path: "/profiles/schema", want: anyone, req: fixed("GET", "/profiles/schema", nil)},
		{method: "GET", path: "/profiles/imports", want: anyone, req: fixed("GET", "/profiles/imports?limit=5", nil)},
		{method: "GET", path: "/profiles/{id}", want: anyone, req: func(f *fixture, _ string) request {
			return request{method: "GET", path: "/profiles/" + f.profileID}
		}},
		{method: "POST", path: "/profiles/import", want: writers, req: func(_ *fixture, role string) request {
			return request{method: "POST", path: "/profiles/import?id=id", contentType: "text/csv",
				body: []byte("id,email,orders\nnew-" + role + ",new-" + role + "@example.com,3\n")}
		}},
		// segments
		{method: "GET", path: "/segments", want: anyone, req: fixed("GET", "/segments", nil)},
		{method: "GET", path: "/segments/{name}", want: anyone, req: fixed("GET", "/segments/Buyers", nil)},
		{method: "POST", path: "/segments", want: writers.with(201), req: func(_ *fixture, role string) request {
			return request{method: "POST", path: "/segments", body: map[string]string{"name": "New " + role, "rule": "p.orders > 2"}}
		}},
		{method: "PATCH", path: "/segments/{name}", want: writers, req: func(f *fixture, role string) request {
			f.segment("Edit "+role, "p.orders > 9")
			return request{method: "PATCH", path: "/segments/" + esc("Edit "+role), body: map[string]string{"rule": "p.orders > 4"}}
		}},
		{method: "DELETE", path: "/segments/{name}", want: writers.with(204), req: func(f *fixture, role string) request {
			f.segment("Gone "+role, "p.orders > 9")
			return request{method: "DELETE", path: "/segments/" + esc("Gone "+role)}
		}},
		{method: "POST", path: "/segments/{name}/refresh", want: writers, req: func(f *fixture, role string) request {
			// Not Buyers: it feeds an export on an admin-only connection,
			// which only admins may refresh (TestUseCasesAnswerAlikeEverywhere).
			f.segment("Fresh "+role, "p.orders > 9")
			return request{method: "POST", path: "/segments/" + esc("Fresh "+role) + "/refresh"}
		}},
		{method: "POST", path: "/segments/preview", want: anyone, req: fixed("POST", "/segments/preview", map[string]any{"rule": "p.orders >= 1", "sample": 3})},
		// connections
		{method: "GET", path: "/connections", want: anyone, req: fixed("GET", "/connections", nil)},
		{method: "GET", path: "/connections/{name}", name: "shared", want: anyone, req: fixed("GET", "/connections/Shared", nil)},
		{method: "GET", path: "/connections/{name}", name: "admins only", want: want{200, 404, 404, 401}, req: fixed("GET", "/connections/Admins%20Only", nil)},
		{method: "GET", path: "/connections/notice", want: anyone, req: fixed("GET", "/connections/notice", nil)},
		{method: "POST", path: "/connections", want: admins.with(201), req: func(f *fixture, role string) request {
			return request{method: "POST", path: "/connections", body: map[string]any{"name": "New " + role, "api_key": apiKey,
				"base_url": f.sandbox.URL, "export_user": "admin@example.com", "agree_to_notice": true, "access": "contributors"}}
		}},
		{method: "DELETE", path: "/connections/{name}", want: admins.with(204), req: func(f *fixture, role string) request {
			f.connection("Gone "+role, connection.AccessContributors)
			return request{method: "DELETE", path: "/connections/" + esc("Gone "+role)}
		}},
		{method: "PATCH", path: "/connections/{name}", want: admins, req: func(f *fixture, role string) request {
			f.connection("Patch "+role, connection.AccessAdmins)
			return request{method: "PATCH", path: "/connections/" + esc("Patch "+role),
				body: map[string]string{"access": "contributors", "api_key": apiKey, "export_user": "admin@example.com"}}
		}},
		{method: "POST", path: "/connections/{name}/check", want: admins, req: fixed("POST", "/connections/Shared/check", nil)},
		// exports
		{method: "GET", path: "/exports", want: anyone, req: fixed("GET", "/exports", nil)},
		{method: "GET", path: "/exports/{name}", name: "shared", want: anyone, req: fixed("GET", "/exports/Shared%20Export", nil)},
		{method: "GET", path: "/exports/{name}", name: "admins only", want: want{200, 404, 404, 401}, req: fixed("GET", "/exports/Admin%20Export", nil)},
		{method: "POST", path: "/exports", name: "shared", want: writers.with(201), req: func(_ *fixture, role string) request {
			return request{method: "POST", path: "/exports", body: map[string]any{"name": "New " + role, "connection": "Shared",
				"segments": []string{"Buyers"}, "mapping": map[string]string{"email": "email"}}}
		}},
		{method: "POST", path: "/exports", name: "admins only", want: want{201, 422, 403, 401}, req: func(_ *fixture, role string) request {
			return request{method: "POST", path: "/exports", body: map[string]any{"name": "New admin-only " + role, "connection": "Admins Only",
				"segments": []string{"Buyers"}, "mapping": map[string]string{"email": "email"}}}
		}},
		{method: "PATCH", path: "/exports/{name}", name: "shared", want: writers, req: func(f *fixture, role string) request {
			e := f.export("Patch "+role, "Shared")
			return request{method: "PATCH", path: "/exports/" + esc(e.Name), body: map[string]any{"tag_prefix": "sb", "active": false}}
		}},
		{method: "PATCH", path: "/exports/{name}", name: "admins only", want: want{200, 404, 403, 401}, req: func(f *fixture, role string) request {
			e := f.export("Patch admin-only "+role, "Admins Only")
			return request{method: "PATCH", path: "/exports/" + esc(e.Name), body: map[string]any{"tag_prefix": "sb"}}
		}},
		{method: "DELETE", path: "/exports/{name}", want: writers.with(204), req: func(f *fixture, role string) request {
			e := f.export("Gone "+role, "Shared")
			return request{method: "DELETE", path: "/exports/" + esc(e.Name)}
		}},
		// runs
		{method: "GET", path: "/exports/{name}/runs", want: anyone, req: fixed("GET", "/exports/Shared%20Export/runs", nil)},
		{method: "POST", path: "/exports/{name}/run", name: "shared", want: writers.with(202), req: func(f *fixture, role string) request {
			e := f.export("Run "+role, "Shared")
			return request{method: "POST", path: "/exports/" + esc(e.Name) + "/run"}
		}},
		{method: "POST", path: "/exports/{name}/run", name: "admins only", want: want{202, 404, 403, 401}, req: func(f *fixture, role string) request {
			e := f.export("Run admin-only "+role, "Admins Only")
			return request{method: "POST", path: "/exports/" + esc(e.Name) + "/run"}
		}},
		{method: "GET", path: "/runs/{id}", name: "shared", want: anyone, req: func(f *fixture, _ string) request {
			return request{method: "GET", path: fmt.Sprintf("/runs/%d", f.sharedRun)}
		}},
		{method: "GET", path: "/runs/{id}", name: "admins only", want: want{200, 404, 404, 401}, req: func(f *fixture, _ string) request {
			return request{method: "GET", path: fmt.Sprintf("/runs/%d", f.adminRun)}
		}},
		{method: "GET", path: "/runs/{id}/results", want: anyone, req: func(f *fixture, _ string) request {
			return request{method: "GET", path: fmt.Sprintf("/runs/%d/results", f.sharedRun)}
		}},
		{method: "POST", path: "/runs/{id}/retry", want: writers.with(202), req: func(f *fixture, role string) request {
			id := f.queuedRun(f.export("Retry "+role, "Shared"))
			r, err := f.a.Store.GetRun(f.ctx, id)
			require.NoError(f.t, err)
			r.Status, r.Step, r.FinishedAt = run.StatusSucceeded, run.StepDone, time.Now()
			r.Counts.Failed = map[string]int{run.ReasonRejected: 1}
			require.NoError(f.t, f.a.Store.SaveRun(f.ctx, r))
			return request{method: "POST", path: fmt.Sprintf("/runs/%d/retry", id)}
		}},
		{method: "POST", path: "/runs/{id}/cancel", want: writers.with(202), req: func(f *fixture, role string) request {
			id := f.queuedRun(f.export("Cancel "+role, "Shared"))
			return request{method: "POST", path: fmt.Sprintf("/runs/%d/cancel", id)}
		}},
		{method: "POST", path: "/runs/{id}/approve", want: writers.with(202), req: func(f *fixture, role string) request {
			id := f.heldRun(f.export("Approve "+role, "Shared"))
			return request{method: "POST", path: fmt.Sprintf("/runs/%d/approve", id)}
		}},
		{method: "POST", path: "/runs/{id}/discard", want: writers, req: func(f *fixture, role string) request {
			id := f.heldRun(f.export("Discard "+role, "Shared"))
			return request{method: "POST", path: fmt.Sprintf("/runs/%d/discard", id)}
		}},
		// read-back
		{method: "POST", path: "/exports/{name}/verify", name: "shared", want: writers, req: fixed("POST", "/exports/Shared%20Export/verify", map[string]any{"repair": "report"})},
		{method: "POST", path: "/exports/{name}/verify", name: "admins only", want: want{200, 404, 403, 401},
			req: fixed("POST", "/exports/Admin%20Export/verify", map[string]any{"estimate_only": true})},
		// run previews
		{method: "POST", path: "/exports/{name}/plan", name: "shared", want: writers, req: fixed("POST", "/exports/Shared%20Export/plan", nil)},
		{method: "POST", path: "/exports/{name}/plan", name: "admins only", want: want{200, 404, 403, 401}, req: fixed("POST", "/exports/Admin%20Export/plan", nil)},
		{method: "GET", path: "/exports/{name}/plan/diff", name: "shared", want: writers, req: fixed("GET", "/exports/Shared%20Export/plan/diff?format=jsonl", nil)},
		{method: "GET", path: "/exports/{name}/plan/diff", name: "admins only", want: want{200, 404, 403, 401}, req: fixed("GET", "/exports/Admin%20Export/plan/diff", nil)},
		{method: "POST", path: "/connections/{name}/sync-unsubscribes", name: "shared", want: admins, req: fixed("POST", "/connections/Shared/sync-unsubscribes", nil)},
		{method: "POST", path: "/connections/{name}/sync-unsubscribes", name: "admins only", want: admins,
			req: fixed("POST", "/connections/Admins%20Only/sync-unsubscribes", nil)},
		{method: "GET", path: "/explain", want: anyone, req: fixed("GET", "/explain?email=a%40example.com", nil)},
		// system
		{method: "GET", path: "/system/refresh", want: anyone, req: fixed("GET", "/system/refresh", nil)},
		{method: "PUT", path: "/system/refresh", want: admins, req: fixed("PUT", "/system/refresh", map[string]string{"schedule": "30 1 * * *"})},
		{method: "POST", path: "/system/refresh/run", want: admins.with(202), req: fixed("POST", "/system/refresh/run", nil)},
		// users and audit
		{method: "GET", path: "/users", want: admins, req: fixed("GET", "/users", nil)},
		{method: "POST", path: "/users", want: admins.with(201), req: func(_ *fixture, role string) request {
			return request{method: "POST", path: "/users", body: map[string]string{"email": "new-" + role + "@example.com", "password": password, "role": "viewer"}}
		}},
		{method: "PATCH", path: "/users/{email}", want: admins, req: func(f *fixture, role string) request {
			_, err := f.a.Users.Add(f.ctx, "patch-"+role+"@example.com", password, user.RoleViewer)
			require.NoError(f.t, err)
			return request{method: "PATCH", path: "/users/patch-" + role + "@example.com", body: map[string]string{"role": "contributor"}}
		}},
		{method: "DELETE", path: "/users/{email}", want: admins.with(204), req: func(f *fixture, role string) request {
			_, err := f.a.Users.Add(f.ctx, "gone-"+role+"@example.com", password, user.RoleViewer)
			require.NoError(f.t, err)
			return request{method: "DELETE", path: "/users/gone-" + role + "@example.com"}
		}},
		{method: "GET", path: "/audit", want: admins, req: fixed("GET", "/audit", nil)},
	}, append(notifyRoutes(), sourceRoutes()...)...) // notify_test.go, sources_test.go
}

// TestRoutesByRole sends every route as every role and checks the status,
// that no response shows the API key (nor, to non-admins, its last 4
// characters) and that no log line does.
func TestRoutesByRole(t *testing.T) {
	onEachEngine(t, func(t *testing.T, dbURL string) {
		f := setup(t, dbURL)
		for _, rt := range routes() {
			for _, role := range roles {
				r := rt.req(f, role)
				res := f.do(role, r)
				what := fmt.Sprintf("%s %s %s", rt.method, rt.path, rt.name)
				require.Equal(t, rt.want.of(role), res.status, "%s as %s: %s", what, role, res.body)
				f.noKey(role, what, res)
				if res.status >= 400 {
					require.Contains(t, res.header.Get("Content-Type"), "application/problem+json", "%s as %s", what, role)
				}
			}
		}
		require.NotContains(t, f.logs.String(), apiKey, "a log line shows the API key")
		require.Contains(t, f.logs.String(), "http request", "the request log was captured")
	})
}

// TestRoutesCoverTheAPI fails when a route of the OpenAPI document has no
// row in the table (or a row names a route that does not exist).
func TestRoutesCoverTheAPI(t *testing.T) {
	t.Parallel()
	var doc openAPIDoc
	require.NoError(t, json.Unmarshal(served(t, setup(t, "")), &doc))
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}
	tabled := map[string]bool{}
	for _, rt := range routes() {
		tabled[rt.method+" "+rt.path] = true
	}
	var missing, extra []string
	for k := range documented {
		if !tabled[k] {
			missing = append(missing, k)
		}
	}
	for k := range tabled {
		if !documented[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	require.Empty(t, missing, "routes without a row in routes()")
	require.Empty(t, extra, "rows in routes() for routes the API does not have")
}

// TestVisibility checks that contributors and viewers never see an
// admin-only connection or its exports and runs, nor any key.
func TestVisibility(t *testing.T) {
	onEachEngine(t, func(t *testing.T, dbURL string) {
		f := setup(t, dbURL)
		for _, role := range []string{"contributor", "viewer"} {
			var conns []map[string]any
			res := f.do(role, request{method: "GET", path: "/connections"})
			require.Equal(t, http.StatusOK, res.status)
			require.NoError(t, json.Unmarshal(res.body, &conns))
			require.Len(t, conns, 1, "%s sees only the shared connection", role)
			require.Equal(t, "Shared", conns[0]["name"])
			require.NotContains(t, conns[0], "key_last4")
			require.NotContains(t, conns[0], "consent")
			var exports []map[string]any
			res = f.do(role, request{method: "GET", path: "/exports"})
			require.NoError(t, json.Unmarshal(res.body, &exports))
			require.Len(t, exports, 1, "%s sees only the shared export", role)
			require.Equal(t, "Shared Export", exports[0]["name"])
			require.NotContains(t, string(res.body), "Admins Only")
			f.noKey(role, "lists", res)
		}
		var conns []map[string]any
		res := f.do("admin", request{method: "GET", path: "/connections"})
		require.NoError(t, json.Unmarshal(res.body, &conns))
		require.Len(t, conns, 2)
		require.Equal(t, apiKeyLast4, conns[0]["key_last4"])
	})
}

// TestResultsCSV checks the CSV download of a run's results.
func TestResultsCSV(t *testing.T) {
	t.Parallel()
	f := setup(t, "")
	path := fmt.Sprintf("/runs/%d/results", f.sharedRun)
	byAccept := f.do("viewer", request{method: "GET", path: path, header: map[string]string{"Accept": "text/csv"}})
	require.Equal(t, http.StatusOK, byAccept.status)
	require.Equal(t, "text/csv; charset=utf-8", byAccept.header.Get("Content-Type"))
	lines := strings.Split(strings.TrimSpace(string(byAccept.body)), "\n")
	require.Equal(t, "seq,action,email,profile_id,status,reason,message,batch_id", lines[0])
	require.Greater(t, len(lines), 2)
	byQuery := f.do("viewer", request{method: "GET", path: path + "?format=csv"})
	require.Equal(t, byAccept.body, byQuery.body)
	var rows []map[string]any
	res := f.do("viewer", request{method: "GET", path: path + "?status=ok"})
	require.Equal(t, "application/json", res.header.Get("Content-Type"))
	require.NoError(t, json.Unmarshal(res.body, &rows))
	require.NotEmpty(t, rows)
	for _, r := range rows {
		require.Equal(t, "ok", r["status"])
	}

	// Filters: action, e-mail prefix, keyset paging; reasons in words.
	var all []map[string]any
	require.NoError(t, json.Unmarshal(f.do("viewer", request{method: "GET", path: path}).body, &all))
	first := all[0]["email"].(string)
	res = f.do("viewer", request{method: "GET", path: path + "?action=add&email=" + url.QueryEscape(strings.ToUpper(first))})
	require.Equal(t, http.StatusOK, res.status, string(res.body))
	require.NoError(t, json.Unmarshal(res.body, &rows))
	require.Len(t, rows, 1)
	require.Equal(t, first, rows[0]["email"])
	res = f.do("viewer", request{method: "GET", path: fmt.Sprintf("%s?after=%v&limit=2", path, all[0]["seq"])})
	require.NoError(t, json.Unmarshal(res.body, &rows))
	require.Len(t, rows, 2)
	require.Equal(t, all[1]["seq"], rows[0]["seq"])
	for _, r := range all {
		if r["reason"] != nil {
			require.Equal(t, run.ReasonText(r["reason"].(string)), r["reason_text"], "a reason in words")
		}
	}
	for _, bad := range []string{"?action=delete", "?limit=-1", "?email=" + strings.Repeat("a", 400)} {
		require.Equal(t, http.StatusUnprocessableEntity, f.do("viewer", request{method: "GET", path: path + bad}).status, bad)
	}
}

// TestStartRunIsWorked checks that a run started through the API is
// worked by the jobs and ends with its counts, and that it is audited.
func TestStartRunIsWorked(t *testing.T) {
	t.Parallel()
	f := setup(t, "")
	f.export("Worked", "Shared")
	res := f.do("contributor", request{method: "POST", path: "/exports/Worked/run"})
	require.Equal(t, http.StatusAccepted, res.status, string(res.body))
	var started struct {
		Run   struct{ ID int64 } `json:"run"`
		JobID int64              `json:"job_id"`
	}
	require.NoError(t, json.Unmarshal(res.body, &started))
	require.Positive(t, started.JobID)
	again := f.do("contributor", request{method: "POST", path: "/exports/Worked/run"})
	require.Equal(t, http.StatusConflict, again.status, "one run per export at a time")
	require.NoError(t, f.a.Jobs.Start(f.ctx, jobsStart()))
	t.Cleanup(func() { _ = f.a.Jobs.Stop(f.ctx) })
	var got struct {
		Status string         `json:"status"`
		Counts map[string]any `json:"counts"`
	}
	require.Eventually(t, func() bool {
		res := f.do("viewer", request{method: "GET", path: fmt.Sprintf("/runs/%d", started.Run.ID)})
		require.NoError(t, json.Unmarshal(res.body, &got))
		return got.Status == "succeeded" || got.Status == "failed"
	}, 60*time.Second, 100*time.Millisecond)
	require.Equal(t, "succeeded", got.Status)
	require.NotZero(t, got.Counts["members"])
	audit := f.do("admin", request{method: "GET", path: "/audit"})
	require.Contains(t, string(audit.body), `"action":"run.start"`)
	require.Contains(t, string(audit.body), `"actor":"contributor@example.com"`)
}
