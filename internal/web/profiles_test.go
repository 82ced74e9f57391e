package web_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"segbridge/internal/profile"
)

// upload posts the import form as a browser does: the fields, then the
// file last.
func (c *client) upload(path string, fields [][2]string, fileName, content string) response {
	c.b.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, f := range fields {
		require.NoError(c.b.t, mw.WriteField(f[0], f[1]))
	}
	if fileName != "" {
		fw, err := mw.CreateFormFile("file", fileName)
		require.NoError(c.b.t, err)
		_, err = fw.Write([]byte(content))
		require.NoError(c.b.t, err)
	}
	require.NoError(c.b.t, mw.Close())
	req, err := http.NewRequest(http.MethodPost, c.b.srv.URL+path, &body)
	require.NoError(c.b.t, err)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", c.b.srv.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return c.do(req)
}

// TestProfilesPage: the Profiles page shows the profile schema to every
// role and the import form to those who may import; an upload is streamed
// into the import with its type pins, bad rows are listed with their
// line numbers, and refusals are plain.
func TestProfilesPage(t *testing.T) {
	onEachEngine(t, func(t *testing.T, dbURL string) {
		b := setup(t, setupOpts{dbURL: dbURL})
		viewer, carl := b.login(viewerEmail), b.login(contributorEmail)

		res := viewer.get("/profiles")
		require.Equal(t, http.StatusOK, res.status)
		contains(t, res.body, "0 attributes over 0 profiles")
		notContains(t, res.body, `id="import-form"`, "a viewer may not import")
		res = viewer.upload("/profiles/import", [][2]string{{"id", "id"}}, "a.csv", "id,email\nv1,v@example.com\n")
		require.Equal(t, http.StatusForbidden, res.status, excerpt(res.body))
		n, err := b.a.Store.CountProfiles(b.ctx)
		require.NoError(t, err)
		require.Zero(t, n)

		res = carl.get("/profiles")
		contains(t, res.body, `id="import-form"`)
		csv := "id,email,postal_code,code\n" +
			"c1,a@example.com,01234,7\n" +
			"c2,b@example.com,12345\n" + // short: rejected, line 3
			"c3,c@example.com,00501,9\n" +
			"c1,d@example.com,99999,1\n" // repeated id: rejected, line 5
		res = carl.upload("/profiles/import", [][2]string{{"id", "id"}, {"types", "code=string, postal_code=string"}}, "customers.csv", csv)
		require.Equal(t, http.StatusOK, res.status, excerpt(res.body))
		contains(t, res.body, "Imported 2, updated 0, unchanged 0, rejected 2 (of 4 rows)")
		require.Regexp(t, `<td>3</td><td>[^<]*(fields|columns)`, res.body, "the short row by its line number")
		require.Regexp(t, `<td>5</td><td>[^<]*c1`, res.body, "the repeated id by its line number")
		require.Regexp(t, `<td class="mono">code</td><td>string</td><td>2</td><td>100%</td><td>pinned</td>`, res.body)
		require.Regexp(t, `<td class="mono">postal_code</td><td>string</td><td>2</td>`, res.body)
		p, err := b.a.Store.GetProfile(b.ctx, "c1")
		require.NoError(t, err)
		require.Equal(t, profile.Attrs{"email": "a@example.com", "postal_code": "01234", "code": "7"}, p.Attrs)

		res = carl.upload("/profiles/import", [][2]string{{"id", "id"}, {"types", "code=money"}}, "c.csv", "id,code\nx,1\n")
		require.Equal(t, http.StatusBadRequest, res.status)
		contains(t, res.body, `unknown type`)
		res = carl.upload("/profiles/import", [][2]string{{"id", "nope"}}, "c.csv", "id,code\nx,1\n")
		require.Equal(t, http.StatusBadRequest, res.status, excerpt(res.body))
		contains(t, res.body, "id column &#34;nope&#34; not found in header (columns: id, code)")
		res = carl.upload("/profiles/import", [][2]string{{"id", "id"}}, "c.csv", "id,code\nx\ny\n")
		require.Equal(t, http.StatusBadRequest, res.status, excerpt(res.body))
		contains(t, res.body, "Every row was rejected (2 of 2): nothing was imported")
		contains(t, res.body, "<td>2</td>")
		res = carl.upload("/profiles/import", [][2]string{{"id", "id"}, {"strict", "yes"}}, "c.csv", "id,code\nx,1\ny\n")
		require.Equal(t, http.StatusBadRequest, res.status, excerpt(res.body))
		_, err = b.a.Store.GetProfile(b.ctx, "x")
		require.Error(t, err, "a strict import with a bad row writes nothing")
		res = carl.upload("/profiles/import", [][2]string{{"id", "id"}}, "", "")
		require.Equal(t, http.StatusBadRequest, res.status)
		contains(t, res.body, "Choose the CSV or JSON Lines file to import")
		res = carl.post("/profiles/import", nil)
		require.Equal(t, http.StatusBadRequest, res.status)
		contains(t, res.body, "not sent as a file upload; choose a file and press Import")

		// JSON Lines, told by the file name.
		res = carl.upload("/profiles/import", [][2]string{{"id", "id"}}, "more.jsonl", `{"id":"j1","email":"j@example.com","postal_code":"02115"}`+"\n")
		require.Equal(t, http.StatusOK, res.status, excerpt(res.body))
		contains(t, res.body, "Imported 1,")
	})
}

