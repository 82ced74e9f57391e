package web_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"segbridge/internal/export"
	"segbridge/internal/jobs"
	"segbridge/internal/run"
	"segbridge/internal/segment"
	"segbridge/internal/service"
	"segbridge/internal/store"
	"segbridge/internal/user"
)

// flow is one thing a user does in the web UI, from the page where it
// starts to the page that shows it done. Whether a role may do it comes
// from the permission table (action); a role that may not is shown the
// way in missing or refused (refused), never an error page of ours.
type flow struct {
	name   string
	action service.Action // "" when every signed-in user may
	// admins narrows the flow to admins (an action everyone may do on
	// what is theirs, done here on someone else's).
	admins bool
	do     func(c *flowRun)
	// refused checks what a role that may not do it sees.
	refused func(c *flowRun)
}

// flowRun is one flow as one role at one screen size: every page it
// opens or lands on is audited (axe-core; at 390 px, no sideways
// scroll) and photographed.
type flowRun struct {
	*browser
	f    *flowFixture
	role user.Role
	who  string
	vp   viewport
	axe  string
	tag  string // makes the names a run creates its own
	name string // the flow's name, for screenshots
	page int
}

// flowFixture is what every flow run starts from: the fixture's two
// connections, plus for each role and screen an export and segments of
// its own (on the shared connection, which contributors may use).
type flowFixture struct {
	*fixture
	seg     segment.Segment
	exports map[string]export.Export   // by tag
	segs    map[string]segment.Segment // by tag: a segment no export sends
	spare   map[string]segment.Segment // by tag: one to delete
	blocked map[string]segment.Segment // by tag: one an export sends
	users   map[string]string          // by tag: a user an admin manages
	files   map[string]string          // by tag: a CSV to import
	ids     []string                   // profile ids, for static segments
	profile string                     // a profile id to open
	failed  map[string]run.Run         // by tag: a run with two failed contacts (Omnisend refused them)
	refused map[string]string          // by tag: the e-mail of one of them
	tokens  map[string]string          // by tag: the name of another user's token
	pw      map[string]*string         // by e-mail: the password now (each role changes its own)
}

// may reports whether role may perform a, from the permission table.
func may(role user.Role, a service.Action) bool {
	if a == "" {
		return true
	}
	for _, p := range service.Permissions() {
		if p.Action == a {
			return slices.Contains(p.Roles, role)
		}
	}
	panic("no permission row for " + string(a))
}

// shot audits the page the tab shows and saves its picture.
func (c *flowRun) shot(what string) {
	c.t.Helper()
	c.audit(c.axe, c.name+": "+what, c.vp)
	c.page++
	c.screenshot(fmt.Sprintf("flow-%s-%s-%s-%d-%s", c.role, c.vp.name, slug(c.name), c.page, slug(what)))
}

// visit opens a page and audits it.
func (c *flowRun) visit(path string) {
	c.t.Helper()
	c.open(path)
	c.shot(pageName(path))
}

// act runs actions (clicks, typing) that lead to another page, waits
// for it to load, then audits it. Confirmation dialogs are answered yes.
func (c *flowRun) act(what string, actions ...chromedp.Action[chromedp.Void]) {
	c.t.Helper()
	c.do(what, true, actions...)
}

// inPlace runs actions that change the page without leaving it (a
// preview as one types, results filtered in place), then audits it.
func (c *flowRun) inPlace(what string, actions ...chromedp.Action[chromedp.Void]) {
	c.t.Helper()
	c.do(what, false, actions...)
}

func (c *flowRun) do(what string, navigates bool, actions ...chromedp.Action[chromedp.Void]) {
	c.t.Helper()
	// The page's messages go first, so that waiting for the next page's
	// message cannot find this one's; the mark tells this page from the
	// next.
	c.run("answer confirmations", chromedp.Evaluate[chromedp.Void](`window.confirm = () => true; window.__flowPage = true;
		document.querySelectorAll("#flash, #form-error, #error-summary").forEach(e => e.remove())`))
	c.run(what, actions...)
	if navigates {
		c.waitFor(`window.__flowPage === undefined && document.readyState === "complete"`, time.Minute)
	}
	c.shot(what)
	if !strings.Contains(what, "refused") {
		c.noFormError(what)
	}
}

