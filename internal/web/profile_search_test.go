package web_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"segbridge/internal/store"
)

var (
	linkOf = func(body, id string) string {
		m := regexp.MustCompile(`<a href="([^"]+)" id="` + id + `"`).FindStringSubmatch(body)
		if m == nil {
			return ""
		}
		return html.UnescapeString(m[1])
	}
	rowIDsRe = regexp.MustCompile(`<td class="mono"><a href="/profiles/([^"]+)">`)
)

func rowIDs(body string) []string {
	var out []string
	for _, m := range rowIDsRe.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

// TestProfileSearchPage: the Profiles page lists profiles 25 a page with
// the total, pages forward and back, searches by id, e-mail and value,
// refuses a bad search plainly; a profile's page shows its segments and
// what each export last confirmed; imports show in the history.
func TestProfileSearchPage(t *testing.T) {
	onEachEngine(t, func(t *testing.T, dbURL string) {
		f := newFixture(t, dbURL)
		viewer := f.viewr

		res := viewer.get("/profiles")
		require.Equal(t, http.StatusOK, res.status)
		contains(t, res.body, "60 profiles; showing 25.")
		first := rowIDs(res.body)
		require.Len(t, first, 25)
		require.Empty(t, linkOf(res.body, "prev-page"))
		next := linkOf(res.body, "next-page")
		require.NotEmpty(t, next)
		res = viewer.get(next)
		require.Equal(t, http.StatusOK, res.status, excerpt(res.body))
		second := rowIDs(res.body)
		require.Len(t, second, 25)
		require.Greater(t, second[0], first[24])
		third := viewer.get(linkOf(res.body, "next-page"))
		require.Len(t, rowIDs(third.body), 10)
		require.Empty(t, linkOf(third.body, "next-page"), "the last page")
		back := viewer.get(linkOf(res.body, "prev-page"))
		require.Equal(t, first, rowIDs(back.body))

		p, err := f.a.Store.GetProfile(f.ctx, first[3])
		require.NoError(t, err)
		email := p.Attrs["email"].(string)
		res = viewer.get("/profiles?q=" + url.QueryEscape(strings.ToUpper(email)))
		contains(t, res.body, "1 profile matches by e-mails")
		require.Equal(t, []string{p.ID}, rowIDs(res.body))
		res = viewer.get("/profiles?by=id&q=" + url.QueryEscape(p.ID))
		require.Equal(t, []string{p.ID}, rowIDs(res.body))
		city := p.Attrs["city"].(string)
		res = viewer.get("/profiles?by=value&q=" + url.QueryEscape(city))
		contains(t, res.body, "by attribute values")
		require.Contains(t, rowIDs(res.body), p.ID)
		res = viewer.get("/profiles?q=no-such-thing")
		contains(t, res.body, "No profile matches.")

		res = viewer.get("/profiles?by=name&cursor=zz&q=" + strings.Repeat("x", 300))
		require.Equal(t, http.StatusBadRequest, res.status)
		contains(t, res.body, "Search in: choose id, email or value; Search: the search is at most 256 characters of text; Page: not a page of this list")
		res = viewer.get("/profiles?q=%3Cscript%3Ealert(1)%3C/script%3E&by=value")
		require.Equal(t, http.StatusOK, res.status)
		notContains(t, res.body, "<script>alert", "the search is not echoed as markup")

		// A member of Buyers, which both exports sent.
		var member string
		require.NoError(t, f.a.Store.ScanMembers(f.ctx, f.privExp.Segments[0], func(id string) error {
			if member == "" {
				member = id
			}
			return nil
		}))
		require.NotEmpty(t, member)
		res = f.admin.get("/profiles/" + url.PathEscape(member))
		require.Equal(t, http.StatusOK, res.status)
		require.Regexp(t, `<a href="/segments/buyers">Buyers</a>`, res.body)
		require.Regexp(t, `id="omnisend-state"`, res.body)
		contains(t, res.body, "Secret export")
		contains(t, res.body, "Team export")
		require.Regexp(t, `segbridge: buyers`, res.body)
		require.Regexp(t, `\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC`, res.body)
		res = viewer.get("/profiles/" + url.PathEscape(member))
		contains(t, res.body, "Team export")
		notContains(t, res.body, "Secret export", "a viewer does not see exports on admin-only connections")
		res = viewer.get("/profiles/no-such-profile")
		require.Equal(t, http.StatusNotFound, res.status)
		contains(t, res.body, `No profile with id`)

		res = f.contrib.upload("/profiles/import", [][2]string{{"id", "id"}}, "more.csv", "id,email\nN1,n1@example.com\nN2\n")
		require.Equal(t, http.StatusOK, res.status, excerpt(res.body))
		res = viewer.get("/profiles")
		require.Regexp(t, `<td>`+regexp.QuoteMeta(contributorEmail)+`</td><td class="mono">more.csv</td><td>1</td><td>0</td><td>0</td><td>1</td>\s*<td>done</td>`, res.body)
		contains(t, res.body, "61 profiles")
		ims, err := f.a.Store.ListProfileImports(f.ctx, 0, 5)
		require.NoError(t, err)
		require.Len(t, ims, 1)
		require.Equal(t, store.ImportDone, ims[0].Status)
	})
}
