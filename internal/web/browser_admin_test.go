package web_test

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// TestBrowserSchedule: an admin changes the system refresh's schedule on
// the System page: a bad expression and time zone are refused, both
// named, with what was typed kept; a good one is stored and shown.
func TestBrowserSchedule(t *testing.T) {
	chromiumPath(t) // skip early without chromium
	b := setup(t, setupOpts{})
	br := newBrowser(t, b)
	br.login(adminEmail)

	br.open("/settings/system")
	require.Contains(t, br.text("#system"), "the configured default")
	br.run("a bad schedule",
		chromedp.SetValue(css("#schedule-cron"), "every night"),
		chromedp.SetValue(css("#schedule-tz"), "Mars/Olympus"),
		chromedp.Click(css("#save-schedule")),
		chromedp.WaitVisible(css("#form-error")),
	)
	msg := br.text("#form-error")
	require.Contains(t, msg, "Schedule")
	require.Contains(t, msg, `unknown time zone "Mars/Olympus"`)
	require.Equal(t, "every night", br.value("#schedule-cron"), "what was typed is kept")
	br.screenshot("schedule-refused")

	br.run("a good schedule",
		chromedp.SetValue(css("#schedule-cron"), "0 3 * * *"),
		chromedp.SetValue(css("#schedule-tz"), "Europe/Prague"),
		chromedp.Click(css("#save-schedule")),
		chromedp.WaitVisible(css("#flash")),
	)
	require.Contains(t, br.text("#flash"), "Refresh schedule saved: 0 3 * * * (Europe/Prague)")
	require.Contains(t, br.text("#schedule"), "0 3 * * * (Europe/Prague)")
	require.Contains(t, br.text("#system"), "set by "+adminEmail)
	rs, err := b.a.Store.GetRefreshSchedule(b.ctx)
	require.NoError(t, err)
	require.Equal(t, "0 3 * * *", rs.Cron)
	br.screenshot("schedule-saved")

	br.logout()
	br.login(viewerEmail)
	br.open("/settings/system")
	require.Contains(t, br.text("#schedule"), "0 3 * * * (Europe/Prague)")
	require.NotContains(t, br.html(), "save-schedule", "only admins see the form")
}
