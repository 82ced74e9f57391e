package web_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"segbridge/internal/connection"
	"segbridge/internal/export"
	"segbridge/internal/jobs"
	"segbridge/internal/profile"
	"segbridge/internal/run"
	"segbridge/internal/store"
)

// moveOut takes n members of the "Buyers" segment (orders >= 1) out of it
// and returns their e-mails.
func (b *bundle) moveOut(n int) []string {
	b.t.Helper()
	page, err := b.a.Store.ListProfiles(b.ctx, store.ListOptions{Limit: 1000})
	require.NoError(b.t, err)
	var batch []profile.Profile
	var emails []string
	for _, p := range page {
		orders, _ := p.Attrs["orders"].(int64)
		email, _ := p.Attrs["email"].(string)
		if orders < 1 || email == "" || len(batch) == n {
			continue
		}
		p.Attrs["orders"] = int64(0)
		batch = append(batch, p)
		emails = append(emails, email)
	}
	_, err = b.a.Store.UpsertProfiles(b.ctx, batch, time.Now())
	require.NoError(b.t, err)
	return emails
}

// runToEnd runs export e in this process until it ends or is held.
func (b *bundle) runToEnd(e export.Export) run.Run {
	b.t.Helper()
	r, err := b.a.Store.CreateRun(b.ctx, e.ID, run.TriggerManual, time.Now())
	require.NoError(b.t, err)
	r, err = b.a.Runs.Execute(b.ctx, r.ID)
	require.NoError(b.t, err)
	return r
}

// awaitStatus waits until the page's #run-status reads want.
func (br *browser) awaitStatus(want string) {
	br.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	status := ""
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(br.ctx, 5*time.Second)
		status, _ = chromedp.Run(ctx, chromedp.Text(css("#run-status")))
		cancel()
		if status == want {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	br.failed("await status " + want)
	require.Equal(br.t, want, status)
}

// TestBrowserHeldRun: a run the removal brake held shows why and offers
// Approve and Discard to whoever may run the export (not to a viewer);
// Approve sends the untags (the run page follows the run to succeeded),
// Discard ends a second held run with the contacts still tagged.
func TestBrowserHeldRun(t *testing.T) {
	chromiumPath(t)
	b := setup(t, setupOpts{profiles: 300})
	seg := b.segment("Buyers", `p.orders >= 1`)
	e := b.export("Braked", b.connection("Team brand", connection.AccessContributors), seg)
	e.Brake = export.Brake{UntagPercent: 0, UntagMin: 2, SkipPercent: 50, DropPercent: 50}
	e, err := b.a.Store.UpdateExport(b.ctx, e)
	require.NoError(t, err)
	require.NoError(t, b.a.Jobs.Start(b.ctx, jobs.StartOptions{}))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = b.a.Jobs.Stop(ctx)
	})
	require.Equal(t, run.StatusSucceeded, b.runToEnd(e).Status)
	left := b.moveOut(5)
	held := b.runToEnd(e)
	require.Equal(t, run.StatusHeld, held.Status, held.Message)
	tagged := func(email string) bool {
		for _, c := range b.sb.Contacts("") {
			if c["email"] == email {
				return slices.Contains(tagsOf(c), "segbridge: buyers")
			}
		}
		return false
	}
	require.True(t, tagged(left[0]), "held: still tagged")

	br := newBrowser(t, b)
	br.login(viewerEmail)
	br.open(fmt.Sprintf("/runs/%d", held.ID))
	require.Equal(t, "held", br.text("#run-status"))
	require.NotContains(t, br.html(), `id="approve"`, "a viewer may not approve")
	br.logout()

	br.login(contributorEmail)
	br.open(fmt.Sprintf("/runs/%d", held.ID))
	require.Equal(t, "held", br.text("#run-status"))
	require.Contains(t, br.text("#run-message"), "would untag 5 of")
	require.Contains(t, br.text("#held"), "5 untags wait")
	br.screenshot("run-held")
	br.run("approve", chromedp.Click(css("#approve")), chromedp.WaitVisible(css("#flash")))
	require.Contains(t, br.text("#flash"), fmt.Sprintf("Approved: run %d sends its held untags now", held.ID))
	br.awaitStatus("succeeded")
	br.open(fmt.Sprintf("/runs/%d", held.ID))
	require.Contains(t, br.text("#hold-decision"), "approved by "+contributorEmail)
	require.Equal(t, "5", br.text("#c-untagged"))
	br.screenshot("run-approved")
	require.Eventually(t, func() bool { return !tagged(left[0]) }, 10*time.Second, 20*time.Millisecond, "approved: untagged")

	// A second hold, discarded.
	kept := b.moveOut(3)
	second := b.runToEnd(e)
	require.Equal(t, run.StatusHeld, second.Status, second.Message)
	br.open("/exports")
	br.run("review from the exports list", chromedp.Click(css(`a[href="/runs/`+fmt.Sprint(second.ID)+`"].button`)), chromedp.WaitVisible(css("#held")))
	br.run("discard", chromedp.Click(css("#discard")), chromedp.WaitVisible(css("#flash")))
	require.Contains(t, br.text("#flash"), "3 untags discarded by "+contributorEmail)
	require.Equal(t, "succeeded", br.text("#run-status"))
	br.screenshot("run-discarded")
	require.True(t, tagged(kept[0]), "discarded: still tagged")
}

// tagsOf returns a sandbox contact's tags.
func tagsOf(c map[string]any) []string {
	var tags []string
	switch v := c["tags"].(type) {
	case []string:
		tags = v
	case []any:
		for _, t := range v {
			tags = append(tags, fmt.Sprint(t))
		}
	}
	return tags
}
