package notify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/require"

	"segbridge/internal/connection"
	"segbridge/internal/export"
	"segbridge/internal/notify"
	"segbridge/internal/omnisend"
	"segbridge/internal/run"
	"segbridge/internal/secret"
	"segbridge/internal/segment"
	"segbridge/internal/store"
	"segbridge/internal/store/postgres"
	"segbridge/internal/store/postgres/pgtest"
	"segbridge/internal/store/sqlite"
)

// Secrets of the test channels: long and distinctive, so a leak test can
// look for them anywhere.
const (
	hookSecret   = "whsec-7f3Kq9ZpLm2WcXv4RtNb8Yd"
	smtpUser     = "mailer"
	smtpPassword = "smtp-pw-Q4zX9vLr2mKd7TfBw"
	slackToken   = "T0SEGBRIDGE/B0NOTIFY/x7QmZr4LpW9vKd2T"
)

// clock is the injected clock: it moves only when told.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// bundle is a notify.Service on a real store, with an export to hang
// runs on.
type bundle struct {
	t      *testing.T
	ctx    context.Context
	dir    string
	st     store.Store
	keys   *secret.Keyring
	svc    *notify.Service
	clock  *clock
	logs   *syncBuffer
	export export.Export
	schema *payloadSchema
}

// onEachEngine runs fn on SQLite and, when SEGBRIDGE_TEST_DATABASE_URL is
// set, on PostgreSQL.
func onEachEngine(t *testing.T, fn func(t *testing.T, dbURL string)) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) { t.Parallel(); fn(t, "") })
	t.Run("postgres", func(t *testing.T) { t.Parallel(); fn(t, pgtest.URL(t)) })
}

