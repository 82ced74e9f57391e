package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/app"
	"segbridge/internal/connection"
	"segbridge/internal/demodata"
	"segbridge/internal/export"
	"segbridge/internal/messagecheck"
	"segbridge/internal/omnisend"
	"segbridge/internal/omnisend/sandbox"
	"segbridge/internal/profile"
	"segbridge/internal/run"
	"segbridge/internal/segment"
	"segbridge/internal/server"
	"segbridge/internal/store"
	"segbridge/internal/store/postgres/pgtest"
	"segbridge/internal/user"
)

// The Omnisend key every fixture connection uses: the sandbox knows it,
// and no response or log line may contain it (nor, for non-admins, its
// last 4 characters).
const (
	apiKey      = "sbx-Leak-Canary-Key-7Qz9"
	apiKeyLast4 = "7Qz9"
	password    = "correct horse battery staple"
)

// messages collects every problem the tests provoke: none may show
// internals (a driver's prefix, a Go identifier).
var messages = &messagecheck.Collector{}

func TestMain(m *testing.M) { os.Exit(messages.Main(m, os.Stderr)) }

// collectProblem adds a problem+json answer's detail and error messages.
func collectProblem(where string, raw []byte) {
	var p struct {
		Detail string `json:"detail"`
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	if json.Unmarshal(raw, &p) != nil {
		return
	}
	messages.Add(where, p.Detail)
	for _, e := range p.Errors {
		messages.Add(where, e.Message)
	}
}

// roles are the ways a request is made in the table tests.
var roles = []string{"admin", "contributor", "viewer", "none"}

// fixture is one segbridge installation behind a real HTTP server, with a
// sandbox Omnisend, a user and an API token per role, and data.
type fixture struct {
	t       *testing.T
	ctx     context.Context
	a       *app.App
	srv     *httptest.Server
	sandbox *httptest.Server
	logs    *syncBuffer
	users   map[string]user.Principal // by role
	tokens  map[string]string         // by role
	// sharedRun and adminRun are finished runs of "Shared Export" and
	// "Admin Export".
	sharedRun, adminRun int64
	profileID           string
}

// onEachEngine runs fn on SQLite and, when SEGBRIDGE_TEST_DATABASE_URL is
// set, on PostgreSQL.
func onEachEngine(t *testing.T, fn func(t *testing.T, dbURL string)) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) { t.Parallel(); fn(t, "") })
	t.Run("postgres", func(t *testing.T) { t.Parallel(); fn(t, pgtest.URL(t)) })
}

// syncBuffer is a log sink tests can read while the server writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func setup(t *testing.T, dbURL string) *fixture {
	t.Helper()
	ctx := context.Background()
	sb, err := sandbox.New(sandbox.Config{TimeScale: 60, Keys: []sandbox.Key{{Key: apiKey, BrandID: "brand-1", BrandName: "Test brand"}}})
	require.NoError(t, err)
	sbSrv := httptest.NewServer(sb)
	t.Cleanup(sbSrv.Close)
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	window := time.Second
	a, err := app.Open(ctx, app.Config{
		DatabaseURL: dbURL, DataDir: t.TempDir(), Logger: logger,
		// bcrypt's cheapest cost: logins take microseconds, so the login
		// limits' refill (one attempt per 10 s) never shows within a test.
		PasswordCost: 4,
		Omnisend: app.OmnisendConfig{
			Budget: omnisend.NewWindowBudget(omnisend.WindowBudgetConfig{
				General: omnisend.Limit{Requests: 360, Window: window},
				Tags:    omnisend.Limit{Requests: 54, Window: window},
			}, nil),
			Window: window, PollInterval: 20 * time.Millisecond,
		},
	})
	require.NoError(t, err)
	t.Cleanup(func() { a.Close() })
	srv, err := server.New(server.Config{App: a, Logger: logger})
	require.NoError(t, err)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	f := &fixture{t: t, ctx: ctx, a: a, srv: hs, sandbox: sbSrv, logs: logs,
		users: map[string]user.Principal{}, tokens: map[string]string{}}
	f.addUsers()
	f.addData()
	return f
}

// addUsers adds a user and an API token per role.
func (f *fixture) addUsers() {
	for _, role := range []user.Role{user.RoleAdmin, user.RoleContributor, user.RoleViewer} {
		u, err := f.a.Users.Add(f.ctx, string(role)+"@example.com", password, role)
		require.NoError(f.t, err)
		p := user.Principal{UserID: u.ID, Email: u.Email, Role: u.Role, Via: "token"}
		_, tok, err := f.a.Users.CreateToken(f.ctx, p, "tests", 0)
		require.NoError(f.t, err)
		f.users[string(role)], f.tokens[string(role)] = p, tok
	}
}

