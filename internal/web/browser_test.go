package web_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"segbridge/internal/connection"
	"segbridge/internal/export"
	"segbridge/internal/jobs"
	"segbridge/internal/run"
)

// chromiumPath finds Debian's chromium. Without it the browser test is
// skipped, except in CI (CI=true), where it must run.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "/usr/bin/chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed, and CI=true: the browser tests must run in CI (apt-get install chromium)")
	}
	t.Skip("chromium is not installed: skipping the browser test (CI installs it and runs it)")
	return ""
}

// artifactsDir is where screenshots go: SEGBRIDGE_TEST_ARTIFACTS (CI sets
// it) or a temporary directory.
func artifactsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("SEGBRIDGE_TEST_ARTIFACTS")
	if dir == "" {
		return t.TempDir()
	}
	dir = filepath.Join(dir, "browser")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	return dir
}

// browser drives one headless Chromium tab against a bundle.
type browser struct {
	t    *testing.T
	b    *bundle
	ctx  context.Context
	dir  string
	shot int
}

func newBrowser(t *testing.T, b *bundle) *browser {
	opts := append(slices.Clone(chromedp.DefaultExecAllocatorOptions[:]),
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelTab(); cancelAlloc() })
	// The first call starts the browser; it must have no deadline.
	require.NoError(t, chromedp.Do(ctx), "start chromium")
	return &browser{t: t, b: b, ctx: ctx, dir: artifactsDir(t)}
}

// css selects the first element matching a CSS selector.
func css(sel string) chromedp.CSS { return chromedp.CSS(sel) }

// step is the context of one step: the tab, with a time limit. The
// context is cancelled with the test.
func (br *browser) step() context.Context {
	ctx, cancel := context.WithTimeout(br.ctx, time.Minute)
	br.t.Cleanup(cancel)
	return ctx
}

// run runs actions in the tab, failing the test on error (with a
// screenshot of the page as it was).
func (br *browser) run(what string, actions ...chromedp.Action[chromedp.Void]) {
	br.t.Helper()
	if err := chromedp.Do(br.step(), actions...); err != nil {
		br.failed(what)
		require.NoError(br.t, err, what)
	}
}

// failed saves what the tab shows when a step failed.
func (br *browser) failed(what string) {
	ctx, cancel := context.WithTimeout(br.ctx, 10*time.Second)
	defer cancel()
	url, _ := chromedp.Run(ctx, chromedp.Location())
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err == nil {
		path := filepath.Join(br.dir, "FAILED-"+strings.NewReplacer(" ", "-", "/", "-").Replace(what)+".png")
		_ = os.WriteFile(path, png, 0o644)
		br.t.Logf("step %q failed at %s; screenshot %s", what, url, path)
	}
}

// open navigates to a path of the server and waits for the page.
func (br *browser) open(path string) {
	br.t.Helper()
	br.run("open "+path, chromedp.Navigate(br.b.srv.URL+path), chromedp.WaitReady(css("body")))
}

// screenshot saves a full-page PNG named after the step.
func (br *browser) screenshot(name string) {
	br.t.Helper()
	png, err := chromedp.Run(br.step(), chromedp.FullScreenshot(100))
	require.NoError(br.t, err, "screenshot %s", name)
	br.shot++
	path := filepath.Join(br.dir, fmt.Sprintf("%02d-%s.png", br.shot, name))
	require.NoError(br.t, os.WriteFile(path, png, 0o644))
	br.t.Logf("screenshot %s", path)
}

func (br *browser) text(sel string) string {
	br.t.Helper()
	s, err := chromedp.Run(br.step(), chromedp.Text(css(sel), chromedp.NodeVisible))
	require.NoError(br.t, err, "read %s", sel)
	return strings.TrimSpace(s)
}

func (br *browser) value(sel string) string {
	br.t.Helper()
	v, err := chromedp.Run(br.step(), chromedp.Value(css(sel)))
	require.NoError(br.t, err, "read the value of %s", sel)
	return v
}

func (br *browser) html() string {
	br.t.Helper()
	s, err := chromedp.Run(br.step(), chromedp.OuterHTML(css("html")))
	require.NoError(br.t, err, "read the page")
	return s
}

func (br *browser) login(email string) {
	br.t.Helper()
	br.open("/login")
	br.run("sign in as "+email,
		chromedp.SendKeys(css("#email"), email),
		chromedp.SendKeys(css("#password"), password),
		chromedp.Click(css("#login")),
		chromedp.WaitVisible(css("#who")),
	)
	require.Contains(br.t, br.text("#who"), email)
}

func (br *browser) logout() {
	br.t.Helper()
	br.run("sign out", chromedp.Click(css("#logout")), chromedp.WaitVisible(css("#login")))
}