// TestBrowserProfilesImport: a contributor opens Data → Profiles, uploads
// a CSV with a pinned type in Chromium and sees the result and the
// schema.
func TestBrowserProfilesImport(t *testing.T) {
	chromiumPath(t)
	b := setup(t, setupOpts{})
	br := newBrowser(t, b)
	file := filepath.Join(t.TempDir(), "loyalty.csv")
	require.NoError(t, os.WriteFile(file, []byte("id,email,postal_code,tier\nL1,l1@example.com,01234,1\nL2,l2@example.com,00501,2\n"), 0o600))
	br.open("/login")
	br.login(contributorEmail)
	br.open("/exports")
	br.run("open profiles", chromedp.Click(css(`nav a[href="/profiles"]`)), chromedp.WaitVisible(css("#import-form")))
	br.run("fill the import",
		chromedp.SendKeys(css("#import-types"), "tier=string"),
		chromedp.SetUploadFiles(css("#import-file"), []string{file}),
	)
	br.screenshot("profiles-import-form")
	br.run("import", chromedp.Click(css("#import")), chromedp.WaitVisible(css("#import-result")))
	require.Contains(t, br.text("#import-result"), "Imported 2, updated 0, unchanged 0, rejected 0 (of 2 rows)")
	require.Contains(t, br.text("#schema-summary"), "3 attributes over 2 profiles")
	require.Regexp(t, `tier\s+string\s+2\s+100%\s+pinned`, br.text("#schema"))
	require.Regexp(t, `postal_code\s+string\s+2`, br.text("#schema"))
	br.screenshot("profiles-imported")
}

// TestSegmentPages: a segment's page shows it and the exports that send
// it; its rule is previewed and changed there (refreshed on save), a rule
// error is shown with its position, a segment an export sends is not
// deleted (the page names the export), a static segment is made from
// pasted ids and an uploaded file, and deleted.
func TestSegmentPages(t *testing.T) {
	onEachEngine(t, func(t *testing.T, dbURL string) {
		f := newFixture(t, dbURL)
		res := f.viewr.get("/segments")
		contains(t, res.body, `<a href="/segments/buyers">Buyers</a>`)
		res = f.viewr.get("/segments/buyers")
		require.Equal(t, http.StatusOK, res.status)
		contains(t, res.body, "Team export")
		notContains(t, res.body, "Secret export", "a viewer does not see exports on admin-only connections")
		contains(t, res.body, "1 export(s) you cannot see")
		notContains(t, res.body, `id="rule-form"`)
		res = f.viewr.post("/segments/buyers", url.Values{"rule": {"p.orders >= 2"}, "action": {"save"}})
		require.Equal(t, http.StatusForbidden, res.status)

		res = f.admin.post("/segments/buyers", url.Values{"rule": {"p.orders >= 2"}, "action": {"preview"}})
		require.Equal(t, http.StatusOK, res.status)
		require.Regexp(t, `\d+ of 60 profiles match`, res.body)
		res = f.admin.post("/segments/buyers", url.Values{"rule": {`p.orders > "x"`}, "action": {"save"}})
		require.Equal(t, http.StatusBadRequest, res.status)
		contains(t, res.body, "line 1, column 10")
		res = f.admin.post("/segments/buyers", url.Values{"rule": {"p.orders >= 2"}, "action": {"save"}})
		require.Equal(t, http.StatusSeeOther, res.status, excerpt(res.body))
		require.Equal(t, "/segments/buyers", res.location)
		seg, err := f.a.Store.GetSegment(f.ctx, "buyers")
		require.NoError(t, err)
		require.Equal(t, "p.orders >= 2", seg.Rule)
		require.False(t, seg.RefreshedAt.IsZero())

		res = f.admin.post("/segments/buyers/delete", nil)
		require.Equal(t, http.StatusSeeOther, res.status)
		res = f.admin.get(res.location)
		contains(t, res.body, "is used by")
		contains(t, res.body, "Team export")

		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		for k, v := range map[string]string{"name": "Picked", "kind": "static", "ids": "c-1\nc-2, c-3"} {
			require.NoError(t, mw.WriteField(k, v))
		}
		fw, err := mw.CreateFormFile("ids_file", "more.txt")
		require.NoError(t, err)
		_, _ = fw.Write([]byte("c-4\nc-5\n"))
		require.NoError(t, mw.Close())
		req, err := http.NewRequest(http.MethodPost, f.srv.URL+"/segments", &body)
		require.NoError(t, err)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Origin", f.srv.URL)
		res = f.contrib.do(req)
		require.Equal(t, http.StatusSeeOther, res.status, excerpt(res.body))
		picked, err := f.a.Store.GetSegment(f.ctx, "Picked")
		require.NoError(t, err)
		require.Equal(t, 5, picked.StaticCount)
		res = f.contrib.post("/segments", url.Values{"name": {"Empty"}, "kind": {"static"}})
		require.Equal(t, http.StatusBadRequest, res.status)
		res = f.contrib.post("/segments/picked/delete", nil)
		require.Equal(t, http.StatusSeeOther, res.status)
		require.Equal(t, "/segments", res.location)
		_, err = f.a.Store.GetSegment(f.ctx, "Picked")
		require.Error(t, err)
	})
}
