package web_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// TestBrowserSources: an admin adds a file source in the browser, tests
// it, reads it now (its profiles arrive), runs the system refresh from the
// System page and sees its steps; the file then comes back empty, the
// refresh is held with a message, and the admin discards it.
func TestBrowserSources(t *testing.T) {
	chromiumPath(t) // skip early without chromium
	b := setup(t, setupOpts{})
	dir := t.TempDir()
	path := filepath.Join(dir, "loyalty.csv")
	require.NoError(t, os.WriteFile(path, []byte("member,Email,tier\nM1,ANN@example.com,gold\nM2,bob@example.com,silver\n"), 0o600))
	br := newBrowser(t, b)
	br.login(adminEmail)

	br.open("/admin/sources")
	br.run("add source", chromedp.Click(css("#add-source")), chromedp.WaitVisible(css("#source-form")))
	br.run("fill the source",
		chromedp.SendKeys(css("#name"), "Loyalty"),
		chromedp.SendKeys(css("#path"), path),
		chromedp.SendKeys(css("#id_column"), "member"),
		chromedp.SendKeys(css("#email_column"), "Email"),
		chromedp.Click(css("#save")),
		chromedp.WaitVisible(css("#source")),
	)
	require.Contains(t, br.text("#flash"), `Source "Loyalty" saved`)
	br.run("test it", chromedp.Click(css("#test")), chromedp.WaitVisible(css("#test-result")))
	require.Contains(t, br.text("#test-result"), "2 rows read")
	br.screenshot("source-tested")
	br.run("read it now", chromedp.Click(css("#run")), chromedp.WaitVisible(css("#flash")))
	require.Contains(t, br.text("#flash"), "2 rows read (2 new")
	require.Contains(t, br.text("#flash"), "Profiles: 2 new")
	n, err := b.a.Store.CountProfiles(b.ctx)
	require.NoError(t, err)
	require.Equal(t, 2, n)

	br.open("/profiles/ann@example.com")
	require.Contains(t, br.text("#attributes"), "source Loyalty")
	require.Contains(t, br.text("#attributes"), "gold")
	br.screenshot("profile-origins")

	br.open("/settings/system")
	br.run("refresh now", chromedp.Click(css("#refresh-now")), chromedp.WaitVisible(css("#flash")))
	require.Contains(t, br.text("#flash"), "succeeded")
	require.Contains(t, br.text("#refreshes"), "source Loyalty")
	require.Contains(t, br.text("#refreshes"), "unchanged 2")
	br.screenshot("system-refreshed")

	require.NoError(t, os.WriteFile(path, []byte("member,Email,tier\n"), 0o600))
	br.run("refresh an empty file", chromedp.Click(css("#refresh-now")), chromedp.WaitVisible(css(`button[id^="discard-"]`)))
	require.Contains(t, br.text("#flash"), `source "Loyalty" returned no rows: nothing was removed`)
	br.screenshot("system-held")
	hist, err := b.a.Store.ListRefreshes(b.ctx, 1)
	require.NoError(t, err)
	id := hist[0].ID
	br.run("discard", chromedp.Click(css("#discard-"+itoa(id))), chromedp.WaitNotPresent(css("#discard-"+itoa(id))))
	require.Contains(t, br.text("#flash"), "discarded")
	n, err = b.a.Store.CountProfiles(b.ctx)
	require.NoError(t, err)
	require.Equal(t, 2, n, "nothing removed")
	require.False(t, strings.Contains(br.html(), "release-"+itoa(id)))
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
