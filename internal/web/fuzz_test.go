package web_test

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var (
	formRe  = regexp.MustCompile(`(?s)<form[^>]*method="post"[^>]*action="([^"]+)"[^>]*>(.*?)</form>`)
	fieldRe = regexp.MustCompile(`<(?:input|select|textarea)[^>]*name="([^"]+)"`)
)

// fuzzValues are what every field of every form is posted with.
var fuzzValues = map[string]string{
	"empty":      "",
	"overlong":   strings.Repeat("x", 100_000),
	"wrong type": "not a number: -1.5e999",
	"markup":     `<script>alert("x")</script>'"&`,
}

// TestFormsRefuseBadInputPlainly posts every form of every page, as an
// admin, with every field empty, overlong, of the wrong type and full of
// markup: no answer is a server error, and the markup never comes back
// unescaped (issue 14: no invalid input ever answers 500).
func TestFormsRefuseBadInputPlainly(t *testing.T) {
	f := newFixture(t, "")
	pages := adminPages(t, f)
	tried, refusedBeside := map[string]bool{}, map[string]bool{}
	posts, fieldErrs := 0, 0
	for _, page := range pages {
		res := f.admin.get(page)
		require.Less(t, res.status, 500, page)
		for _, m := range formRe.FindAllStringSubmatch(res.body, -1) {
			action := html.UnescapeString(m[1])
			if action == "/logout" || strings.HasSuffix(action, "/remove") || strings.HasSuffix(action, "/delete") || tried[action] {
				continue // sign-out and removals take no input worth fuzzing
			}
			tried[action] = true
			var names []string
			for _, fm := range fieldRe.FindAllStringSubmatch(m[2], -1) {
				names = append(names, fm[1])
			}
			for kind, v := range fuzzValues {
				form := url.Values{}
				for _, n := range names {
					form.Add(n, v)
				}
				res := f.admin.post(action, form)
				posts++
				require.Less(t, res.status, 500, "%s with %s values (from %s): %s", action, kind, page, excerpt(res.body))
				require.NotContains(t, res.body, `<script>alert("x")</script>`, "%s echoed markup unescaped", action)
				if res.status == http.StatusSeeOther && res.location != "" && !strings.HasPrefix(res.location, "/login") {
					res = f.admin.get(res.location) // a refusal shown as a flash on the next page
				}
				n := checkErrorsNameFields(t, action, kind, names, res)
				fieldErrs += n
				if n > 0 {
					refusedBeside[action] = true
				}
			}
		}
	}
	t.Logf("%d forms posted %d times; %d field errors shown beside their fields, on %d forms", len(tried), posts, fieldErrs, len(refusedBeside))
	require.GreaterOrEqual(t, len(tried), 15, "the pages' forms were found")
	for _, action := range formsWithFieldErrors(f) {
		require.True(t, refusedBeside[action], "%s: bad values were refused with an error beside a field", action)
	}
}

var (
	fieldErrorRe = regexp.MustCompile(`<p class="field-error" id="([^"]+)-error">(.*?)</p>`)
	summaryRe    = regexp.MustCompile(`(?s)<div class="error-summary".*?</div>`)
	generalRe    = regexp.MustCompile(`(?s)<p[^>]*(?:id="error-message"|id="form-error"|class="flash bad"[^>]*id="flash")[^>]*>(.*?)</p>`)
	labelRe      = regexp.MustCompile(`(?s)<label[^>]*>\s*([^<]+?)\s*<`)
)

// formsWithFieldErrors are the forms whose fields the fuzzing values make
// invalid: each must answer with an error beside a field at least once.
func formsWithFieldErrors(f *fixture) []string {
	return []string{"/exports", fmt.Sprintf("/exports/%d/edit", f.sharedExp.ID), "/segments", "/segments/buyers",
		"/admin/connections", fmt.Sprintf("/admin/connections/%d", f.shared.ID), "/admin/users", "/admin/sources",
		"/settings/notifications/channels", "/settings/notifications/rules", "/tokens", "/account/password"}
}

// checkErrorsNameFields checks that each error of res names its field: an
// error beside a field sits beside an input that was posted (aria-invalid,
// aria-describedby, linked from the summary); an error of the whole form
// names the label of one of the fields posted, or is one of those that no
// field causes. It returns how many errors stood beside fields.
func checkErrorsNameFields(t *testing.T, action, kind string, names []string, res response) int {
	t.Helper()
	body := res.body
	errs := fieldErrorRe.FindAllStringSubmatch(body, -1)
	for _, m := range errs {
		id := m[1]
		require.NotEmpty(t, strings.TrimSpace(m[2]), "%s (%s): the error beside %s says what is wrong", action, kind, id)
		el := regexp.MustCompile(`<(input|select|textarea|div|fieldset)\b[^>]*\bid="` + regexp.QuoteMeta(id) + `"[^>]*>`).FindStringSubmatch(body)
		require.NotNil(t, el, "%s (%s): an error for %q but no such field", action, kind, id)
		require.Contains(t, body, `aria-describedby="`+id+`-error"`, "%s (%s): field %s points to its error", action, kind, id)
		if el[1] != "div" && el[1] != "fieldset" {
			require.Contains(t, el[0], `aria-invalid="true"`, "%s (%s): field %s is marked invalid", action, kind, id)
			name := regexp.MustCompile(`\bname="([^"]+)"`).FindStringSubmatch(el[0])
			require.NotNil(t, name, "%s (%s): field %s has a name", action, kind, id)
			require.Contains(t, names, name[1], "%s (%s): the error stands beside %s, a field that was posted", action, kind, name[1])
		}
		require.Contains(t, summaryRe.FindString(body), `href="#`+id+`"`, "%s (%s): the summary links to %s", action, kind, id)
	}
	if res.status < 400 && !strings.Contains(body, `class="flash bad"`) {
		return len(errs)
	}
	if len(errs) > 0 {
		return len(errs)
	}
	// No field has an error: the page's one message names a field by its
	// label, or is an error no field causes.
	var general []string
	for _, m := range generalRe.FindAllStringSubmatch(body, -1) {
		general = append(general, html.UnescapeString(m[1]))
	}
	msg := strings.Join(general, " ")
	require.NotEmpty(t, msg, "%s (%s): status %d says what is wrong: %s", action, kind, res.status, excerpt(body))
	for _, l := range labelRe.FindAllStringSubmatch(body, -1) {
		if label := strings.TrimSpace(html.UnescapeString(l[1])); label != "" && strings.Contains(strings.ToLower(msg), strings.ToLower(label)) {
			return 0
		}
	}
	for _, why := range notAboutAField {
		if strings.Contains(msg, why) {
			return 0
		}
	}
	t.Errorf("%s with %s values: the error names no field: %q", action, kind, msg)
	return 0
}

// notAboutAField are the errors of the fuzzed forms that no one field
// causes, with the reason.
var notAboutAField = []string{
	"Nothing changed",               // a change form posted with the values it has
	"nothing to change",             // the same, refused by the service
	"Wrong e-mail or password",      // sign-in: which of the two is wrong is not said
	"could not be read",             // an upload form posted without being a file upload
	"was not sent as a file upload", // the import form posted as a plain form
	"run in progress",               // Run now while a run works: the form has no field
}