// message is what a page shows after a form was sent: a message or a
// form's error.
const message = "#flash, #form-error, #error-summary"

// noFormError fails when the page shows a form's error.
func (c *flowRun) noFormError(what string) {
	c.t.Helper()
	msg, err := chromedp.Run(c.step(), chromedp.Evaluate[string](`Array.from(document.querySelectorAll("#form-error, #error-summary")).map(e => e.textContent.trim()).join(" ")`))
	require.NoError(c.t, err)
	require.Empty(c.t, msg, "%s as %s at %s: the form was refused", c.name, c.role, what)
}

// waitFor waits until a JavaScript condition holds on the page, across
// the page's own reloads.
func (c *flowRun) waitFor(cond string, limit time.Duration) {
	c.t.Helper()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(c.ctx, 2*time.Second)
		_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](cond, chromedp.WithPollingTimeout(2*time.Second)))
		cancel()
		if err == nil {
			return
		}
	}
	c.failed("wait for " + cond)
	c.t.Fatalf("%s as %s: %s did not hold within %s", c.name, c.role, cond, limit)
}

// filterFailed narrows a run's results to its failed contacts and to one
// e-mail, with no button: the list follows the choice and the typing.
func (c *flowRun) filterFailed() {
	c.t.Helper()
	c.inPlace("failed only", setValue("#status-filter", "failed"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector("#status-filter").dispatchEvent(new Event("change", {bubbles: true}))`))
	c.waitFor(`(document.querySelector("#results-total") || {}).textContent === "1–2 of 2 results"`, 30*time.Second)
	c.inPlace("one e-mail", chromedp.SendKeys(css("#email-filter"), c.f.refused[c.tag]))
	c.waitFor(`(document.querySelector("#results-total") || {}).textContent === "1–1 of 1 results"`, 30*time.Second)
	require.Contains(c.t, c.text("#results-list"), c.f.refused[c.tag])
	c.shot("filtered")
}

// flash is the page's message after a form was sent.
func (c *flowRun) flash() string { return c.text("#flash") }

// absent fails when the page has an element matching sel.
func (c *flowRun) absent(sel string) {
	c.t.Helper()
	n, err := chromedp.Run(c.step(), chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll(%q).length`, sel)))
	require.NoError(c.t, err)
	require.Zero(c.t, n, "%s as %s: the page must not offer %s", c.name, c.role, sel)
}

// forbidden opens a page the role may not use: it says so (403), in a
// page that passes the audit.
func (c *flowRun) forbidden(path string) {
	c.t.Helper()
	c.visit(path)
	require.Contains(c.t, c.text("h1"), "403", "%s as %s: %s", c.name, c.role, path)
}

func slug(s string) string {
	s = strings.ToLower(s)
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			if !strings.HasSuffix(b.String(), "-") {
				b.WriteByte('-')
			}
		}
	}
	return strings.Trim(b.String(), "-")
}

