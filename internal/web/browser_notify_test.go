package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"segbridge/internal/connection"
	"segbridge/internal/notify"
)

// TestBrowserNotifications walks Settings → Notifications in headless
// Chromium: an admin adds a webhook channel and tests it, adds a channel
// whose receiver fails and watches it turn failing, adds a rule; a held
// run's notification arrives, shows in the delivery history, and its link
// opens the run; a viewer sees the channels and their status, no forms.
func TestBrowserNotifications(t *testing.T) {
	chromiumPath(t) // skip early without chromium
	b := setup(t, setupOpts{profiles: 30})
	seg := b.segment("Buyers", `p.orders >= 1`)
	e := b.export("Buyers to Acme", b.connection("Acme", connection.AccessAdmins), seg)
	good, broken := newHookReceiver(t, http.StatusOK), newHookReceiver(t, http.StatusInternalServerError)
	br := newBrowser(t, b)
	br.login(adminEmail)
	br.open("/settings/notifications")
	require.Contains(t, br.text("h1"), "Notifications")
	br.screenshot("notifications-empty")

	addChannel := func(name, target string) {
		br.clearFlash()
		br.run("add channel "+name,
			chromedp.SendKeys(css("#channel-name"), name),
			chromedp.SetValue(css("#channel-kind"), "webhook"),
			chromedp.SendKeys(css("#channel-url"), target),
			chromedp.SendKeys(css("#channel-secret"), webHookSecret),
			chromedp.Click(css("#save-channel")),
			chromedp.WaitVisible(css("#flash")),
		)
		require.Contains(t, br.text("#flash"), fmt.Sprintf("Channel %q saved", name))
	}
	addChannel("Ops hook", good.srv.URL+"/segbridge")
	br.clearFlash()
	br.run("test it", chromedp.Click(css(`tr[data-channel="Ops hook"] .test-channel`)), chromedp.WaitVisible(css("#flash")))
	require.Contains(t, br.text("#flash"), `Test notification delivered to "Ops hook" (answer 200`)
	require.Equal(t, "ok", br.text(`tr[data-channel="Ops hook"] .status`))
	require.Len(t, good.got(), 1)

	addChannel("Broken hook", broken.srv.URL+"/segbridge")
	for i := 1; i <= 3; i++ {
		br.clearFlash()
		br.run(fmt.Sprintf("test the broken one (%d)", i),
			chromedp.Click(css(`tr[data-channel="Broken hook"] .test-channel`)), chromedp.WaitVisible(css("#flash")))
		require.Contains(t, br.text("#flash"), `Test of "Broken hook" failed`)
	}
	require.Equal(t, "failing", br.text(`tr[data-channel="Broken hook"] .status`), "three failures in a row")
	require.Contains(t, br.text(`tr[data-channel="Broken hook"] .channel-error`), "answered HTTP 500")
	br.screenshot("notifications-failing-channel")

	br.clearFlash()
	br.run("add a rule",
		chromedp.SetValue(css("#rule-kind"), string(notify.RuleMembersChanged)),
		chromedp.SendKeys(css("#rule-percent"), "30"),
		chromedp.Click(css("#save-rule")),
		chromedp.WaitVisible(css("#flash")),
	)
	require.Contains(t, br.text("#flash"), `Rule "members changed" added`)
	require.Contains(t, br.text("#rules"), "by more than 30 %")

	r := b.heldRun(e.ID)
	got := good.got()
	require.Len(t, got, 2, "the test, then the held run's alert")
	var n notify.Notification
	require.NoError(t, json.Unmarshal(got[1], &n))
	require.Equal(t, r.ID, n.Run.ID)
	br.open("/settings/notifications")
	require.Contains(t, br.text("#deliveries"), "run held")
	br.screenshot("notifications-history")
	link, err := url.Parse(n.URL)
	require.NoError(t, err)
	br.open(link.Path) // the server here is not at the default public URL
	require.Equal(t, "held", br.text("#run-status"))
	br.screenshot("notification-link-held-run")
	br.logout()

	br.login(viewerEmail)
	br.open("/settings/notifications")
	page := br.html()
	require.Contains(t, page, "Ops hook")
	require.NotContains(t, page, `id="add-channel"`)
	require.NotContains(t, page, `id="deliveries"`)
	require.NotContains(t, page, webHookSecret)
	br.screenshot("notifications-viewer")
}

// clearFlash removes the banner of the previous form, so that waiting for
// #flash waits for the next page.
func (br *browser) clearFlash() {
	br.t.Helper()
	_, err := chromedp.Run(br.step(), chromedp.Evaluate[bool](`(() => { const f = document.getElementById("flash"); if (f) f.remove(); return true })()`))
	require.NoError(br.t, err, "clear the flash")
}
