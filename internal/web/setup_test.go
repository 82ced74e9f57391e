package web_test

import (
	"bytes"
	"context"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/app"
	"segbridge/internal/connection"
	"segbridge/internal/demodata"
	"segbridge/internal/export"
	"segbridge/internal/httpauth"
	"segbridge/internal/messagecheck"
	"segbridge/internal/omnisend"
	"segbridge/internal/omnisend/sandbox"
	"segbridge/internal/profile"
	"segbridge/internal/segment"
	"segbridge/internal/store/postgres/pgtest"
	"segbridge/internal/user"
	"segbridge/internal/web"
)

// timeScale runs the sandbox's minutes fast, so a run takes seconds.
const timeScale = 60

// sandboxKey is the API key of the test sandbox: distinctive, so a test
// can look for it anywhere it must not be.
const sandboxKey = "sbx-live-7Hq2ZpLm9WcXv4Rt"

// Users every bundle has (password: password+role).
const (
	adminEmail       = "ada@example.com"
	contributorEmail = "carl@example.com"
	viewerEmail      = "vera@example.com"
	password         = "correct horse battery staple"
)

// bundle is one segbridge installation behind the web UI's handler stack
// (authentication and cross-origin protection as the server wraps it),
// with a sandbox Omnisend.
type bundle struct {
	t     testing.TB
	ctx   context.Context
	a     *app.App
	srv   *httptest.Server
	sb    *sandbox.Server
	sbURL string
	logs  *syncBuffer
}

type setupOpts struct {
	dbURL    string
	profiles int
	now      func() time.Time // the app's clock (default time.Now)
}

// onEachEngine runs fn on SQLite and, when SEGBRIDGE_TEST_DATABASE_URL is
// set, on PostgreSQL.
func onEachEngine(t *testing.T, fn func(t *testing.T, dbURL string)) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) { t.Parallel(); fn(t, "") })
	t.Run("postgres", func(t *testing.T) { t.Parallel(); fn(t, pgtest.URL(t)) })
}

func setup(t testing.TB, o setupOpts) *bundle {
	t.Helper()
	ctx := context.Background()
	sb, err := sandbox.New(sandbox.Config{TimeScale: timeScale, TagDelay: time.Nanosecond,
		Keys: []sandbox.Key{{Key: sandboxKey, BrandID: "brand-acme", BrandName: "Acme Store"}}})
	require.NoError(t, err)
	sbSrv := httptest.NewServer(sb)
	t.Cleanup(sbSrv.Close)
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	window := time.Minute / timeScale
	a, err := app.Open(ctx, app.Config{
		DatabaseURL: o.dbURL, DataDir: t.TempDir(), Logger: logger, PasswordCost: 4, Now: o.now,
		Omnisend: app.OmnisendConfig{
			Budget: omnisend.NewWindowBudget(omnisend.WindowBudgetConfig{
				General: omnisend.Limit{Requests: 360, Window: window},
				Tags:    omnisend.Limit{Requests: 54, Window: window},
			}, nil),
			Window: window, PollInterval: 20 * time.Millisecond,
		},
		Worker: app.WorkerConfig{FetchPollInterval: 50 * time.Millisecond},
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = a.Close() })
	for email, role := range map[string]user.Role{adminEmail: user.RoleAdmin, contributorEmail: user.RoleContributor, viewerEmail: user.RoleViewer} {
		_, err := a.Users.Add(ctx, email, password, role)
		require.NoError(t, err)
	}
	h, err := web.New(web.Config{App: a, Logger: logger})
	require.NoError(t, err)
	srv := httptest.NewServer(httpauth.CrossOrigin(httpauth.Middleware(a.Users)(h)))
	t.Cleanup(srv.Close)
	b := &bundle{t: t, ctx: ctx, a: a, srv: srv, sb: sb, sbURL: sbSrv.URL, logs: logs}
	if o.profiles > 0 {
		b.importProfiles(o.profiles)
	}
	return b
}

// importProfiles imports n generated sample profiles.
func (b *bundle) importProfiles(n int) {
	b.t.Helper()
	var buf bytes.Buffer
	require.NoError(b.t, demodata.Generate(&buf, demodata.Options{Profiles: n, Seed: 7, Format: profile.FormatCSV}))
	data := buf.Bytes()
	open := func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
	_, err := profile.Import(b.ctx, open, b.a.Store, profile.ImportOptions{
		Read: profile.ReadOptions{Format: profile.FormatCSV, IDColumn: "id"},
	})
	require.NoError(b.t, err)
}