// setValue sets a field's value as a script would (no key events).
func setValue(sel, v string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => { const e = document.querySelector(%q); if (!e) throw new Error("no " + %q); e.value = %q; })()`, sel, sel, v))
}

// flows are the flows of the web UI (issue 14), in the order a run of
// them takes: the export a run changes and then removes is its own.
func flows() []flow {
	exportPage := func(c *flowRun) string { return fmt.Sprintf("/exports/%d", c.f.exports[c.tag].ID) }
	return []flow{
		{name: "create an export", action: service.ExportCreate,
			do: func(c *flowRun) {
				c.visit("/exports")
				c.act("add destination", chromedp.Click(css("#add-export")), chromedp.WaitVisible(css("#export-form")))
				c.act("save the export",
					chromedp.SendKeys(css("#name"), "New "+c.tag),
					setValue("#connection", fmt.Sprint(c.f.shared.ID)),
					chromedp.Click(css(fmt.Sprintf(`input[name=segment][value="%d"]`, c.f.seg.ID))),
					chromedp.Click(css("#save")), chromedp.WaitVisible(css("#run-now")))
				require.Contains(c.t, c.flash(), fmt.Sprintf("Export %q saved", "New "+c.tag))
			},
			refused: func(c *flowRun) {
				c.visit("/exports")
				c.absent("#add-export")
				c.forbidden("/exports/new")
			}},
		{name: "see a form's mistakes", action: service.ExportCreate,
			do: func(c *flowRun) {
				c.visit("/exports/new")
				c.act("save with mistakes: refused",
					chromedp.Evaluate[chromedp.Void](`document.querySelector("#export-form").noValidate = true`),
					setValue("#name", ""), setValue("#map_email", ""), setValue(`input[name=cap]`, "0"),
					chromedp.Click(css("#save")), chromedp.WaitVisible(css("#error-summary")))
				require.NotEmpty(c.t, c.text("#name-error"), "the name's mistake beside it")
				n, err := chromedp.Run(c.step(), chromedp.Evaluate[[]int](`[document.querySelectorAll(".field-error").length, document.querySelectorAll("#error-summary li").length]`))
				require.NoError(c.t, err)
				require.Equal(c.t, []int{3, 3}, n, "every mistake at once, beside its field and in the summary")
			}},
		{name: "run an export and watch it", action: service.RunStart,
			do: func(c *flowRun) {
				c.visit(exportPage(c))
				// The page follows the run and reloads itself when it ends:
				// wait for the final page, then audit it.
				c.run("run now", chromedp.Click(css("#run-now")), chromedp.WaitVisible(css("#run-status")))
				c.waitFor(`document.querySelector('#run[data-final="true"]') !== null`, time.Minute)
				require.Equal(c.t, "succeeded", c.text("#run-status"), c.text("#run-message"))
				c.shot("run succeeded")
			},
			refused: func(c *flowRun) {
				c.visit(exportPage(c))
				c.absent("#run-now")
			}},
		{name: "preview a run", action: service.ExportPreview,
			do: func(c *flowRun) {
				c.visit(exportPage(c))
				c.act("preview", chromedp.Click(css("#preview-run")), chromedp.WaitVisible(css("#plan-counts")))
			},
			refused: func(c *flowRun) {
				c.visit(exportPage(c))
				c.absent("#preview-run")
				c.forbidden(exportPage(c) + "/plan")
			}},
		{name: "verify an export", action: service.ExportVerify,
			do: func(c *flowRun) {
				c.visit(exportPage(c))
				c.act("verify", chromedp.Click(css("#verify")), chromedp.WaitVisible(css("#verify-cost")))
				c.act("report only", chromedp.Click(css("#verify-report")), chromedp.WaitVisible(css("#verify-summary")))
			},
			refused: func(c *flowRun) {
				c.visit(exportPage(c))
				c.absent("#verify")
				c.forbidden(exportPage(c) + "/verify")
			}},
		{name: "change an export and pause it", action: service.ExportUpdate,
			do: func(c *flowRun) {
				c.visit(exportPage(c))
				c.act("change", chromedp.Click(css("#edit-export")), chromedp.WaitVisible(css("#export-form")))
				c.act("save the change",
					setValue(`input[name=tag_prefix]`, "flow"),
					chromedp.Click(css("#schedule-manual")),
					chromedp.Evaluate[chromedp.Void](`document.querySelector("input[name=active]").checked = false`),
					chromedp.Click(css("#save")), chromedp.WaitVisible(css("#consent-policy")))
				require.Contains(c.t, c.flash(), "saved")
				require.Contains(c.t, c.text("main"), "(paused)")
				require.Contains(c.t, c.text("main"), "flow: <segment>")
			},
			refused: func(c *flowRun) {
				c.visit(exportPage(c))
				c.absent("#edit-export")
				c.forbidden(exportPage(c) + "/edit")
			}},
		{name: "remove an export", action: service.ExportDelete,
			do: func(c *flowRun) {
				c.visit(exportPage(c))
				c.act("remove", chromedp.Click(css(`form[action$="/remove"] button`)), chromedp.WaitVisible(css(message)))
				require.Contains(c.t, c.flash(), "removed")
			},
			refused: func(c *flowRun) {
				c.visit(exportPage(c))
				c.absent(`form[action$="/remove"]`)
			}},
		{name: "create a rule segment", action: service.SegmentCreate,
			do: func(c *flowRun) {
				c.visit("/segments")
				c.act("add segment", chromedp.Click(css("#add-segment")), chromedp.WaitVisible(css("#segment-form")))
				// The preview follows the rule as it is typed.
				c.inPlace("type the rule, see the preview",
					chromedp.SendKeys(css("#name"), "Rule "+c.tag),
					chromedp.SendKeys(css("#rule"), `p.orders >= 2`),
					chromedp.WaitVisible(css("#preview-result")))
				require.Contains(c.t, c.text("#preview-result"), "profiles match")
				c.act("save", chromedp.Click(css("#save")), chromedp.WaitVisible(css(message)))
				require.Contains(c.t, c.flash(), fmt.Sprintf("Segment %q saved", "Rule "+c.tag))
			},
			refused: func(c *flowRun) {
				c.visit("/segments")
				c.absent("#add-segment")
				c.forbidden("/segments/new")
			}},
		{name: "create a static segment from ids", action: service.SegmentCreate,
			do: func(c *flowRun) {
				c.visit("/segments/new")
				c.act("save the ids",
					chromedp.SendKeys(css("#name"), "Static "+c.tag),
					chromedp.Click(css("#kind-static")),
					chromedp.SendKeys(css("#ids"), strings.Join(c.f.ids, "\n")),
					chromedp.Click(css("#save")), chromedp.WaitVisible(css(message)))
				require.Contains(c.t, c.flash(), fmt.Sprintf("saved: %d members", len(c.f.ids)))
			}},
		{name: "change a segment's rule", action: service.SegmentUpdate,
			do: func(c *flowRun) {
				c.visit("/segments/" + c.f.segs[c.tag].Slug)
				c.inPlace("type a wrong rule, see why", setValue("#rule", ""), chromedp.SendKeys(css("#rule"), `p.orders >=`), chromedp.WaitVisible(css("#preview-error")))
				require.NotContains(c.t, c.text("#preview-error"), "empty", "the error is the typed rule's")
				c.inPlace("type the new rule, see the preview", setValue("#rule", ""), chromedp.SendKeys(css("#rule"), `p.orders >= 3`), chromedp.WaitVisible(css("#preview-result")))
				c.act("save and refresh", setValue("#rule", `p.orders >= 3`), chromedp.Click(css("#save")), chromedp.WaitVisible(css(message)))
				require.Equal(c.t, `p.orders >= 3`, c.text("#segment-rule"))
			},
			refused: func(c *flowRun) {
				c.visit("/segments/" + c.f.segs[c.tag].Slug)
				c.absent("#rule-form")
			}},
		{name: "delete a segment", action: service.SegmentDelete,
			do: func(c *flowRun) {
				c.visit("/segments/" + c.f.blocked[c.tag].Slug)
				c.act("delete one an export sends: refused", chromedp.Click(css("#delete")), chromedp.WaitVisible(css(message)))
				require.Contains(c.t, c.text("main"), "Blocker "+c.tag, "the refusal names the export that blocks it")
				c.visit("/segments/" + c.f.spare[c.tag].Slug)
				c.act("delete", chromedp.Click(css("#delete")), chromedp.WaitVisible(css(message)))
				require.Contains(c.t, c.flash(), "deleted")
			},
			refused: func(c *flowRun) {
				c.visit("/segments/" + c.f.spare[c.tag].Slug)
				c.absent("#delete")
			}},
		{name: "import profiles", action: service.ProfilesImport,
			do: func(c *flowRun) {
				c.visit("/profiles")
				c.inPlace("import a file",
					setValue("#import-id", "id"),
					chromedp.SetUploadFiles(css("#import-file"), []string{c.f.files[c.tag]}),
					chromedp.Click(css("#import")), chromedp.WaitVisible(css("#import-result")))
				require.Contains(c.t, c.text("#import-result"), "2")
			},
			refused: func(c *flowRun) {
				c.visit("/profiles")
				c.absent("#import-form")
			}},
		{name: "search profiles and open one",
			do: func(c *flowRun) {
				c.visit("/profiles")
				c.act("next page", chromedp.Click(css("#next-page")), chromedp.WaitVisible(css("#prev-page")))
				c.act("previous page", chromedp.Click(css("#prev-page")), chromedp.WaitVisible(css("#profile-total")))
				c.act("search an id", chromedp.SendKeys(css("#profile-q"), c.f.profile), chromedp.Click(css("#search")),
					chromedp.WaitVisible(css(fmt.Sprintf(`#profiles a[href="/profiles/%s"]`, c.f.profile))))
				c.act("open it", chromedp.Click(css(fmt.Sprintf(`#profiles a[href="/profiles/%s"]`, c.f.profile))), chromedp.WaitVisible(css("#attributes")))
				require.Contains(c.t, c.text("main"), c.f.profile)
				require.NotEmpty(c.t, c.text("#profile-segments"))
			}},
		{name: "filter a run's results and retry the failed", action: service.RunRetry,
			do: func(c *flowRun) {
				c.visit(fmt.Sprintf("/runs/%d", c.f.failed[c.tag].ID))
				c.filterFailed()
				c.act("retry failed contacts now", chromedp.Submit(css("#retry")), chromedp.WaitVisible(css("#run-status")))
				c.waitFor(`document.querySelector('#run[data-final="true"]') !== null`, time.Minute)
				require.Equal(c.t, "succeeded", c.text("#run-status"), c.text("#run-message"))
				c.shot("retry succeeded")
			},
			refused: func(c *flowRun) {
				c.visit(fmt.Sprintf("/runs/%d", c.f.failed[c.tag].ID))
				c.filterFailed()
				c.absent("#retry")
			}},
		{name: "explain an e-mail",
			do: func(c *flowRun) {
				c.visit("/exports")
				c.act("explain", chromedp.SendKeys(css("#explain-email"), "nobody@example.com"), chromedp.Click(css("#explain-go")), chromedp.WaitVisible(css("h1")))
			}},
		{name: "add, change and remove a connection", action: service.ConnectionCreate,
			do: func(c *flowRun) {
				c.visit("/admin/connections")
				c.act("add connection", chromedp.Click(css("#add-connection")), chromedp.WaitVisible(css("#connection-form")))
				name := "Brand " + c.tag
				c.act("save with consent",
					chromedp.SendKeys(css("#name"), name),
					chromedp.SendKeys(css("#api_key"), sandboxKey),
					chromedp.Evaluate[chromedp.Void](`document.querySelector("main details").open = true`),
					chromedp.SendKeys(css("#base_url"), c.f.sbURL),
					chromedp.Click(css("#consent")),
					chromedp.Click(css("#save")), chromedp.WaitVisible(css("#connection")))
				require.Contains(c.t, c.flash(), "saved")
				c.act("rename, switch dialect and rotate the key",
					setValue("#c-name", name+" renamed"),
					setValue("#c-dialect", "v3"),
					chromedp.SendKeys(css("#c-api-key"), sandboxKey),
					chromedp.Click(css("#save-connection")), chromedp.WaitVisible(css(message)))
				require.Contains(c.t, c.text("main"), name+" renamed")
				c.act("remove", chromedp.Click(css("#remove")), chromedp.WaitVisible(css(message)))
				require.Contains(c.t, c.flash(), "removed")
			},
			refused: func(c *flowRun) {
				c.visit("/exports")
				c.absent(`nav a[href="/admin/connections"]`)
				c.forbidden("/admin/connections")
				c.forbidden("/admin/connections/new")
			}},
		{name: "manage a user", action: service.UserAdd,
			do: func(c *flowRun) {
				email := c.f.users[c.tag]
				c.visit("/admin/users")
				c.act("add user",
					chromedp.SendKeys(css(`#add-user input[name=email]`), email),
					chromedp.SendKeys(css(`#add-user input[name=password]`), "a fresh password 1"),
					setValue(`#add-user select[name=role]`, "viewer"),
					chromedp.Click(css(`#add-user button`)), chromedp.WaitVisible(css(message)))
				row := fmt.Sprintf(`tr[data-user=%q]`, email)
				c.act("make contributor", setValue(row+` select[name=role]`, "contributor"), chromedp.Click(css(row+` form[action$="/role"] button`)), chromedp.WaitVisible(css(message)))
				require.Contains(c.t, c.text(row), "contributor")
				c.act("set a password", chromedp.SendKeys(css(row+` input[name=password]`), "another password 2"), chromedp.Click(css(row+` form[action$="/password"] button`)), chromedp.WaitVisible(css(message)))
				c.act("remove", chromedp.Click(css(row+` form[action$="/remove"] button`)), chromedp.WaitVisible(css(message)))
				c.absent(row)
			},
			refused: func(c *flowRun) { c.forbidden("/admin/users") }},
		{name: "create and revoke a token", action: service.TokenCreate,
			do: func(c *flowRun) {
				c.visit("/tokens")
				c.act("create", chromedp.SendKeys(css(`#create-token input[name=name]`), "Token "+c.tag), chromedp.Click(css(`#create-token button`)), chromedp.WaitVisible(css("#token-value")))
				c.act("revoke", chromedp.Click(css(`#tokens form[action$="/revoke"] button`)), chromedp.WaitVisible(css(message)))
				require.Contains(c.t, c.flash(), "revoked")
			}},
		{name: "refresh now", action: service.SystemRefresh,
			do: func(c *flowRun) {
				c.visit("/settings/system")
				c.act("refresh now", chromedp.Click(css("#refresh-now")), chromedp.WaitVisible(css(message)))
			},
			refused: func(c *flowRun) {
				c.visit("/settings/system")
				c.absent("#refresh-now")
			}},
		{name: "change the refresh schedule", action: service.SystemSchedule,
			do: func(c *flowRun) {
				c.visit("/settings/system")
				c.act("a wrong schedule: refused", setValue("#schedule-cron", "0 3 * *"), setValue("#schedule-tz", "Mars/Olympus"),
					chromedp.Click(css("#save-schedule")), chromedp.WaitVisible(css("#error-summary")))
				require.NotEmpty(c.t, c.text("#schedule-cron-error"))
				require.NotEmpty(c.t, c.text("#schedule-tz-error"))
				c.act("save", setValue("#schedule-cron", "15 3 * * *"), setValue("#schedule-tz", "Europe/Prague"),
					chromedp.Click(css("#save-schedule")), chromedp.WaitVisible(css("#flash")))
				require.Contains(c.t, c.text("#schedule"), "15 3 * * *")
			},
			refused: func(c *flowRun) {
				c.visit("/settings/system")
				c.absent("#schedule-form")
			}},
		{name: "revoke another user's token", action: service.TokenRevoke, admins: true,
			do: func(c *flowRun) {
				c.visit("/tokens")
				row := fmt.Sprintf(`#all-tokens tr[data-token=%q]`, c.f.tokens[c.tag])
				c.act("revoke it", chromedp.Click(css(row+` form[action$="/revoke"] button`)), chromedp.WaitVisible(css(message)))
				require.Contains(c.t, c.flash(), "revoked")
				c.absent(row)
			},
			refused: func(c *flowRun) {
				c.visit("/tokens")
				c.absent("#all-tokens")
			}},
		{name: "add a source", action: service.SourceCreate,
			do: func(c *flowRun) {
				c.visit("/admin/sources")
				c.act("add source", chromedp.Click(css("#add-source")), chromedp.WaitVisible(css("#source-form")))
				c.act("save",
					chromedp.SendKeys(css("#name"), "file-"+c.tag),
					setValue("#kind", "file"),
					chromedp.SendKeys(css("#path"), c.f.files[c.tag]),
					setValue("#id_column", "id"),
					chromedp.Click(css("#save")), chromedp.WaitVisible(css(message)))
				require.Contains(c.t, c.flash(), "saved")
			},
			refused: func(c *flowRun) { c.forbidden("/admin/sources") }},
		{name: "add a notification channel", action: service.NotifyChannelCreate,
			do: func(c *flowRun) {
				c.visit("/settings/notifications")
				c.act("save a webhook",
					chromedp.SendKeys(css("#channel-name"), "Hook "+c.tag),
					setValue("#channel-kind", "webhook"),
					chromedp.SendKeys(css("#channel-url"), "https://hooks.example.com/"+c.tag),
					chromedp.SendKeys(css("#channel-secret"), "a signing secret of the flow"),
					chromedp.Click(css("#save-channel")), chromedp.WaitVisible(css(message)))
			},
			refused: func(c *flowRun) {
				c.visit("/settings/notifications")
				c.absent("#add-channel")
			}},
		{name: "change my password", action: service.UserSetPassword,
			do: func(c *flowRun) {
				old := *c.f.pw[c.who]
				next := old + " 2"
				c.visit("/account")
				c.act("change it",
					chromedp.SendKeys(css("#current"), old),
					chromedp.SendKeys(css("#new-password"), next),
					chromedp.SendKeys(css("#repeat"), next),
					chromedp.Click(css("#change-password")), chromedp.WaitVisible(css("#login")))
				require.Contains(c.t, c.flash(), "Your password is changed")
				*c.f.pw[c.who] = next
				c.act("sign in with it",
					chromedp.SendKeys(css("#email"), c.who),
					chromedp.SendKeys(css("#password"), next),
					chromedp.Click(css("#login")), chromedp.WaitVisible(css("#who")))
			}},
	}
}