// TestBrowser walks the reference flows in headless Chromium (acceptance
// 2): an admin adds an Omnisend connection with consent (refused once
// without), creates an export with a mapping (Email and, through "Add
// attribute", first name), runs it and watches it succeed; then a
// contributor and a viewer see only what their roles allow.
func TestBrowser(t *testing.T) {
	chromiumPath(t) // skip early without chromium
	b := setup(t, setupOpts{profiles: 300})
	seg := b.segment("Buyers", `p.orders >= 1`)
	shared := b.connection("Team brand", connection.AccessContributors)
	team := b.export("Team export", shared, seg)
	require.NoError(t, b.a.Jobs.Start(b.ctx, jobs.StartOptions{}))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = b.a.Jobs.Stop(ctx)
	})
	br := newBrowser(t, b)

	// Admin signs in.
	br.open("/login")
	br.screenshot("login")
	br.login(adminEmail)
	br.screenshot("exports-admin")

	// Admin → Connections → Add connection, first without consent.
	br.open("/admin/connections")
	br.run("add connection", chromedp.Click(css("#add-connection")), chromedp.WaitVisible(css("#connection-form")))
	br.run("fill the connection",
		chromedp.SendKeys(css("#name"), "Acme"),
		chromedp.SendKeys(css("#api_key"), sandboxKey),
		chromedp.Click(css("main details summary")),
		chromedp.SendKeys(css("#base_url"), b.sbURL),
		chromedp.Click(css("#save")),
		chromedp.WaitVisible(css("#consent-error")),
	)
	require.Contains(t, br.text("#consent-error"), "Consent to the privacy and compliance notice is required")
	br.screenshot("connection-consent-required")
	br.run("agree and connect",
		chromedp.SendKeys(css("#api_key"), sandboxKey),
		chromedp.Click(css("#consent")),
		chromedp.Click(css("#connect")),
		chromedp.WaitVisible(css("#connect-result.ok")),
	)
	require.Contains(t, br.text("#connect-result"), "the key works for brand Acme Store")
	br.screenshot("connection-connected")
	br.run("save", chromedp.Click(css("#save")), chromedp.WaitVisible(css("#connection")))
	require.Contains(t, br.text("#flash"), `Connection "Acme" saved`)
	require.Equal(t, "••••"+connection.Last4(sandboxKey), br.text("#key"))
	require.NotContains(t, br.html(), sandboxKey)
	br.screenshot("connection-saved")
	acme, err := b.a.Store.GetConnection(b.ctx, "Acme")
	require.NoError(t, err)
	require.Equal(t, adminEmail, acme.Consent.By)

	// Data → Exports → Add destination with Email and, via Add attribute,
	// first name.
	br.open("/exports")
	br.run("add destination", chromedp.Click(css("#add-export")), chromedp.WaitVisible(css("#export-form")))
	row := `#mapping .maprow[data-row="0"]`
	br.run("fill the export",
		chromedp.SendKeys(css("#name"), "Buyers to Acme"),
		chromedp.SetValue(css("#connection"), strconv.FormatInt(acme.ID, 10)),
		chromedp.Click(css(fmt.Sprintf(`input[name=segment][value="%d"]`, seg.ID))),
		chromedp.WaitNotVisible(css(row)),
		chromedp.Click(css("#add-attribute")),
		chromedp.WaitVisible(css(row)),
		chromedp.SetValue(css(row+" select"), "first_name"),
		chromedp.SendKeys(css(row+` input[name=attr]`), "first_name"),
	)
	// The consent status and its date, sent as opt-ins (consent policy).
	for i, f := range [][2]string{{"consent", "email_consent"}, {"consent_date", "email_consent_date"}} {
		r := fmt.Sprintf(`#mapping .maprow[data-row="%d"]`, i+1)
		br.run("map "+f[0], chromedp.Click(css("#add-attribute")), chromedp.WaitVisible(css(r)),
			chromedp.SetValue(css(r+" select"), f[0]), chromedp.SendKeys(css(r+` input[name=attr]`), f[1]))
	}
	require.Equal(t, "keep", br.value("#consent_policy"), "keep is the default")
	br.run("choose opt-ins", chromedp.SetValue(css("#consent_policy"), "opt-ins"))
	br.screenshot("export-form")
	br.run("save the export", chromedp.Click(css("#save")), chromedp.WaitVisible(css("#run-now")))
	require.Contains(t, br.text("#flash"), `Export "Buyers to Acme" saved`)
	ex, err := b.a.Store.GetExport(b.ctx, "Buyers to Acme")
	require.NoError(t, err)
	require.Equal(t, "email", ex.Mapping.Email)
	require.Equal(t, "first_name", ex.Mapping.FirstName)
	require.Equal(t, acme.ID, ex.ConnectionID)
	require.Equal(t, export.ConsentOptIns, ex.ConsentPolicy)
	require.Equal(t, &export.ConsentMapping{Attribute: "email_consent", DateAttribute: "email_consent_date"}, ex.Mapping.Consent)
	require.Contains(t, br.text("#consent-policy"), "opt-ins: sends a mapped subscribed with its date")
	br.screenshot("export-saved")

	// Run now, and watch the run page reach "succeeded".
	br.run("run now", chromedp.Click(css("#run-now")), chromedp.WaitVisible(css("#run-status")))
	br.screenshot("run-started")
	deadline := time.Now().Add(90 * time.Second)
	status := ""
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(br.ctx, 5*time.Second)
		status, _ = chromedp.Run(ctx, chromedp.Text(css("#run-status")))
		cancel()
		if status == "succeeded" || status == "failed" || status == "cancelled" {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	require.Equal(t, "succeeded", status, "run page: %s", br.text("#run-message"))
	runs, err := b.a.Store.ListRuns(b.ctx, ex.ID, 1)
	require.NoError(t, err)
	r := runs[0]
	// The script reloads the page when the run ends; open it afresh so
	// the test does not race that reload.
	br.open(fmt.Sprintf("/runs/%d", r.ID))
	br.run("the final page", chromedp.WaitVisible(css(`#run[data-final="true"]`)))
	require.Equal(t, run.StatusSucceeded, r.Status)
	require.Equal(t, seg.MemberCount, r.Counts.Members)
	require.Positive(t, r.Counts.Added)
	require.Equal(t, r.Counts.Members, r.Counts.Added+r.Counts.SkippedTotal(), "every member was added or skipped")
	require.Equal(t, strconv.Itoa(r.Counts.Added), br.text("#c-added"))
	require.Equal(t, strconv.Itoa(r.Counts.Members), br.text("#c-members"))
	require.Len(t, b.sb.Contacts(""), r.Counts.Added, "the sandbox holds the added contacts")
	br.run("the chart", chromedp.WaitVisible(css("#runs-chart")))
	br.screenshot("run-succeeded")

	// Verify: a contact deleted in Omnisend is found; its cost is shown
	// before anything is asked.
	gone := b.sb.Contacts("")[0]["email"].(string)
	require.Equal(t, 1, b.sb.DeleteContacts("", gone))
	br.open(fmt.Sprintf("/exports/%d", ex.ID))
	br.run("verify", chromedp.Click(css("#verify")), chromedp.WaitVisible(css("#verify-cost")))
	require.Contains(t, br.text("#verify-cost"), "Cost: 1 list requests")
	br.screenshot("verify-cost")
	br.run("verify, report only", chromedp.Click(css("#verify-report")), chromedp.WaitVisible(css("#findings")))
	require.Contains(t, br.text("#verify-summary"), "1 findings")
	require.Contains(t, br.text("#findings"), gone)
	require.Contains(t, br.text("#findings"), "missing_contact")
	br.screenshot("verify-findings")

	// Explain, from the search box of the exports page.
	br.open("/exports")
	br.run("explain an e-mail",
		chromedp.SendKeys(css("#explain-email"), gone),
		chromedp.Click(css("#explain-go")),
		chromedp.WaitVisible(css(`.explain-export[data-export="Buyers to Acme"]`)),
	)
	page := br.text(`.explain-export[data-export="Buyers to Acme"]`)
	require.Contains(t, page, "is exported with")
	require.Contains(t, page, "the rule matches")
	require.Contains(t, page, "p.orders >= 1")
	require.Contains(t, page, "Omnisend has no contact with this e-mail")
	require.Contains(t, page, "add", "the run's decision")
	br.screenshot("explain")
	br.logout()
	br.screenshot("signed-out")

	// A contributor sees the shared connection's export, not the admin-only
	// one, and no Connections page.
	br.login(contributorEmail)
	br.open("/exports")
	page = br.html()
	require.Contains(t, page, "Team export")
	require.NotContains(t, page, "Buyers to Acme")
	require.NotContains(t, page, "/admin/connections")
	require.Contains(t, page, "Run now")
	br.screenshot("exports-contributor")
	br.open("/admin/connections")
	require.Contains(t, br.text("h1"), "403")
	br.screenshot("connections-forbidden-contributor")
	br.open(fmt.Sprintf("/exports/%d", ex.ID))
	require.Contains(t, br.text("h1"), "404")
	br.open("/exports/new")
	page = br.html()
	require.Contains(t, page, "Team brand")
	require.NotContains(t, page, ">Acme")
	br.logout()

	// A viewer sees the export but cannot run it.
	br.login(viewerEmail)
	br.open("/exports")
	page = br.html()
	require.Contains(t, page, "Team export")
	require.NotContains(t, page, "Run now")
	require.NotContains(t, page, "Add destination")
	br.screenshot("exports-viewer")
	br.open(fmt.Sprintf("/exports/%d", team.ID))
	page = br.html()
	require.NotContains(t, page, `id="run-now"`)
	br.screenshot("export-viewer")
}
