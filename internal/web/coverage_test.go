package web_test

import (
	"encoding/json"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"segbridge/internal/store"
)

// formForOperation is, for each state-changing operation of the API (by
// its operationId in internal/api/testdata/openapi.golden.json), the
// action of the web form that does the same; "{}" stands for an id in the
// path. An operation done by two forms lists both.
//
// A new state-changing API operation needs a row here (and its form), or
// an entry in noFormNeeded with the reason.
var formForOperation = map[string][]string{
	"login":  {"/login"},
	"logout": {"/logout"},

	"create-connection": {"/admin/connections"},
	"update-connection": {"/admin/connections/{}"},
	"check-connection":  {"/admin/connections/{}/check"},
	"sync-unsubscribes": {"/admin/connections/{}/sync-unsubscribes"},
	"delete-connection": {"/admin/connections/{}/remove"},

	"create-export": {"/exports"},
	"update-export": {"/exports/{}/edit"},
	"delete-export": {"/exports/{}/remove"},
	"start-run":     {"/exports/{}/run"},
	"cancel-run":    {"/exports/{}/cancel"},
	"verify-export": {"/exports/{}/verify"},
	"approve-run":   {"/runs/{}/approve"},
	"discard-run":   {"/runs/{}/discard"},
	"retry-run":     {"/runs/{}/retry"},

	"create-segment":  {"/segments"},
	"preview-segment": {"/segments"}, // the form's Preview button (action=preview); the change form previews too
	"update-segment":  {"/segments/{}"},
	"delete-segment":  {"/segments/{}/delete"},
	"refresh-segment": {"/segments/{}/refresh"},

	"import-profiles": {"/profiles/import"},

	"create-source": {"/admin/sources"},
	"update-source": {"/admin/sources/{}"},
	"test-source":   {"/admin/sources/{}/test"},
	"run-source":    {"/admin/sources/{}/run"},
	"delete-source": {"/admin/sources/{}/remove"},

	"refresh-now":        {"/settings/system/refresh"},
	"set-system-refresh": {"/settings/system/schedule"},
	"run-system-refresh": {"/settings/system/refresh"}, // queued or awaited, the page's Refresh now
	"release-refresh":    {"/settings/system/refreshes/{}/release"},
	"discard-refresh":    {"/settings/system/refreshes/{}/discard"},

	"create-notification-channel": {"/settings/notifications/channels"},
	"test-notification-channel":   {"/settings/notifications/channels/{}/test"},
	"delete-notification-channel": {"/settings/notifications/channels/{}/remove"},
	"create-notification-rule":    {"/settings/notifications/rules"},
	"delete-notification-rule":    {"/settings/notifications/rules/{}/remove"},

	"create-token": {"/tokens"},
	"revoke-token": {"/tokens/{}/revoke"},

	"create-user": {"/admin/users"},
	"update-user": {"/admin/users/{}/role", "/admin/users/{}/password"},
	"delete-user": {"/admin/users/{}/remove"},
}

// noFormNeeded are the state-changing API operations the web UI does
// without a form of their own, with the reason.
var noFormNeeded = map[string]string{
	"plan-export": "a dry run that changes nothing: the web UI's plan page (GET /exports/{id}/plan) computes it on opening",
}

// stateChangingOperations are the operationIds of the OpenAPI golden's
// POST, PUT, PATCH and DELETE operations.
func stateChangingOperations(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "api", "testdata", "openapi.golden.json"))
	require.NoError(t, err)
	var doc struct {
		Paths map[string]map[string]struct {
			OperationID string `json:"operationId"`
		} `json:"paths"`
	}
	require.NoError(t, json.Unmarshal(data, &doc))
	var ops []string
	for path, methods := range doc.Paths {
		for method, op := range methods {
			switch strings.ToUpper(method) {
			case "POST", "PUT", "PATCH", "DELETE":
				require.NotEmpty(t, op.OperationID, "%s %s has an operationId", method, path)
				ops = append(ops, op.OperationID)
			}
		}
	}
	sort.Strings(ops)
	return ops
}

var (
	templateFormRe = regexp.MustCompile(`<form[^>]*method="post"[^>]*action="([^"]+)"`)
	templateVarRe  = regexp.MustCompile(`\{\{[^}]*\}\}`)
	pathNumberRe   = regexp.MustCompile(`/\d+(/|$)`)
)

