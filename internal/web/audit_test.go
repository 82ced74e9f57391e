package web_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"segbridge/internal/store"
)

// axePath is axe-core's script, installed by npm ci in
// internal/web/testdata/axe (.ci/run does).
const axePath = "testdata/axe/node_modules/axe-core/axe.min.js"

// axeSource returns axe-core's script. Without it the audit is skipped,
// except in CI (CI=true), where it must run.
func axeSource(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(axePath)
	if err == nil {
		return string(b)
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("axe-core is not installed (%v), and CI=true: run npm ci --prefix internal/web/testdata/axe", err)
	}
	t.Skipf("axe-core is not installed: skipping the accessibility audit (npm ci --prefix %s)", filepath.Dir(filepath.Dir(filepath.Dir(axePath))))
	return ""
}

// viewport is a screen size the pages are checked at.
type viewport struct {
	name          string
	width, height int64
}

var viewports = []viewport{{"desktop", 1366, 900}, {"phone", 390, 844}}

// axeViolation is one rule axe-core found broken on a page.
type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// audit checks the page the browser shows: no serious or critical
// axe-core violation, and, on a narrow screen, nothing wider than it.
func (br *browser) audit(axe, page string, vp viewport) {
	br.t.Helper()
	present, err := chromedp.Run(br.step(), chromedp.Evaluate[bool](`typeof window.axe !== "undefined"`))
	require.NoError(br.t, err)
	if !present {
		_, err = chromedp.Run(br.step(), chromedp.Evaluate[chromedp.Void](axe))
		require.NoError(br.t, err, "inject axe-core into %s", page)
	}
	raw, err := chromedp.Run(br.step(), chromedp.Evaluate[string](`axe.run(document, {resultTypes: ["violations"]}).then(r => JSON.stringify(
		r.violations.filter(v => v.impact === "serious" || v.impact === "critical").map(v => ({
			id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + " — " + (n.failureSummary || "").split("\n").join(" "))}))))`,
		chromedp.EvalAwaitPromise))
	require.NoError(br.t, err, "run axe-core on %s", page)
	var vs []axeViolation
	require.NoError(br.t, json.Unmarshal([]byte(raw), &vs))
	if len(vs) > 0 {
		var b strings.Builder
		for _, v := range vs {
			fmt.Fprintf(&b, "\n  %s (%s): %s", v.ID, v.Impact, v.Help)
			for _, n := range v.Nodes {
				fmt.Fprintf(&b, "\n    %s", n)
			}
		}
		br.screenshot("axe-" + vp.name + "-" + pageName(page))
		br.t.Errorf("%s at %s: %d serious or critical accessibility violations:%s", page, vp.name, len(vs), b.String())
	}
	if vp.width < 600 {
		w, err := chromedp.Run(br.step(), chromedp.Evaluate[[]int](`[document.documentElement.scrollWidth, window.innerWidth]`))
		require.NoError(br.t, err)
		if w[0] > w[1] {
			wide, _ := chromedp.Run(br.step(), chromedp.Evaluate[string](`Array.from(document.querySelectorAll("body *")).filter(e => e.getBoundingClientRect().right > window.innerWidth + 1).slice(0, 5).map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.className && typeof e.className === "string" ? "." + e.className.split(" ").join(".") : "") + " (" + Math.round(e.getBoundingClientRect().right) + "px)").join(", ")`))
			br.screenshot("wide-" + vp.name + "-" + pageName(page))
			br.t.Errorf("%s at %d px scrolls sideways: the page is %d px wide (too wide: %s)", page, vp.width, w[0], wide)
		}
	}
}

// TestBrowserEveryPage opens every page as each role at a desktop and a
// phone size in Chromium: none has a serious or critical axe-core
// violation, and at 390 px none scrolls sideways.
func TestBrowserEveryPage(t *testing.T) {
	chromiumPath(t)
	axe := axeSource(t)
	f := newFixture(t, "")
	some, err := f.a.Store.ListProfiles(f.ctx, store.ListOptions{Limit: 1})
	require.NoError(t, err)
	profileID := some[0].ID
	pages := map[string][]string{
		adminEmail: {"/exports", "/exports/new", fmt.Sprintf("/exports/%d", f.privExp.ID), fmt.Sprintf("/exports/%d/verify", f.privExp.ID), fmt.Sprintf("/exports/%d/plan", f.privExp.ID), fmt.Sprintf("/exports/%d/edit", f.privExp.ID), "/account",
			fmt.Sprintf("/runs/%d", f.privRun.ID), "/segments", "/segments/new", "/segments/buyers", "/profiles", "/explain?email=nobody%40example.com",
			"/admin/connections", "/admin/connections/new", fmt.Sprintf("/admin/connections/%d", f.private.ID),
			"/admin/users", "/admin/audit", "/admin/sources", "/admin/sources/new", "/profiles/" + profileID, "/settings/system", "/settings/notifications", "/tokens"},
		contributorEmail: {"/exports", fmt.Sprintf("/exports/%d", f.sharedExp.ID), fmt.Sprintf("/exports/%d/plan", f.sharedExp.ID), fmt.Sprintf("/runs/%d", f.sharedRun.ID), "/segments", "/profiles"},
		viewerEmail:      {"/exports", fmt.Sprintf("/exports/%d", f.sharedExp.ID), "/segments", "/segments/buyers", "/profiles", "/no-such-page"},
	}
	for _, who := range []string{adminEmail, contributorEmail, viewerEmail} {
		t.Run(strings.Split(who, "@")[0], func(t *testing.T) {
			br := newBrowser(t, f.bundle)
			for _, vp := range viewports {
				br.run("viewport "+vp.name, chromedp.EmulateViewport(vp.width, vp.height))
				br.open("/login")
				br.audit(axe, "/login", vp)
				br.login(who)
				for _, page := range pages[who] {
					br.open(page)
					br.audit(axe, page, vp)
					if vp.width < 600 { // the desktop pages have their own screenshots
						br.screenshot(fmt.Sprintf("%s-%s-%s", strings.Split(who, "@")[0], vp.name, pageName(page)))
					}
				}
				br.logout()
			}
		})
	}
}

// pageName turns a path into a file name part.
func pageName(path string) string {
	path, _, _ = strings.Cut(path, "?")
	return strings.Trim(strings.ReplaceAll(path, "/", "-"), "-")
}