// TestBrowserFlows does every flow of the web UI in Chromium as an
// admin, a contributor and a viewer, at 1366×900 and at 390×844 (issue
// 14, acceptance 1 and 2): what the role may do, it does to the end;
// what it may not, it is not offered. Every page on the way passes
// axe-core with no serious or critical violation and, at 390 px, does
// not scroll sideways; each is photographed (CI keeps the pictures).
func TestBrowserFlows(t *testing.T) {
	chromiumPath(t)
	axe := axeSource(t)
	ff := newFlowFixture(t)
	require.NoError(t, ff.a.Jobs.Start(ff.ctx, jobs.StartOptions{}))
	t.Cleanup(func() { _ = ff.a.Jobs.Stop(ff.ctx) })
	for _, who := range []struct {
		role  user.Role
		email string
	}{{user.RoleAdmin, adminEmail}, {user.RoleContributor, contributorEmail}, {user.RoleViewer, viewerEmail}} {
		t.Run(string(who.role), func(t *testing.T) {
			t.Parallel()
			br := newBrowser(t, ff.bundle)
			for _, vp := range viewports {
				tag := string(who.role) + "-" + vp.name
				br.run("viewport "+vp.name, chromedp.EmulateViewport(vp.width, vp.height))
				br.open("/login")
				br.run("sign in as "+who.email,
					chromedp.SendKeys(css("#email"), who.email),
					chromedp.SendKeys(css("#password"), *ff.pw[who.email]),
					chromedp.Click(css("#login")),
					chromedp.WaitVisible(css("#who")))
				for _, fl := range flows() {
					c := &flowRun{browser: br, f: ff, role: who.role, who: who.email, vp: vp, axe: axe, tag: tag, name: fl.name}
					switch {
					case may(who.role, fl.action) && (!fl.admins || who.role == user.RoleAdmin):
						fl.do(c)
					case fl.refused != nil:
						fl.refused(c)
					}
				}
				br.logout()
			}
		})
	}
}