func setup(t *testing.T, dbURL string, edit func(*notify.Config)) *bundle {
	t.Helper()
	b := &bundle{t: t, ctx: context.Background(), dir: t.TempDir(), logs: &syncBuffer{}, schema: loadSchema(t),
		clock: &clock{t: time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC)}}
	var err error
	if dbURL == "" {
		st, err := sqlite.Open(b.ctx, filepath.Join(b.dir, "segbridge.db"))
		require.NoError(t, err)
		b.st = st
	} else {
		st, err := postgres.Open(b.ctx, dbURL)
		require.NoError(t, err)
		b.st = st
	}
	t.Cleanup(func() { b.st.Close() })
	require.NoError(t, b.st.Migrate(b.ctx))
	b.keys, err = secret.Load(secret.Config{DataDir: b.dir})
	require.NoError(t, err)
	cfg := notify.Config{Store: b.st, Keys: b.keys, Now: b.clock.Now, PublicURL: "https://segbridge.example.com/",
		Logger:  slog.New(slog.NewTextHandler(b.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Timeout: 2 * time.Second}
	if edit != nil {
		edit(&cfg)
	}
	b.svc, err = notify.NewService(cfg)
	require.NoError(t, err)
	b.export = b.newExport("Buyers")
	return b
}

// newExport stores an export (on a connection and a segment of its own).
func (b *bundle) newExport(name string) export.Export {
	b.t.Helper()
	now := b.clock.Now()
	c, err := b.st.CreateConnection(b.ctx, connection.Connection{Name: name + " shop", Access: connection.AccessAdmins,
		KeyLast4: "abcd", Dialect: omnisend.Dialect20260315, BaseURL: "http://127.0.0.1:1",
		Consent:    connection.Consent{By: "ada", At: now, NoticeVersion: connection.NoticeVersion},
		ExportUser: "ada@example.com", CreatedAt: now, UpdatedAt: now}, func(int64) ([]byte, error) { return []byte("k"), nil })
	require.NoError(b.t, err)
	d, err := segment.NewRuleDraft(name+" segment", "p.orders >= 1")
	require.NoError(b.t, err)
	seg, err := b.st.CreateSegment(b.ctx, d, now)
	require.NoError(b.t, err)
	e, err := b.st.CreateExport(b.ctx, export.Export{Name: name, ConnectionID: c.ID, Segments: []int64{seg.ID}, Active: true,
		Mapping: export.Mapping{Email: "email"}, CreatedAt: now, UpdatedAt: now}.WithDefaults())
	require.NoError(b.t, err)
	return e
}

// endRun stores a run of the export that ended as edit says (through
// the store, as the executor saves it), tells the service, and flushes.
func (b *bundle) endRun(edit func(r *run.Run)) run.Run {
	b.t.Helper()
	return b.endRunOf(b.export.ID, edit)
}

func (b *bundle) endRunOf(exportID int64, edit func(r *run.Run)) run.Run {
	b.t.Helper()
	b.clock.Advance(time.Minute)
	now := b.clock.Now()
	b.decideHeld(exportID)
	r, err := b.st.CreateRun(b.ctx, exportID, run.TriggerSchedule, now)
	require.NoError(b.t, err)
	b.svc.RunQueued(b.ctx, r)
	r.Status, r.Step, r.StartedAt, r.FinishedAt = run.StatusSucceeded, run.StepDone, now, now.Add(10*time.Second)
	r.Counts = run.Counts{Members: 100, Added: 100}
	edit(&r)
	require.NoError(b.t, b.st.SaveRun(b.ctx, r))
	b.svc.RunEnded(b.ctx, r)
	b.flush()
	return r
}

// decideHeld ends the export's held run, if any, as a discard would (a
// held run blocks its export's next run), without telling the service.
func (b *bundle) decideHeld(exportID int64) {
	b.t.Helper()
	runs, err := b.st.ListRuns(b.ctx, exportID, 1)
	require.NoError(b.t, err)
	if len(runs) == 1 && runs[0].Status == run.StatusHeld {
		r := runs[0]
		r.Status = run.StatusSucceeded
		require.NoError(b.t, b.st.SaveRun(b.ctx, r))
	}
}

func (b *bundle) flush() {
	b.t.Helper()
	require.NoError(b.t, b.svc.Flush(b.ctx))
}

func succeeded(*run.Run) {}

func failed(msg string) func(*run.Run) {
	return func(r *run.Run) { r.Status, r.Message, r.Counts = run.StatusFailed, msg, run.Counts{} }
}

func held(r *run.Run) {
	r.Status, r.Message = run.StatusHeld, "held: 640 of 1,000 contacts would be untagged, more than the brake allows"
}

// webhook adds a webhook channel posting to url.
func (b *bundle) webhook(name, url string, events notify.Events) notify.Channel {
	b.t.Helper()
	c, err := b.svc.CreateChannel(b.ctx, notify.ChannelDraft{Name: name, Kind: notify.KindWebhook, Events: events,
		URL: omnisend.NewSecret(url), Secret: omnisend.NewSecret(hookSecret)})
	require.NoError(b.t, err)
	return c
}

func (b *bundle) slack(name, url string) notify.Channel {
	b.t.Helper()
	c, err := b.svc.CreateChannel(b.ctx, notify.ChannelDraft{Name: name, Kind: notify.KindSlack, URL: omnisend.NewSecret(url)})
	require.NoError(b.t, err)
	return c
}

func (b *bundle) email(name string, srv *smtpServer) notify.Channel {
	b.t.Helper()
	c, err := b.svc.CreateChannel(b.ctx, notify.ChannelDraft{Name: name, Kind: notify.KindEmail,
		SMTP: notify.SMTP{Host: "127.0.0.1", Port: srv.port(), StartTLS: true, User: smtpUser,
			From: "segbridge <segbridge@example.com>", To: []string{"ops@example.com", "data@example.com"}},
		Password: omnisend.NewSecret(smtpPassword)})
	require.NoError(b.t, err)
	return c
}

// onlyRule removes the default rules and adds d.
func (b *bundle) onlyRule(d notify.RuleDraft) notify.Rule {
	b.t.Helper()
	rules, err := b.svc.Rules(b.ctx)
	require.NoError(b.t, err)
	for _, r := range rules {
		require.NoError(b.t, b.svc.RemoveRule(b.ctx, r.ID))
	}
	r, err := b.svc.CreateRule(b.ctx, d)
	require.NoError(b.t, err)
	return r
}

// deliveries is the history of channel c, oldest first, each payload
// checked against the schema.
func (b *bundle) deliveries(c notify.Channel) []notify.Delivery {
	b.t.Helper()
	ds, err := b.svc.Deliveries(b.ctx, c.Name, notify.DeliveryFilter{Limit: 500})
	require.NoError(b.t, err)
	out := make([]notify.Delivery, 0, len(ds))
	for i := len(ds) - 1; i >= 0; i-- {
		b.schema.validate(b.t, ds[i].Payload)
		out = append(out, ds[i])
	}
	return out
}

func payloadOf(t *testing.T, raw []byte) notify.Notification {
	t.Helper()
	var n notify.Notification
	require.NoError(t, json.Unmarshal(raw, &n))
	return n
}

// receiver is a local webhook receiver. It answers with the statuses in
// answers in turn (the last one from then on; 200 when empty), or, with
// hang, holds every request until the client gives up.
type receiver struct {
	t    *testing.T
	srv  *httptest.Server
	mu   sync.Mutex
	got  []received
	ans  []int
	hang bool
}

type received struct {
	header http.Header
	body   []byte
	status int
}

func newReceiver(t *testing.T, answers ...int) *receiver {
	rc := &receiver{t: t, ans: answers}
	rc.srv = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	status := http.StatusOK
	if n := len(rc.got); len(rc.ans) > 0 {
		status = rc.ans[min(n, len(rc.ans)-1)]
	}
	rc.got = append(rc.got, received{header: r.Header.Clone(), body: body, status: status})
	hang := rc.hang
	rc.mu.Unlock()
	if hang {
		<-r.Context().Done()
		return
	}
	w.WriteHeader(status)
	_, _ = w.Write([]byte(`{"ok":` + map[bool]string{true: "true", false: "false"}[status < 300] + `}`))
}

func (rc *receiver) requests() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

// payloadSchema validates payloads against docs/notifications.schema.json.
type payloadSchema struct {
	notification, slack *jsonschema.Schema
}

const schemaLoc = "file:///notifications.schema.json"

func loadSchema(t testing.TB) *payloadSchema {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "docs", "notifications.schema.json"))
	require.NoError(t, err)
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	require.NoError(t, err)
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	require.NoError(t, c.AddResource(schemaLoc, doc))
	n, err := c.Compile(schemaLoc)
	require.NoError(t, err)
	s, err := c.Compile(schemaLoc + "#/$defs/slack_message")
	require.NoError(t, err)
	return &payloadSchema{notification: n, slack: s}
}

func (s *payloadSchema) validate(t testing.TB, raw []byte) {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	require.NoError(t, err)
	require.NoError(t, s.notification.Validate(v), "payload %s", raw)
}

func (s *payloadSchema) validateSlack(t testing.TB, raw []byte) {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	require.NoError(t, err)
	require.NoError(t, s.slack.Validate(v), "Slack message %s", raw)
}
