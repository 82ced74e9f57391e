package surfaces_test

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/app"
	"segbridge/internal/audit"
	"segbridge/internal/cli"
	"segbridge/internal/connection"
	"segbridge/internal/demodata"
	"segbridge/internal/export"
	"segbridge/internal/messagecheck"
	"segbridge/internal/omnisend"
	"segbridge/internal/omnisend/sandbox"
	"segbridge/internal/profile"
	"segbridge/internal/segment"
	"segbridge/internal/server"
	"segbridge/internal/user"
)

const (
	sandboxKey = "sbx-surfaces-Key-8Jd3"
	password   = "correct horse battery staple"
)

// The users of every fixture, by role.
var emails = map[user.Role]string{
	user.RoleAdmin:       "ada@example.com",
	user.RoleContributor: "carl@example.com",
	user.RoleViewer:      "vera@example.com",
}

// fixture is one installation: an app on SQLite in a data directory that
// the CLI opens too, the API and the web UI behind one HTTP server, a
// sandbox Omnisend, a user and an API token per role, and data:
//   - connection "Shared" (contributors may use it) and "Private" (admins);
//   - segments "Shared seg" (sent by "Shared export" on Shared), "Private
//     seg" (sent by "Private export" on Private) and "Free seg" (unused).
type fixture struct {
	t       *testing.T
	ctx     context.Context
	a       *app.App
	dataDir string
	srv     *httptest.Server
	sbURL   string
	hookURL string // a webhook receiver that answers 204
	tokens  map[user.Role]string
	web     map[user.Role]*http.Client
	ids     map[string]int64 // ids of the fixture's objects by name
}

func setup(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	sb, err := sandbox.New(sandbox.Config{TimeScale: 60, TagDelay: time.Nanosecond,
		Keys: []sandbox.Key{{Key: sandboxKey, BrandID: "brand-s", BrandName: "Surfaces"}}})
	require.NoError(t, err)
	sbSrv := httptest.NewServer(sb)
	t.Cleanup(sbSrv.Close)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	t.Cleanup(hook.Close)
	dir := t.TempDir()
	a, err := app.Open(ctx, app.Config{DataDir: dir, PasswordCost: 4,
		Omnisend: app.OmnisendConfig{Window: time.Second, PollInterval: 10 * time.Millisecond}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = a.Close() })
	srv, err := server.New(server.Config{App: a})
	require.NoError(t, err)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	f := &fixture{t: t, ctx: ctx, a: a, dataDir: dir, srv: hs, sbURL: sbSrv.URL, hookURL: hook.URL,
		tokens: map[user.Role]string{}, web: map[user.Role]*http.Client{}, ids: map[string]int64{}}
	for role, email := range emails {
		u, err := a.Users.Add(ctx, email, password, role)
		require.NoError(t, err)
		_, tok, err := a.Users.CreateToken(ctx, user.Principal{UserID: u.ID, Email: u.Email, Role: u.Role, Via: "session"}, "t", 0)
		require.NoError(t, err)
		f.tokens[role] = tok
		f.web[role] = f.login(email)
	}
	f.data()
	return f
}

// data stores the fixture's profiles, connections, segments and exports
// directly: they are the stage, not the use cases under test.
func (f *fixture) data() {
	var buf bytes.Buffer
	require.NoError(f.t, demodata.Generate(&buf, demodata.Options{Profiles: 40, Seed: 3, Format: profile.FormatCSV}))
	open := func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf.Bytes())), nil }
	_, err := profile.Import(f.ctx, open, f.a.Store, profile.ImportOptions{Read: profile.ReadOptions{Format: profile.FormatCSV, IDColumn: "id"}})
	require.NoError(f.t, err)
	conns := map[string]connection.Access{"Shared": connection.AccessContributors, "Private": connection.AccessAdmins}
	for name, access := range conns {
		c, err := f.a.Connections.Create(f.ctx, connection.Draft{Name: name, Access: access,
			APIKey: omnisend.NewSecret(sandboxKey), BaseURL: f.sbURL, ExportUser: emails[user.RoleAdmin],
			Consent: connection.Consent{By: emails[user.RoleAdmin], At: time.Now(), NoticeVersion: connection.NoticeVersion}})
		require.NoError(f.t, err)
		f.ids[name] = c.ID
	}
	for _, name := range []string{"Shared seg", "Private seg", "Free seg"} {
		d, err := segment.NewRuleDraft(name, "p.orders > 1")
		require.NoError(f.t, err)
		seg, err := f.a.Store.CreateSegment(f.ctx, d, time.Now())
		require.NoError(f.t, err)
		f.ids[name] = seg.ID
	}
	for _, name := range []string{"Shared", "Private"} {
		e, err := f.a.Store.CreateExport(f.ctx, export.Export{Name: name + " export", ConnectionID: f.ids[name],
			Segments: []int64{f.ids[name+" seg"]}, Active: true, Mapping: export.Mapping{Email: "email"},
			Schedule: export.Schedule{Kind: export.ScheduleManual}, CreatedAt: time.Now(), UpdatedAt: time.Now()}.WithDefaults())
		require.NoError(f.t, err)
		f.ids[e.Name] = e.ID
	}
}

// login signs in to the web UI as email.
func (f *fixture) login(email string) *http.Client {
	jar, err := cookiejar.New(nil)
	require.NoError(f.t, err)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res := f.webPost(c, "/login", url.Values{"email": {email}, "password": {password}, "next": {"/exports"}})
	require.Equal(f.t, http.StatusSeeOther, res.status, res.msg)
	return c
}

