package web_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"segbridge/internal/connection"
	"segbridge/internal/profile"
	"segbridge/internal/run"
	"segbridge/internal/service"
	"segbridge/internal/user"
)

// TestBrowserPreviewRun clicks "Preview run" on an export's page after a
// run and a change: the preview page shows the counts by action and
// reason, the requests per route and the time, and its download links
// stream the diff; the sandbox sees no request and no run is created.
func TestBrowserPreviewRun(t *testing.T) {
	chromiumPath(t) // skip early without chromium
	b := setup(t, setupOpts{profiles: 300})
	seg := b.segment("Buyers", `p.orders >= 1`)
	conn := b.connection("Team brand", connection.AccessContributors)
	ex := b.export("Team export", conn, seg)
	admin := user.Principal{Role: user.RoleAdmin, Actor: adminEmail}
	st, err := b.a.Services.Runs.Start(b.ctx, admin, ex.Name, service.StartOptions{NoJob: true})
	require.NoError(t, err)
	first, err := b.a.Runs.Execute(b.ctx, st.Run.ID)
	require.NoError(t, err)
	require.Equal(t, run.StatusSucceeded, first.Status, first.Message)
	// One member is renamed.
	renamed := b.sb.Contacts("")[0]["email"].(string)
	b.setFirstName(renamed, "Preview")

	requests := len(b.sb.Requests())
	br := newBrowser(t, b)
	br.login(adminEmail)
	br.open(fmt.Sprintf("/exports/%d", ex.ID))
	br.run("preview run", chromedp.Click(css("#preview-run")), chromedp.WaitVisible(css("#plan-summary")))
	br.screenshot("plan")
	require.Equal(t, strconv.Itoa(first.Counts.Members), br.text(`#plan-counts [data-count="members"]`))
	require.Equal(t, "1", br.text(`#plan-counts [data-count="to update"]`))
	require.Contains(t, br.text(`#plan-actions [data-action="update"][data-reason="changed"]`), "1")
	require.Contains(t, br.text("#plan-routes"), "POST /batches")
	require.Equal(t, "2", br.text("#plan-total"), "one batch and one status check")
	require.Contains(t, br.text("#plan-eta"), "alone")

	diff, err := chromedp.Run(br.step(), chromedp.Evaluate[string](
		`fetch(document.querySelector('#diff-jsonl').href).then(r => r.text())`, chromedp.EvalAwaitPromise))
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(diff), "\n")
	require.Len(t, lines, first.Counts.SkippedTotal()+1, "the renamed member and the skipped ones: %s", diff)
	for _, l := range lines {
		if !strings.Contains(l, `"action":"skip"`) {
			require.Contains(t, l, `"email":"`+renamed+`","action":"update","reason":"changed","fields":[{"field":"first_name","old":`)
			require.Contains(t, l, `"new":"Preview"}]`)
		}
	}
	csv, err := chromedp.Run(br.step(), chromedp.Evaluate[string](
		`fetch(document.querySelector('#diff-csv').href).then(r => r.text())`, chromedp.EvalAwaitPromise))
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(csv, "email,action,reason,changes,old_unknown,tags_added,tags_removed\n"), csv)
	require.Contains(t, csv, renamed+",update,changed,first_name: ")

	require.Equal(t, requests, len(b.sb.Requests()), "the preview asked Omnisend nothing")
	runs, err := b.a.Store.ListRuns(b.ctx, ex.ID, -1)
	require.NoError(t, err)
	require.Len(t, runs, 1, "the preview created no run")
}

// setFirstName changes the first name of the profile with email.
func (b *bundle) setFirstName(email, name string) {
	b.t.Helper()
	var found *profile.Profile
	require.NoError(b.t, b.a.Store.ScanProfiles(b.ctx, func(id string, raw []byte) error {
		a, err := profile.DecodeAttrs(raw)
		if err != nil {
			return err
		}
		if s, _ := a["email"].(string); found == nil && strings.EqualFold(strings.TrimSpace(s), email) {
			found = &profile.Profile{ID: id, Attrs: a}
		}
		return nil
	}))
	require.NotNil(b.t, found, "no profile with e-mail %s", email)
	found.Attrs["first_name"] = name
	_, err := b.a.Store.UpsertProfiles(b.ctx, []profile.Profile{*found}, time.Now())
	require.NoError(b.t, err)
}

// TestBrowserFullCheck: the preview says a run would plan changes only and
// links to the preview of a full check, which says why it reads every
// member; "Full check" beside Run now starts a run asked to check every
// member.
func TestBrowserFullCheck(t *testing.T) {
	chromiumPath(t) // skip early without chromium
	b := setup(t, setupOpts{profiles: 100})
	seg := b.segment("Buyers", `p.orders >= 1`)
	conn := b.connection("Team brand", connection.AccessContributors)
	ex := b.export("Team export", conn, seg)
	admin := user.Principal{Role: user.RoleAdmin, Actor: adminEmail}
	st, err := b.a.Services.Runs.Start(b.ctx, admin, ex.Name, service.StartOptions{NoJob: true})
	require.NoError(t, err)
	first, err := b.a.Runs.Execute(b.ctx, st.Run.ID)
	require.NoError(t, err)
	require.Equal(t, run.StatusSucceeded, first.Status, first.Message)
	require.Equal(t, run.PlanFull, first.Plan.Mode)

	br := newBrowser(t, b)
	br.login(adminEmail)
	br.open(fmt.Sprintf("/exports/%d/plan", ex.ID))
	require.Contains(t, br.text("#plan-mode"), "only what changed since the export's last run")
	br.run("preview a full check", chromedp.Click(css("#plan-full")), chromedp.WaitVisible(css("#plan-summary")))
	require.Contains(t, br.text("#plan-mode"), "check every member: a full check was asked for")
	require.Equal(t, strconv.Itoa(first.Counts.Members), br.text(`#plan-counts [data-count="members"]`))

	br.open(fmt.Sprintf("/exports/%d", ex.ID))
	br.run("run now with a full check", chromedp.Click(css("#run-full")), chromedp.Click(css("#run-now")), chromedp.WaitVisible(css("#run-status")))
	runs, err := b.a.Store.ListRuns(b.ctx, ex.ID, 1)
	require.NoError(t, err)
	require.Len(t, runs, 1)
	require.NotEqual(t, first.ID, runs[0].ID)
	require.True(t, runs[0].Plan.Full, "the run was asked for a full check")
}
