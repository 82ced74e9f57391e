package web_test

import (
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"segbridge/internal/store"
)

var (
	formRe  = regexp.MustCompile(`(?s)<form[^>]*method="post"[^>]*action="([^"]+)"[^>]*>(.*?)</form>`)
	fieldRe = regexp.MustCompile(`<(?:input|select|textarea)[^>]*name="([^"]+)"`)
)

// fuzzValues are what every field of every form is posted with.
var fuzzValues = map[string]string{
	"empty":      "",
	"overlong":   strings.Repeat("x", 100_000),
	"wrong type": "not a number: -1.5e999",
	"markup":     `<script>alert("x")</script>'"&`,
}

// TestFormsRefuseBadInputPlainly posts every form of every page, as an
// admin, with every field empty, overlong, of the wrong type and full of
// markup: no answer is a server error, and the markup never comes back
// unescaped (issue 14: no invalid input ever answers 500).
func TestFormsRefuseBadInputPlainly(t *testing.T) {
	f := newFixture(t, "")
	some, err := f.a.Store.ListProfiles(f.ctx, store.ListOptions{Limit: 1})
	require.NoError(t, err)
	pages := []string{"/exports", "/exports/new", fmt.Sprintf("/exports/%d", f.sharedExp.ID), fmt.Sprintf("/exports/%d/edit", f.sharedExp.ID),
		fmt.Sprintf("/exports/%d/verify", f.sharedExp.ID), fmt.Sprintf("/runs/%d", f.sharedRun.ID), "/segments", "/segments/new", "/segments/buyers",
		"/profiles", "/profiles/" + some[0].ID, "/admin/connections/new", fmt.Sprintf("/admin/connections/%d", f.shared.ID),
		"/admin/users", "/admin/sources", "/admin/sources/new", "/settings/system", "/settings/notifications", "/tokens", "/account"}
	tried := map[string]bool{}
	posts := 0
	for _, page := range pages {
		res := f.admin.get(page)
		require.Less(t, res.status, 500, page)
		for _, m := range formRe.FindAllStringSubmatch(res.body, -1) {
			action := html.UnescapeString(m[1])
			if action == "/logout" || strings.HasSuffix(action, "/remove") || strings.HasSuffix(action, "/delete") || tried[action] {
				continue // sign-out and removals take no input worth fuzzing
			}
			tried[action] = true
			var names []string
			for _, fm := range fieldRe.FindAllStringSubmatch(m[2], -1) {
				names = append(names, fm[1])
			}
			for kind, v := range fuzzValues {
				form := url.Values{}
				for _, n := range names {
					form.Add(n, v)
				}
				res := f.admin.post(action, form)
				posts++
				require.Less(t, res.status, 500, "%s with %s values (from %s): %s", action, kind, page, excerpt(res.body))
				require.NotContains(t, res.body, `<script>alert("x")</script>`, "%s echoed markup unescaped", action)
			}
		}
	}
	t.Logf("%d forms posted %d times", len(tried), posts)
	require.GreaterOrEqual(t, len(tried), 15, "the pages' forms were found")
}
