package web_test

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"segbridge/internal/connection"
	"segbridge/internal/user"
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
		chromedp.WaitVisible(css("#error-summary")),
	)
	require.Contains(t, br.text("#error-summary"), "Schedule")
	require.NotEmpty(t, br.text("#schedule-cron-error"), "the cron's mistake beside it")
	require.Contains(t, br.text("#schedule-tz-error"), `Unknown time zone "Mars/Olympus"`)
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

// TestBrowserConnectionChange: an admin changes a connection's dialect
// and base URL on its page: an unreachable URL is refused and changes
// nothing; the sandbox in the v3 dialect is checked and saved; then the
// admin reads the connection's unsubscribes back with its button.
func TestBrowserConnectionChange(t *testing.T) {
	chromiumPath(t) // skip early without chromium
	b := setup(t, setupOpts{})
	c := b.connection("Shop", connection.AccessAdmins)
	br := newBrowser(t, b)
	br.login(adminEmail)

	br.open("/admin/connections/" + itoa(c.ID))
	br.run("an unreachable base URL",
		chromedp.SetValue(css("#c-base-url"), "http://127.0.0.1:1"),
		chromedp.Click(css("#save-connection")),
		chromedp.WaitVisible(css("#form-error")),
	)
	require.Contains(t, br.text("#form-error"), "Cannot reach Omnisend at http://127.0.0.1:1")
	got, err := b.a.Store.GetConnection(b.ctx, "Shop")
	require.NoError(t, err)
	require.Equal(t, b.sbURL, got.BaseURL, "a failed check changes nothing")
	br.screenshot("connection-unreachable")

	br.open("/admin/connections/" + itoa(c.ID))
	br.run("the v3 dialect",
		chromedp.SetValue(css("#c-dialect"), "v3"),
		chromedp.Click(css("#save-connection")),
		chromedp.WaitVisible(css("#flash")),
	)
	require.Contains(t, br.text("#flash"), `Connection "Shop" saved: changed dialect.`)
	require.Contains(t, br.text("#connection"), "v3")
	got, err = b.a.Store.GetConnection(b.ctx, "Shop")
	require.NoError(t, err)
	require.Equal(t, "v3", string(got.Dialect))
	br.screenshot("connection-v3")

	br.clearFlash()
	br.run("read unsubscribes back", chromedp.Click(css("#sync-unsubscribes")), chromedp.WaitVisible(css("#flash")))
	require.Contains(t, br.text("#flash"), "unsubscribed")
	br.screenshot("connection-synced")
}

// TestBrowserAdminTokens: an admin sees every user's API tokens on the
// tokens page and revokes a contributor's; the contributor sees only
// their own.
func TestBrowserAdminTokens(t *testing.T) {
	chromiumPath(t) // skip early without chromium
	b := setup(t, setupOpts{})
	carl, err := b.a.Users.Get(b.ctx, contributorEmail)
	require.NoError(t, err)
	tok, _, err := b.a.Users.CreateToken(b.ctx, user.Principal{UserID: carl.ID, Email: carl.Email, Role: carl.Role, Via: "session"}, "carl's sync", 0)
	require.NoError(t, err)
	br := newBrowser(t, b)

	br.login(contributorEmail)
	br.open("/tokens")
	require.Contains(t, br.text("#tokens"), "carl's sync")
	require.NotContains(t, br.html(), "all-tokens", "only admins see everyone's tokens")
	br.logout()

	br.login(adminEmail)
	br.open("/tokens")
	require.Contains(t, br.text("#all-tokens"), contributorEmail)
	require.Contains(t, br.text("#all-tokens"), "carl's sync")
	br.screenshot("tokens-all")
	br.run("revoke carl's token",
		chromedp.Evaluate[chromedp.Void](`window.confirm = () => true`),
		chromedp.Click(css("#revoke-any-"+itoa(tok.ID))),
		chromedp.WaitVisible(css("#flash")),
	)
	require.Contains(t, br.text("#flash"), `Token "carl's sync" of `+contributorEmail+" revoked")
	require.NotContains(t, br.html(), "revoke-any-"+itoa(tok.ID))
	left, err := b.a.Users.ListAllTokens(b.ctx)
	require.NoError(t, err)
	require.Empty(t, left)
}