// outcome is how an interface answered a use case.
type outcome struct {
	ok     bool
	status int // HTTP status, or the CLI's exit code
	msg    string
}

// cliRun runs the CLI in-process on the fixture's data directory as role
// ("" acts as the local operator).
func (f *fixture) cliRun(role user.Role, stdin string, args ...string) outcome {
	full := []string{"--data-dir", f.dataDir}
	if role != "" {
		full = append(full, "--as", emails[role])
	}
	full = append(full, args...)
	var out, errOut bytes.Buffer
	code := cli.Execute(f.ctx, full, strings.NewReader(stdin), &out, &errOut)
	o := outcome{ok: code == 0, status: code, msg: strings.TrimSpace(errOut.String())}
	if !o.ok {
		messages.Add("segbridge "+strings.Join(args, " "), o.msg)
	}
	return o
}

// apiCall sends a JSON request to the API with role's token.
func (f *fixture) apiCall(role user.Role, method, path string, body any) outcome {
	var rd io.Reader
	ct := "application/json"
	switch b := body.(type) {
	case nil:
	case []byte: // a CSV upload
		rd, ct = bytes.NewReader(b), "text/csv"
	default:
		raw, err := json.Marshal(b)
		require.NoError(f.t, err)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, f.srv.URL+"/api/v1"+path, rd)
	require.NoError(f.t, err)
	req.Header.Set("Authorization", "Bearer "+f.tokens[role])
	if body != nil {
		req.Header.Set("Content-Type", ct)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(f.t, err)
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	require.NoError(f.t, err)
	o := outcome{ok: res.StatusCode < 300, status: res.StatusCode}
	var problem struct {
		Detail string `json:"detail"`
		Errors []struct {
			Message  string `json:"message"`
			Location string `json:"location"`
		} `json:"errors"`
	}
	if !o.ok && json.Unmarshal(data, &problem) == nil {
		o.msg = problem.Detail
		messages.Add(method+" "+path, problem.Detail)
		for _, e := range problem.Errors {
			o.msg += " | " + e.Location + ": " + e.Message
			messages.Add(method+" "+path, e.Message)
		}
	}
	return o
}

// webPost posts a form as a same-origin browser of c would.
func (f *fixture) webPost(c *http.Client, path string, form url.Values) outcome {
	return f.webSend(c, path, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
}

// webUpload posts a file upload form (fields, then the file) as a
// browser does.
func (f *fixture) webUpload(c *http.Client, path string, form url.Values, fileName, content string) outcome {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, vs := range form {
		for _, v := range vs {
			require.NoError(f.t, mw.WriteField(k, v))
		}
	}
	fw, err := mw.CreateFormFile("file", fileName)
	require.NoError(f.t, err)
	_, err = fw.Write([]byte(content))
	require.NoError(f.t, err)
	require.NoError(f.t, mw.Close())
	return f.webSend(c, path, mw.FormDataContentType(), &body)
}

func (f *fixture) webSend(c *http.Client, path, contentType string, body io.Reader) outcome {
	req, err := http.NewRequest(http.MethodPost, f.srv.URL+path, body)
	require.NoError(f.t, err)
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Origin", f.srv.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	res, err := c.Do(req)
	require.NoError(f.t, err)
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	require.NoError(f.t, err)
	o := outcome{ok: res.StatusCode < 400, status: res.StatusCode, msg: pageError(string(data))}
	messages.Add("POST "+path, o.msg)
	return o
}

// errorText finds a page's error texts: the error page's message, a
// form's error and a failure flash.
var errorText = regexp.MustCompile(`(?s)<(?:p|li)[^>]*(?:id="error-message"|id="form-error"|class="flash bad"[^>]*id="flash"|class="problem")[^>]*>(.*?)</(?:p|li)>`)

// pageError is the error text a page shows, if any.
func pageError(body string) string {
	var out []string
	for _, m := range errorText.FindAllStringSubmatch(body, -1) {
		out = append(out, html.UnescapeString(strings.TrimSpace(regexp.MustCompile(`<[^>]+>`).ReplaceAllString(m[1], ""))))
	}
	return strings.Join(out, " | ")
}

// messages collects every error message the tests provoke: none may show
// internals (a driver's prefix, a Go identifier).
var messages = &messagecheck.Collector{}

func TestMain(m *testing.M) { os.Exit(messages.Main(m, os.Stderr)) }

// audits returns the audit entries with action.
func (f *fixture) audits(action string) []audit.Entry {
	es, err := f.a.Audit.List(f.ctx, audit.ListOptions{Limit: 1000})
	require.NoError(f.t, err)
	var out []audit.Entry
	for _, e := range es {
		if e.Action == action {
			out = append(out, e)
		}
	}
	return out
}

// file writes content to a file beside the data directory and returns its
// path.
func (f *fixture) file(name, content string) string {
	path := filepath.Join(filepath.Dir(f.dataDir), name)
	require.NoError(f.t, os.WriteFile(path, []byte(content), 0o600))
	return path
}

// token creates an API token of the user with email (as the stage of a
// revoke) and returns its id.
func (f *fixture) token(email string) int64 {
	u, err := f.a.Users.Get(f.ctx, email)
	require.NoError(f.t, err)
	tok, _, err := f.a.Users.CreateToken(f.ctx, user.Principal{UserID: u.ID, Email: u.Email, Role: u.Role, Via: "session"}, "victim", 0)
	require.NoError(f.t, err)
	return tok.ID
}
