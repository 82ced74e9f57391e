package web_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"segbridge/internal/connection"
)

// TestBrowserFieldErrors: the export form saved with several bad fields
// at once comes back, at 1366 and at 390 px, with each message right
// below its own field, the fields marked invalid, a summary at the top
// whose links lead to the fields, the values typed kept, and no serious or
// critical axe-core violation in that error state. A saved export's flash
// shows quotes as quotes.
func TestBrowserFieldErrors(t *testing.T) {
	chromiumPath(t)
	axe := axeSource(t)
	b := setup(t, setupOpts{profiles: 20})
	seg := b.segment("Buyers", `p.orders >= 1`)
	c := b.connection("Acme", connection.AccessContributors)
	br := newBrowser(t, b)
	br.login(adminEmail)
	for _, vp := range viewports {
		br.run("viewport "+vp.name, chromedp.EmulateViewport(vp.width, vp.height))
		br.open("/exports/new")
		br.run("fill the export with bad values",
			chromedp.WaitVisible(css("#export-form")),
			// The browser's own checks (required, min, max) would stop the
			// form first; the server's are what is tested here.
			chromedp.Evaluate[chromedp.Void](`document.getElementById("export-form").noValidate = true`),
			chromedp.SetValue(css("#connection"), strconv.FormatInt(c.ID, 10)),
			chromedp.Click(css(fmt.Sprintf(`input[name=segment][value="%d"]`, seg.ID))),
			chromedp.Click(css("#export-form details summary")),
			chromedp.Click(css(`input[name=schedule][value=cron]`)),
			chromedp.SendKeys(css("#cron"), "0 6 * * *"),
			chromedp.SendKeys(css("#time_zone"), "/Olympus"), // after the default Europe/Prague
			chromedp.SetValue(css("#cap"), "1.5"),            // a number, not a whole one
			chromedp.SetValue(css("#brake_drop_percent"), "150"),
			chromedp.Click(css("#save")),
			chromedp.WaitVisible(css("#error-summary")),
		)
		want := map[string]string{
			"name":               "Required",
			"cap":                "Want a whole number",
			"time_zone":          "Unknown time zone",
			"brake_drop_percent": "150: want a percentage from 0 to 100",
		}
		for id, msg := range want {
			require.Contains(t, br.text("#"+id+"-error"), msg, vp.name)
			// The field is marked invalid and names its message, which sits
			// right below it (its own label line at most in between), not
			// somewhere else on the page.
			got, err := chromedp.Run(br.step(), chromedp.Evaluate[[]string](fmt.Sprintf(`(() => {
				const f = document.getElementById(%q), e = document.getElementById(%q);
				const fr = f.getBoundingClientRect(), er = e.getBoundingClientRect();
				const below = er.top >= fr.bottom - 1 && er.top - fr.bottom < 90 && er.height > 0;
				return [f.getAttribute("aria-invalid"), f.getAttribute("aria-describedby"), String(below)];
			})()`, id, id+"-error")))
			require.NoError(t, err)
			require.Equal(t, []string{"true", id + "-error", "true"}, got, "%s at %s: aria-invalid, aria-describedby, its message right below it", id, vp.name)
		}
		summary := br.text("#error-summary")
		require.Contains(t, summary, "4 fields need a change")
		require.Contains(t, summary, "Profile cap: want a whole number")
		require.Equal(t, "1.5", br.value("#cap"), "the values typed are kept")
		require.Equal(t, "150", br.value("#brake_drop_percent"))
		br.run("follow the summary's link to its field", chromedp.Click(css(`#error-summary a[href="#cap"]`)))
		hash, err := chromedp.Run(br.step(), chromedp.Evaluate[string](`location.hash`))
		require.NoError(t, err)
		require.Equal(t, "#cap", hash)
		br.audit(axe, "/exports (field errors)", vp)
		br.screenshot("export-field-errors-" + vp.name)
	}

	// Fixed, saved: the flash names the export with its quotes.
	br.run("fix and save",
		chromedp.SetValue(css("#name"), `The "best" buyers`),
		chromedp.SetValue(css("#cap"), "5000"),
		chromedp.SetValue(css("#time_zone"), "Europe/Prague"),
		chromedp.SetValue(css("#brake_drop_percent"), "50"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("export-form").noValidate = true`),
		chromedp.Click(css("#save")),
		chromedp.WaitVisible(css("#flash")),
	)
	flash := br.text("#flash")
	require.Contains(t, flash, `"best"`)
	require.False(t, strings.Contains(flash, "&#34;") || strings.Contains(flash, "&quot;"), flash)
}

// TestBrowserSyncUnsubscribes: an admin reads a connection's unsubscribes
// back from its page, and the page says what was read.
func TestBrowserSyncUnsubscribes(t *testing.T) {
	chromiumPath(t)
	b := setup(t, setupOpts{profiles: 5})
	c := b.connection("Acme", connection.AccessAdmins)
	br := newBrowser(t, b)
	br.login(adminEmail)
	br.open(fmt.Sprintf("/admin/connections/%d", c.ID))
	br.run("read unsubscribes back", chromedp.Click(css("#sync-unsubscribes")), chromedp.WaitVisible(css("#flash")))
	require.Contains(t, br.text("#flash"), "Read every unsubscribed contact")
	require.Contains(t, br.text("#flash"), "unsubscribed, in ")
	br.screenshot("connection-unsubscribes-read")
}
