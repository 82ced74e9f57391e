package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestVerifyAndExplainPages: the verify page shows its cost before it asks
// Omnisend anything, its POST shows the findings and, with repair, marks
// them; explain shows only the exports the user may see.
func TestVerifyAndExplainPages(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "")
	path := fmt.Sprintf("/exports/%d/verify", f.sharedExp.ID)
	before := len(f.sb.Requests())
	page := f.contrib.get(path)
	require.Equal(t, http.StatusOK, page.status, excerpt(page.body))
	contains(t, page.body, "list requests")
	require.Equal(t, before, len(f.sb.Requests()), "the cost is counted from segbridge's state alone")

	gone := f.sb.Contacts("")[0]["email"].(string)
	require.Equal(t, 1, f.sb.DeleteContacts("", gone))
	res := f.contrib.post(path, url.Values{"repair": {"all"}})
	require.Equal(t, http.StatusOK, res.status, excerpt(res.body))
	contains(t, res.body, `id="findings"`)
	contains(t, res.body, gone)
	contains(t, res.body, "Marked 1 contacts for repair")
	state, err := f.a.Store.StateOf(f.ctx, f.sharedExp.ID, []string{gone})
	require.NoError(t, err)
	require.True(t, state[gone].Unsure, "marked for the next run")

	exp := f.contrib.get(fmt.Sprintf("/exports/%d", f.sharedExp.ID)).body
	contains(t, exp, `id="verify"`)
	notContains(t, f.viewr.get(fmt.Sprintf("/exports/%d", f.sharedExp.ID)).body, `id="verify"`)

	ex := f.contrib.get("/explain?email=" + url.QueryEscape(gone))
	require.Equal(t, http.StatusOK, ex.status, excerpt(ex.body))
	contains(t, ex.body, `data-export="Team export"`)
	notContains(t, ex.body, "Secret export", "a contributor never sees an admin-only export")
	contains(t, ex.body, "Omnisend has no contact with this e-mail")
	contains(t, f.admin.get("/explain?email="+url.QueryEscape(gone)).body, `data-export="Secret export"`)
	contains(t, f.contrib.get("/exports").body, `id="explain-search"`)
	run := f.viewr.get(fmt.Sprintf("/runs/%d", f.sharedRun.ID)).body
	contains(t, run, `class="explain-link"`, "run results link to explain")
}
