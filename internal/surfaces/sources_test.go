package surfaces_test

import (
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/service"
	"segbridge/internal/source"
	"segbridge/internal/store"
	"segbridge/internal/user"
)

// loyaltyCSV is a small source file.
const loyaltyCSV = "member,mail,tier\nM1,n1@example.com,gold\n"

// addSource adds the file source "loyalty" as the stage of a use case.
func addSource(f *fixture) {
	path := f.file("loyalty.csv", loyaltyCSV)
	s, err := f.a.Services.Sources.Create(f.ctx, user.Principal{Role: user.RoleAdmin, Via: "cli", Actor: "stage"},
		service.SourceInput{Source: source.Source{Name: "loyalty", Kind: source.KindFile, Path: path, IDColumn: "member", EmailColumn: "mail"}})
	require.NoError(f.t, err)
	f.ids["loyalty"] = s.ID
}

// holdRefresh records a held refresh as the stage of a release or discard.
func holdRefresh(f *fixture) {
	id, err := f.a.Store.StartRefresh(f.ctx, time.Now())
	require.NoError(f.t, err)
	require.NoError(f.t, f.a.Store.FinishRefresh(f.ctx, store.SystemRefresh{ID: id, FinishedAt: time.Now(), Status: store.RefreshHeld, Message: "held"}))
	f.ids["refresh"] = id
}

func refreshDo(path string) iface {
	return func(f *fixture, role user.Role) outcome {
		return f.apiCall(role, http.MethodPost, fmt.Sprintf(path, f.ids["refresh"]), nil)
	}
}

func refreshWeb(path string) iface {
	return func(f *fixture, role user.Role) outcome {
		return f.webPost(f.web[role], fmt.Sprintf(path, f.ids["refresh"]), url.Values{})
	}
}

func refreshCLI(verb string) iface {
	return func(f *fixture, role user.Role) outcome {
		return f.cliRun(role, "", "refresh", verb, fmt.Sprint(f.ids["refresh"]), "--no-wait")
	}
}

// sourceUseCases are the use cases of sources and of the refresh that
// reads them.
func sourceUseCases() []useCase {
	return []useCase{
		{name: "add a source", action: "source.create", allowed: admins,
			cli: func(f *fixture, role user.Role) outcome {
				return f.cliRun(role, "", "source", "create", "loyalty", "--kind", "file", "--path", f.file("l.csv", loyaltyCSV), "--id", "member")
			},
			api: func(f *fixture, role user.Role) outcome {
				return f.apiCall(role, http.MethodPost, "/sources", map[string]any{"name": "loyalty", "kind": "file",
					"path": f.file("l.csv", loyaltyCSV), "id_column": "member"})
			},
			web: func(f *fixture, role user.Role) outcome {
				return f.webPost(f.web[role], "/admin/sources", url.Values{"name": {"loyalty"}, "kind": {"file"},
					"path": {f.file("l.csv", loyaltyCSV)}, "id_column": {"member"}, "match": {"email"}, "priority": {"0"}})
			}},
		{name: "change a source", action: "source.update", allowed: admins, prepare: addSource,
			cli: cliDo("source", "update", "loyalty", "--priority", "4"),
			api: apiDo(http.MethodPatch, "/sources/loyalty", map[string]any{"priority": 4}),
			web: webDoID("/admin/sources/{id}", "loyalty", url.Values{"priority": {"4"}})},
		{name: "test a source", action: "source.test", allowed: admins, prepare: addSource,
			cli: cliDo("source", "test", "loyalty"),
			api: apiDo(http.MethodPost, "/sources/loyalty/test", nil),
			web: webDoID("/admin/sources/{id}/test", "loyalty", url.Values{})},
		{name: "read a source now", action: "source.run", allowed: admins, prepare: addSource,
			cli: cliDo("source", "run", "loyalty"),
			api: apiDo(http.MethodPost, "/sources/loyalty/run", nil),
			web: webDoID("/admin/sources/{id}/run", "loyalty", url.Values{})},
		{name: "remove a source", action: "source.remove", allowed: admins, prepare: addSource,
			cli: cliDo("source", "remove", "loyalty"),
			api: apiDo(http.MethodDelete, "/sources/loyalty", nil),
			web: webDoID("/admin/sources/{id}/remove", "loyalty", url.Values{})},
		{name: "run the system refresh now", action: "system.refresh", allowed: admins,
			cli: cliDo("refresh", "--no-wait"),
			api: apiDo(http.MethodPost, "/system/refresh/now", nil),
			web: webDo("/settings/system/refresh", url.Values{})},
		{name: "release a held refresh", action: "system.release", allowed: admins, prepare: holdRefresh,
			cli: refreshCLI("release"), api: refreshDo("/system/refreshes/%d/release"), web: refreshWeb("/settings/system/refreshes/%d/release")},
		{name: "discard a held refresh", action: "system.discard", allowed: admins, prepare: holdRefresh,
			cli: func(f *fixture, role user.Role) outcome {
				return f.cliRun(role, "", "refresh", "discard", fmt.Sprint(f.ids["refresh"]))
			},
			api: refreshDo("/system/refreshes/%d/discard"), web: refreshWeb("/settings/system/refreshes/%d/discard")},
	}
}