// manual makes e run only on demand: the admin's Refresh now must not
// start runs of the exports the other roles' flows run.
func (ff *flowFixture) manual(e export.Export) export.Export {
	ff.t.Helper()
	e.Schedule = export.Schedule{Kind: export.ScheduleManual}
	e, err := ff.a.Store.UpdateExport(ff.ctx, e)
	require.NoError(ff.t, err)
	return e
}

// ownerEmail owns the tokens an admin revokes.
const ownerEmail = "otto@example.com"

// newFlowFixture makes the fixture and, for each role and screen, the
// objects its flows change.
func newFlowFixture(t *testing.T) *flowFixture {
	f := newFixture(t, "")
	ff := &flowFixture{fixture: f, exports: map[string]export.Export{}, segs: map[string]segment.Segment{},
		spare: map[string]segment.Segment{}, blocked: map[string]segment.Segment{}, users: map[string]string{}, files: map[string]string{}, pw: map[string]*string{}, failed: map[string]run.Run{}, refused: map[string]string{}, tokens: map[string]string{}}
	var err error
	ff.seg, err = f.a.Store.GetSegment(f.ctx, "buyers")
	require.NoError(t, err)
	some, err := f.a.Store.ListProfiles(f.ctx, store.ListOptions{Limit: 5})
	require.NoError(t, err)
	for _, p := range some {
		ff.ids = append(ff.ids, p.ID)
	}
	ff.profile = ff.ids[0]
	for _, e := range []string{adminEmail, contributorEmail, viewerEmail} {
		pw := password
		ff.pw[e] = &pw
	}
	// The tokens an admin revokes belong to a user of their own: the
	// contributor's password change revokes the contributor's.
	_, err = f.a.Users.Add(f.ctx, ownerEmail, password, user.RoleContributor)
	require.NoError(t, err)
	owner := principalOf(t, f.bundle, ownerEmail)
	dir := t.TempDir()
	for _, role := range []string{"admin", "contributor", "viewer"} {
		for _, vp := range viewports {
			tag := role + "-" + vp.name
			ff.exports[tag] = ff.manual(f.export("Flow "+tag, f.shared, ff.seg))
			ff.segs[tag] = f.segment("Change "+tag, `p.orders >= 1`)
			ff.spare[tag] = f.segment("Spare "+tag, `p.orders >= 5`)
			ff.blocked[tag] = f.segment("Blocked "+tag, `p.orders >= 4`)
			ff.manual(f.export("Blocker "+tag, f.shared, ff.blocked[tag]))
			ff.users[tag] = "managed-" + tag + "@example.com"
			path := filepath.Join(dir, tag+".csv")
			require.NoError(t, os.WriteFile(path, []byte("id,email,first_name\nflow-"+tag+"-1,one-"+tag+"@example.com,One\nflow-"+tag+"-2,two-"+tag+"@example.com,Two\n"), 0o644))
			ff.files[tag] = path
			// A run through a proxy that has Omnisend refuse two contacts.
			p := newProxy(f.bundle)
			e := ff.manual(p.export("Retry "+tag, ff.seg))
			two := memberEmails(t, f.bundle, ff.seg.ID, 2)
			p.setRefused(two...)
			ff.failed[tag] = f.runToEnd(e)
			require.Equal(t, 2, ff.failed[tag].Counts.FailedTotal(), "two refused")
			p.setRefused()
			ff.refused[tag] = two[0]
			ff.tokens[tag] = "sync " + tag
			_, _, err := f.a.Users.CreateToken(f.ctx, owner, ff.tokens[tag], 0)
			require.NoError(t, err)
		}
	}
	return ff
}