// segment creates and refreshes a rule segment.
func (b *bundle) segment(name, rule string) segment.Segment {
	b.t.Helper()
	d, err := segment.NewRuleDraft(name, rule)
	require.NoError(b.t, err)
	seg, err := b.a.Store.CreateSegment(b.ctx, d, time.Now())
	require.NoError(b.t, err)
	_, err = segment.Refresh(b.ctx, b.a.Store, seg, time.Now())
	require.NoError(b.t, err)
	seg, err = b.a.Store.GetSegment(b.ctx, seg.Slug)
	require.NoError(b.t, err)
	return seg
}

// connection creates a connection to the sandbox directly.
func (b *bundle) connection(name string, access connection.Access) connection.Connection {
	b.t.Helper()
	c, err := b.a.Connections.Create(b.ctx, connection.Draft{
		Name: name, Access: access, APIKey: omnisend.NewSecret(sandboxKey), BaseURL: b.sbURL, ExportUser: adminEmail,
		Consent: connection.Consent{By: adminEmail, At: time.Now(), NoticeVersion: connection.NoticeVersion},
	})
	require.NoError(b.t, err)
	return c
}

// export creates an export on c sending seg.
func (b *bundle) export(name string, c connection.Connection, seg segment.Segment) export.Export {
	b.t.Helper()
	e, err := b.a.Store.CreateExport(b.ctx, export.Export{
		Name: name, ConnectionID: c.ID, Segments: []int64{seg.ID}, Active: true,
		Mapping:   export.Mapping{Email: "email", FirstName: "first_name"},
		CreatedAt: time.Now(), UpdatedAt: time.Now(),
	}.WithDefaults())
	require.NoError(b.t, err)
	return e
}

// messages collects every error text the tests provoke on a page: none
// may show internals (a driver's prefix, a Go identifier).
var messages = &messagecheck.Collector{}

func TestMain(m *testing.M) { os.Exit(messages.Main(m, os.Stderr)) }

// errorText finds the error texts of a page: the error page's message,
// a form's error and a failure flash.
var errorText = regexp.MustCompile(`(?s)<(?:p|li)[^>]*(?:id="error-message"|id="form-error"|class="flash bad"[^>]*id="flash"|class="problem")[^>]*>(.*?)</(?:p|li)>`)

// tags are the markup inside an error text (the summary's links).
var tags = regexp.MustCompile(`<[^>]+>`)

func pageErrors(body string) []string {
	var out []string
	for _, m := range errorText.FindAllStringSubmatch(body, -1) {
		out = append(out, html.UnescapeString(tags.ReplaceAllString(m[1], "")))
	}
	return out
}

// client is a browser-like HTTP client of one user: it keeps cookies and
// does not follow redirects (tests look at them).
type client struct {
	b *bundle
	c *http.Client
}

func (b *bundle) anon() *client {
	jar, _ := cookiejar.New(nil)
	return &client{b: b, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// login signs in as email and returns the signed-in client.
func (b *bundle) login(email string) *client {
	b.t.Helper()
	c := b.anon()
	res := c.post("/login", url.Values{"email": {email}, "password": {password}, "next": {"/exports"}})
	require.Equal(b.t, http.StatusSeeOther, res.status, res.body)
	require.Equal(b.t, "/exports", res.location)
	return c
}

type response struct {
	status   int
	location string
	body     string
	header   http.Header
}

func (c *client) do(req *http.Request) response {
	c.b.t.Helper()
	res, err := c.c.Do(req)
	require.NoError(c.b.t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(c.b.t, err)
	for _, m := range pageErrors(string(body)) {
		messages.Add(req.Method+" "+req.URL.Path, m)
	}
	return response{status: res.StatusCode, location: res.Header.Get("Location"), body: string(body), header: res.Header}
}

func (c *client) get(path string) response {
	c.b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.b.srv.URL+path, nil)
	require.NoError(c.b.t, err)
	return c.do(req)
}

// post sends a form as a same-origin browser would.
func (c *client) post(path string, form url.Values) response {
	c.b.t.Helper()
	return c.postWith(path, form, map[string]string{"Origin": c.b.srv.URL, "Sec-Fetch-Site": "same-origin"})
}

func (c *client) postWith(path string, form url.Values, headers map[string]string) response {
	c.b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.b.srv.URL+path, strings.NewReader(form.Encode()))
	require.NoError(c.b.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	return c.do(req)
}

// syncBuffer collects log output from concurrent goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// principalOf is the principal of the user with email.
func principalOf(t testing.TB, b *bundle, email string) user.Principal {
	t.Helper()
	u, err := b.a.Users.Get(b.ctx, email)
	require.NoError(t, err)
	return user.Principal{UserID: u.ID, Email: u.Email, Role: u.Role, Via: "session"}
}
