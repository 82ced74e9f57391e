package web_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// TestBrowserProfiles: a contributor finds profiles in the browser,
// pages forward and back, searches by e-mail, opens a profile (its
// segments and what each export last confirmed in Omnisend), imports a
// file with the upload's progress shown and sees it in the import
// history, and is told when the session ended before an upload; at 390 px the pages do not scroll sideways and axe-core finds
// no serious or critical violation.
func TestBrowserProfiles(t *testing.T) {
	chromiumPath(t) // skip early without chromium
	axe := axeSource(t)
	f := newFixture(t, "")
	var csv strings.Builder
	csv.WriteString("id,email,city\n")
	for i := range 20000 {
		fmt.Fprintf(&csv, "U%05d,upload%05d@example.com,Kaunas\n", i, i)
	}
	path := filepath.Join(t.TempDir(), "new-customers.csv")
	require.NoError(t, os.WriteFile(path, []byte(csv.String()), 0o600))

	br := newBrowser(t, f.bundle)
	br.login(contributorEmail)
	br.open("/profiles")
	require.Contains(t, br.text("#profile-total"), "60 profiles; showing 25.")
	firstRow := br.text("#profiles tbody tr:first-child td:first-child")
	br.run("next page", chromedp.Click(css("#next-page")))
	br.until("the next page", `location.search.includes("cursor=") && document.readyState === "complete" && !!document.querySelector("#prev-page")`)
	secondRow := br.text("#profiles tbody tr:first-child td:first-child")
	require.Greater(t, secondRow, firstRow)
	br.screenshot("profiles-page-2")
	br.run("previous page", chromedp.Click(css("#prev-page")))
	br.until("the first page again", `document.readyState === "complete" && !document.querySelector("#prev-page") && !!document.querySelector("#next-page")`)
	require.Equal(t, firstRow, br.text("#profiles tbody tr:first-child td:first-child"))

	var member string
	require.NoError(t, f.a.Store.ScanMembers(f.ctx, f.sharedExp.Segments[0], func(id string) error {
		if member == "" {
			member = id
		}
		return nil
	}))
	p, err := f.a.Store.GetProfile(f.ctx, member)
	require.NoError(t, err)
	email := p.Attrs["email"].(string)
	br.run("search by e-mail",
		chromedp.SendKeys(css("#profile-q"), strings.ToUpper(email[:len(email)-3])),
		chromedp.Click(css("#search")),
	)
	br.until("the search's page", `location.search.includes("q=") && document.readyState === "complete" && !!document.querySelector('a[href="/profiles/`+member+`"]')`)
	require.Contains(t, br.text("#profile-total"), "by e-mails")
	br.screenshot("profiles-search")
	br.run("open the profile", chromedp.Click(css(`a[href="/profiles/`+member+`"]`)), chromedp.WaitVisible(css("#omnisend-state")))
	require.Contains(t, br.text("#segments"), "Buyers")
	state := br.text("#omnisend-state")
	require.Contains(t, state, "Team export")
	require.Contains(t, state, "segbridge: buyers")
	require.Contains(t, state, "UTC")
	br.screenshot("profile-omnisend")

	br.open("/profiles")
	br.run("choose the file", chromedp.SetUploadFiles(css("#import-file"), []string{path}))
	br.run("import", chromedp.Click(css("#import")), chromedp.WaitVisible(css("#import-result")))
	require.Contains(t, br.text("#import-result"), "Imported 20000, updated 0, unchanged 0, rejected 0 (of 20000 rows).")
	events, err := chromedp.Run(br.step(), chromedp.Evaluate[[]string](`[document.body.dataset.uploadProgress || "", document.body.dataset.uploadEvents || ""]`))
	require.NoError(t, err)
	require.Equal(t, "100", events[0], "the upload's progress reached 100%%")
	t.Logf("upload progress events: %s", events[1])
	require.Contains(t, br.text("#import-history"), "new-customers.csv")
	require.Contains(t, br.text("#import-history"), contributorEmail)
	require.Contains(t, br.text("#profile-total"), "20,060 profiles")
	br.screenshot("profiles-imported")

	// A session that ended while the page was open: the upload says so.
	br.open("/profiles")
	br.run("choose the file again", chromedp.SetUploadFiles(css("#import-file"), []string{path}))
	_, err = chromedp.Call(br.step(), network.ClearBrowserCookies, cdp.Empty{}) // the session ends
	require.NoError(t, err)
	br.run("import signed out", chromedp.Click(css("#import")), chromedp.WaitVisible(css("#import-progress-text.bad")))
	require.Contains(t, br.text("#import-progress-text"), "Your session has expired")
	br.screenshot("profiles-import-signed-out")
	br.login(contributorEmail)

	for _, vp := range viewports {
		br.run("viewport "+vp.name, chromedp.EmulateViewport(vp.width, vp.height))
		for _, page := range []string{"/profiles", "/profiles?by=value&q=Kaunas", "/profiles/" + member} {
			br.open(page)
			br.audit(axe, page, vp)
			if vp.width < 600 {
				br.screenshot("profiles-" + vp.name + "-" + pageName(page))
			}
		}
	}
}

// until waits for a JavaScript condition to hold on the page.
func (br *browser) until(what, cond string) {
	br.t.Helper()
	var err error
	for range 20 {
		// A navigation under way destroys the page's JavaScript context:
		// poll again in the new page.
		_, err = chromedp.Run(br.step(), chromedp.Poll[bool](cond))
		if err == nil || !(strings.Contains(err.Error(), "context with specified id") || strings.Contains(err.Error(), "navigated or closed")) {
			break
		}
	}
	if err != nil {
		br.failed(what)
	}
	require.NoError(br.t, err, "wait for %s", what)
}