// webFormActions are the actions of the web UI's POST forms, ids as "{}":
// those of every page crawled as an admin, and those of the templates
// (forms shown only in some states: a held run, a held refresh).
func webFormActions(t *testing.T, f *fixture) map[string]bool {
	t.Helper()
	actions := map[string]bool{}
	norm := func(a string) string {
		a, _, _ = strings.Cut(a, "?")
		a = templateVarRe.ReplaceAllString(a, "{}")
		for pathNumberRe.MatchString(a) {
			a = pathNumberRe.ReplaceAllString(a, "/{}$1")
		}
		return strings.ReplaceAll(a, "/buyers", "/{}") // the fixture's segment, by slug
	}
	for _, page := range adminPages(t, f) {
		res := f.admin.get(page)
		require.Less(t, res.status, 400, page)
		for _, m := range formRe.FindAllStringSubmatch(res.body, -1) {
			actions[norm(html.UnescapeString(m[1]))] = true
		}
	}
	files, err := filepath.Glob(filepath.Join("templates", "*.html"))
	require.NoError(t, err)
	for _, file := range files {
		data, err := os.ReadFile(file)
		require.NoError(t, err)
		for _, m := range templateFormRe.FindAllStringSubmatch(string(data), -1) {
			actions[norm(m[1])] = true
		}
	}
	return actions
}

// TestEveryOperationHasAForm (issue 14, acceptance 4): every
// state-changing operation of the API has a form in the web UI, or is
// listed in noFormNeeded with the reason.
func TestEveryOperationHasAForm(t *testing.T) {
	f := newFixture(t, "")
	ops := stateChangingOperations(t)
	actions := webFormActions(t, f)
	var missing []string
	for _, op := range ops {
		want, mapped := formForOperation[op]
		_, excused := noFormNeeded[op]
		switch {
		case mapped && excused:
			t.Errorf("%s is both mapped to a form and excused: drop its noFormNeeded entry", op)
		case excused:
			t.Logf("%s: no form: %s", op, noFormNeeded[op])
		case !mapped:
			missing = append(missing, op)
		default:
			for _, a := range want {
				if !actions[a] {
					t.Errorf("%s: no web form posts to %s", op, a)
				}
			}
		}
	}
	require.Empty(t, missing, "state-changing API operations without a web form: add the form and its row to formForOperation, "+
		"or say in noFormNeeded why none is needed (forms found: %s)", strings.Join(sortedKeys(actions), " "))
	for op := range formForOperation {
		require.True(t, slices.Contains(ops, op), "formForOperation lists %s, which the API no longer has", op)
	}
	for op := range noFormNeeded {
		require.True(t, slices.Contains(ops, op), "noFormNeeded lists %s, which the API no longer has", op)
	}
	t.Logf("%d state-changing operations: %d with a form, %d without (listed with the reason)", len(ops), len(ops)-len(noFormNeeded), len(noFormNeeded))
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// someProfileID is the id of one of the fixture's profiles.
func (f *fixture) someProfileID(t *testing.T) string {
	t.Helper()
	some, err := f.a.Store.ListProfiles(f.ctx, store.ListOptions{Limit: 1})
	require.NoError(t, err)
	require.NotEmpty(t, some)
	return some[0].ID
}

// adminPages are the pages an admin crawls for forms (the fuzzing and the
// form coverage tests).
func adminPages(t *testing.T, f *fixture) []string {
	t.Helper()
	some := f.someProfileID(t)
	return []string{"/exports", "/exports/new", fmt.Sprintf("/exports/%d", f.sharedExp.ID), fmt.Sprintf("/exports/%d/edit", f.sharedExp.ID),
		fmt.Sprintf("/exports/%d/verify", f.sharedExp.ID), fmt.Sprintf("/runs/%d", f.sharedRun.ID), "/segments", "/segments/new", "/segments/buyers",
		"/profiles", "/profiles/" + some, "/admin/connections", "/admin/connections/new", fmt.Sprintf("/admin/connections/%d", f.shared.ID),
		"/admin/users", "/admin/sources", "/admin/sources/new", "/settings/system", "/settings/notifications", "/tokens", "/account"}
}