// addData imports profiles, creates a segment, a connection for admins
// only ("Admins Only") and one contributors may use ("Shared"), an export
// on each, and runs both to the end.
func (f *fixture) addData() {
	var csv bytes.Buffer
	require.NoError(f.t, demodata.Generate(&csv, demodata.Options{Profiles: 40, Seed: 3, Format: profile.FormatCSV}))
	open := func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(csv.Bytes())), nil }
	_, err := profile.Import(f.ctx, open, f.a.Store, profile.ImportOptions{Read: profile.ReadOptions{Format: profile.FormatCSV, IDColumn: "id"}})
	require.NoError(f.t, err)
	ps, err := f.a.Store.ListProfiles(f.ctx, store.ListOptions{Limit: 1})
	require.NoError(f.t, err)
	f.profileID = ps[0].ID
	f.segment("Buyers", "p.orders >= 1")
	f.connection("Admins Only", connection.AccessAdmins)
	f.connection("Shared", connection.AccessContributors)
	f.adminRun = f.finishedRun(f.export("Admin Export", "Admins Only"))
	f.sharedRun = f.finishedRun(f.export("Shared Export", "Shared"))
}

func (f *fixture) segment(name, rule string) segment.Segment {
	d, err := segment.NewRuleDraft(name, rule)
	require.NoError(f.t, err)
	seg, err := f.a.Store.CreateSegment(f.ctx, d, time.Now())
	require.NoError(f.t, err)
	return seg
}

func (f *fixture) connection(name string, access connection.Access) connection.Connection {
	c, err := f.a.Connections.Create(f.ctx, connection.Draft{
		Name: name, Access: access, APIKey: omnisend.NewSecret(apiKey), BaseURL: f.sandbox.URL, ExportUser: "admin@example.com",
		Consent: connection.Consent{By: "admin@example.com", At: time.Now(), NoticeVersion: connection.NoticeVersion},
	})
	require.NoError(f.t, err)
	return c
}

func (f *fixture) export(name, conn string) export.Export {
	c, err := f.a.Store.GetConnection(f.ctx, conn)
	require.NoError(f.t, err)
	seg, err := f.a.Store.GetSegment(f.ctx, "Buyers")
	require.NoError(f.t, err)
	e, err := f.a.Store.CreateExport(f.ctx, export.Export{
		Name: name, ConnectionID: c.ID, Segments: []int64{seg.ID}, Active: true,
		Mapping: export.Mapping{Email: "email", FirstName: "first_name"}, CreatedAt: time.Now(), UpdatedAt: time.Now(),
	}.WithDefaults())
	require.NoError(f.t, err)
	return e
}

// queuedRun creates a run of e without working it.
func (f *fixture) queuedRun(e export.Export) int64 {
	r, err := f.a.Store.CreateRun(f.ctx, e.ID, run.TriggerManual, time.Now())
	require.NoError(f.t, err)
	return r.ID
}

func (f *fixture) finishedRun(e export.Export) int64 {
	id := f.queuedRun(e)
	r, err := f.a.Runs.Execute(f.ctx, id)
	require.NoError(f.t, err)
	require.Equal(f.t, run.StatusSucceeded, r.Status, r.Message)
	return id
}

// response is what a request got.
type response struct {
	status int
	header http.Header
	body   []byte
}

// request is one request of a test.
type request struct {
	method, path string // path below /api/v1
	body         any    // JSON-encoded unless []byte
	contentType  string
	header       map[string]string
}

// do sends r as role ("none": without credentials).
func (f *fixture) do(role string, r request) response {
	f.t.Helper()
	var body io.Reader
	ct := r.contentType
	switch b := r.body.(type) {
	case nil:
	case []byte:
		body = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		require.NoError(f.t, err)
		body, ct = bytes.NewReader(raw), "application/json"
	}
	req, err := http.NewRequestWithContext(f.ctx, r.method, f.srv.URL+"/api/v1"+r.path, body)
	require.NoError(f.t, err)
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if tok, ok := f.tokens[role]; ok {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(f.t, err)
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	require.NoError(f.t, err)
	if res.StatusCode >= 400 {
		collectProblem(r.method+" "+r.path, raw)
	}
	return response{status: res.StatusCode, header: res.Header, body: raw}
}

// noKey fails when a response shows the API key, or (to a non-admin) its
// last 4 characters.
func (f *fixture) noKey(role string, what string, res response) {
	f.t.Helper()
	require.NotContains(f.t, string(res.body), apiKey, "%s as %s shows the API key", what, role)
	if role != "admin" {
		require.NotContains(f.t, string(res.body), apiKeyLast4, "%s as %s shows the API key's last 4 characters", what, role)
	}
	for k, vs := range res.header {
		require.NotContains(f.t, fmt.Sprint(vs), apiKey, "%s as %s: header %s shows the API key", what, role, k)
	}
}

// esc escapes a name for a path.
func esc(s string) string { return strings.ReplaceAll(s, " ", "%20") }
