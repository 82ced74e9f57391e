package web_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"segbridge/internal/export"
	"segbridge/internal/run"
)

// watchSent records, in window.__seen, every distinct state the run
// page's live counts show (contacts sent, confirmed, untagged), and marks
// the page so that a reload (which would drop the mark) shows. The whole
// region is watched: the run saves its progress at most once a second, so
// the save a released batch causes may be the confirm step's, carrying
// the confirmed count first and the sent count with the next save.
const watchSent = `(() => {
  window.__page = "the same page";
  const el = document.getElementById("live");
  const text = () => el.textContent.replace(/\s+/g, " ").trim();
  window.__seen = [text()];
  new MutationObserver(() => {
    const v = text();
    if (window.__seen[window.__seen.length - 1] !== v) window.__seen.push(v);
  }).observe(el, {childList: true, characterData: true, subtree: true});
  return true;
})()`

// TestBrowserWatchARun is issue 14's acceptance 3: a 20,000-contact run
// watched on its page. The sandbox lets one batch through at a time, and
// the test lets the next one through only once the page shows the count
// the last one made: the counts change at least three times before the
// run ends, and the page never reloads — it shows the end in place. Then
// the run's results filter, page and retry in the browser.
func TestBrowserWatchARun(t *testing.T) {
	// The app's clock jumps 2 s at each step, so that the run saves its
	// progress (at most once a second) as each released batch returns.
	var offset atomic.Int64
	clock := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	// 20,500 profiles: the sample data's few unusable e-mails are
	// skipped, and 20,000 contacts or more are sent.
	b := setup(t, setupOpts{profiles: 20500, now: clock})
	br := newBrowser(t, b)
	seg := b.segment("Everyone", `p.orders >= 0`)
	require.GreaterOrEqual(t, seg.MemberCount, 20000)
	p := newProxy(b)
	e := p.export("Everyone out", seg)
	refused := memberEmails(t, b, seg.ID, 2)
	p.setRefused(refused...)
	p.gate(true)
	b.startJobs()

	r, err := b.a.Store.CreateRun(b.ctx, e.ID, run.TriggerManual, time.Now())
	require.NoError(t, err)
	done := make(chan run.Run, 1)
	go func() {
		r, err := b.a.Runs.Execute(context.WithoutCancel(b.ctx), r.ID)
		if err != nil {
			r.Message = err.Error()
		}
		done <- r
	}()

	br.login(adminEmail)
	br.open(fmt.Sprintf("/runs/%d", r.ID))
	br.run("the run page follows the run", chromedp.WaitVisible(css("#live")))
	_, err = chromedp.Run(br.step(), chromedp.Evaluate[bool](watchSent))
	require.NoError(t, err)
	for step := 1; step <= 4; step++ {
		offset.Add(int64(2 * time.Second))
		p.release()
		_, err := chromedp.Run(br.step(), chromedp.Poll[bool](fmt.Sprintf("window.__seen.length > %d", step),
			chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(50*time.Second)))
		if err != nil {
			br.failed(fmt.Sprintf("count %d", step))
		}
		require.NoError(t, err, "the page shows the count after batch %d", step)
	}
	seen, err := chromedp.Run(br.step(), chromedp.Evaluate[[]string](`window.__seen`))
	require.NoError(t, err)
	t.Logf("counts the page showed while the run worked:\n%s", strings.Join(seen, "\n"))
	require.GreaterOrEqual(t, len(seen), 4, "at least three changes before the end")
	br.screenshot("run-working")

	p.gate(false)
	var final run.Run
	select {
	case final = <-done:
	case <-time.After(3 * time.Minute):
		t.Fatal("the run did not end")
	}
	require.Equal(t, run.StatusSucceeded, final.Status, final.Message)
	require.GreaterOrEqual(t, final.Counts.Added+final.Counts.FailedTotal(), 20000, "a run of 20,000 contacts")
	br.run("the end, shown in place", chromedp.WaitVisible(css(`#run[data-final="true"]`)))
	still, err := chromedp.Run(br.step(), chromedp.Evaluate[string](`window.__page || "reloaded"`))
	require.NoError(t, err)
	require.Equal(t, "the same page", still, "no reload, no navigation")
	require.Equal(t, "succeeded", br.text("#run-status"))
	require.Equal(t, export.Count(final.Counts.Added), export.Count(mustAtoi(t, br.text("#c-added"))))
	require.Equal(t, "2", br.text("#c-failed"))
	total := final.Counts.Added + final.Counts.SkippedTotal() + final.Counts.FailedTotal()
	require.Equal(t, "1–50 of "+export.Count(total)+" results", br.text("#results-total"))
	br.screenshot("run-ended")

	// The chart: a bar shows its values on keyboard focus (and hover).
	shown, err := chromedp.Run(br.step(), chromedp.Evaluate[string](`(() => {
	  const a = document.querySelector("#runs-chart a.bar-link");
	  a.focus();
	  const v = a.querySelector(".value");
	  return document.activeElement === a && getComputedStyle(v).display !== "none" ? v.textContent : "";
	})()`))
	require.NoError(t, err)
	require.Equal(t, fmt.Sprintf("#%d: +%d ~0 −0, ", final.ID, final.Counts.Added), shown[:strings.LastIndex(shown, " ")+1])
	br.screenshot("run-chart-focus")

	// Results: paged both ways, filtered as one types or chooses, in place.
	awaitTotal := func(what, want string) {
		t.Helper()
		br.run(what, chromedp.Poll[chromedp.Void](
			fmt.Sprintf(`document.getElementById("results-total").textContent.trim() === %q`, want),
			chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(20*time.Second)))
	}
	br.run("next page", chromedp.Click(css("#next-page")))
	awaitTotal("the second page", "51–100 of "+export.Count(total)+" results")
	br.run("previous page", chromedp.Click(css("#prev-page")))
	awaitTotal("the first page again", "1–50 of "+export.Count(total)+" results")
	br.run("only failed", chromedp.SetValue(css("#status-filter"), "failed"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("status-filter").dispatchEvent(new Event("change", {bubbles: true}))`))
	awaitTotal("the failed contacts", "1–2 of 2 results")
	require.Contains(t, br.text("#results"), refused[0])
	require.Contains(t, br.text("#results"), "Omnisend refused the contact")
	br.run("any status", chromedp.SetValue(css("#status-filter"), ""),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("status-filter").dispatchEvent(new Event("change", {bubbles: true}))`))
	br.run("search an e-mail", chromedp.SendKeys(css("#email-filter"), strings.ToUpper(refused[1])))
	awaitTotal("one e-mail", "1–1 of 1 results")
	require.Contains(t, br.text("#results"), refused[1])
	loc, err := chromedp.Run(br.step(), chromedp.Location())
	require.NoError(t, err)
	require.Contains(t, loc, "email=", "the address follows the filter")
	still, err = chromedp.Run(br.step(), chromedp.Evaluate[string](`window.__page || "reloaded"`))
	require.NoError(t, err)
	require.Equal(t, "the same page", still, "filtering and paging stay on the page")
	br.screenshot("run-results-filtered")

	// Retry the two failed contacts: a new run sends exactly them.
	p.setRefused()
	br.run("retry", chromedp.Click(css("#retry")), chromedp.WaitVisible(css("#flash")))
	require.Contains(t, br.text("#flash"), "sends again the contacts run")
	br.run("the retry ends", chromedp.WaitVisible(css(`#run[data-final="true"]`)))
	require.Equal(t, "succeeded", br.text("#run-status"))
	require.Equal(t, "2", br.text("#c-added"), "exactly the failed contacts")
	br.screenshot("run-retried")
}

// memberEmails returns n e-mails of a segment's members.
func memberEmails(t *testing.T, b *bundle, segmentID int64, n int) []string {
	t.Helper()
	var out []string
	require.NoError(t, b.a.Store.ScanMembers(b.ctx, segmentID, func(id string) error {
		pr, err := b.a.Store.GetProfile(b.ctx, id)
		if em, ok := pr.Attrs["email"].(string); err == nil && ok && strings.Contains(em, "@") && len(out) < n {
			out = append(out, strings.ToLower(strings.TrimSpace(em)))
		}
		return err
	}))
	require.Len(t, out, n)
	return out
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	var n int
	_, err := fmt.Sscanf(strings.ReplaceAll(s, ",", ""), "%d", &n)
	require.NoError(t, err, "a number: %q", s)
	return n
}
