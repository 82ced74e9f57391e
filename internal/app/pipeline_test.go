package app_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/app"
	"segbridge/internal/connection"
	"segbridge/internal/demodata"
	"segbridge/internal/export"
	"segbridge/internal/omnisend"
	"segbridge/internal/omnisend/sandbox"
	"segbridge/internal/profile"
	"segbridge/internal/run"
	"segbridge/internal/segment"
	"segbridge/internal/store"
	"segbridge/internal/store/postgres/pgtest"
)

// timeScale runs the sandbox's minutes (rate windows, batch pacing) fast.
const timeScale = 60

// e2e is one segbridge installation exporting to one sandbox.
type e2e struct {
	t       testing.TB
	dataDir string
	dbURL   string
	ctx     context.Context
	a       *app.App
	sb      *sandbox.Server
	// sandboxURL is the sandbox's own address (the connection may go
	// through a proxy).
	sandboxURL string
	export     export.Export
	// workerLease is the run lease of the processes command starts
	// (0: runLease).
	workerLease time.Duration
}

func onEachEngine(t *testing.T, fn func(t *testing.T, dbURL string)) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) { t.Parallel(); fn(t, "") })
	t.Run("postgres", func(t *testing.T) { t.Parallel(); fn(t, pgtest.URL(t)) })
}

func newE2E(t testing.TB, dbURL string, profiles int, faults sandbox.FaultConfig) *e2e {
	return newE2EWith(t, dbURL, profiles, faults, nil)
}

// newE2EWith is newE2E with edit applied to the application's config
// (nil: none) and, when it returns a non-empty URL, the connection made to
// that URL (a proxy in front of the sandbox) instead.
func newE2EWith(t testing.TB, dbURL string, profiles int, faults sandbox.FaultConfig, edit func(cfg *app.Config, sandboxURL string) string) *e2e {
	t.Helper()
	ctx := context.Background()
	sb, err := sandbox.New(sandbox.Config{TimeScale: timeScale, Faults: faults})
	require.NoError(t, err)
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	window := time.Minute / timeScale
	dataDir := t.TempDir()
	cfg := app.Config{
		DatabaseURL: dbURL, DataDir: dataDir,
		Omnisend: app.OmnisendConfig{
			Budget: omnisend.NewWindowBudget(omnisend.WindowBudgetConfig{
				General: omnisend.Limit{Requests: 360, Window: window},
				Tags:    omnisend.Limit{Requests: 54, Window: window},
			}, nil),
			PollInterval: 20 * time.Millisecond,
		},
	}
	baseURL := srv.URL
	if edit != nil {
		if u := edit(&cfg, srv.URL); u != "" {
			baseURL = u
		}
	}
	a, err := app.Open(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { a.Close() })
	conn, err := a.Connections.Create(ctx, connection.Draft{
		Name: "Sandbox", APIKey: omnisend.NewSecret("sandbox-key"), BaseURL: baseURL, ExportUser: "admin@example.com",
		Consent: connection.Consent{By: "admin@example.com", At: time.Now(), NoticeVersion: connection.NoticeVersion},
	})
	require.NoError(t, err)
	e := &e2e{t: t, dataDir: dataDir, dbURL: dbURL, ctx: ctx, a: a, sb: sb, sandboxURL: srv.URL}
	e.importProfiles(sampleProfiles(t, profiles))
	d, err := segment.NewRuleDraft("Buyers", `p.orders >= 1`)
	require.NoError(t, err)
	seg, err := a.Store.CreateSegment(ctx, d, time.Now())
	require.NoError(t, err)
	e.export, err = a.Store.CreateExport(ctx, export.Export{
		Name: "Buyers to Omnisend", ConnectionID: conn.ID, Segments: []int64{seg.ID}, Active: true,
		Mapping: export.Mapping{Email: "email", FirstName: "first_name", LastName: "last_name",
			City: "city", PostalCode: "postal_code", Country: "country"},
		CreatedAt: time.Now(), UpdatedAt: time.Now(),
	}.WithDefaults())
	require.NoError(t, err)
	return e
}

func sampleProfiles(t testing.TB, n int) []byte {
	var buf bytes.Buffer
	require.NoError(t, demodata.Generate(&buf, demodata.Options{Profiles: n, Seed: 3, Format: profile.FormatCSV}))
	return buf.Bytes()
}

func (e *e2e) importProfiles(csv []byte) {
	e.t.Helper()
	open := func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(csv)), nil }
	_, err := profile.Import(e.ctx, open, e.a.Store, profile.ImportOptions{
		Read: profile.ReadOptions{Format: profile.FormatCSV, IDColumn: "id"},
	})
	require.NoError(e.t, err)
}

// run executes a manual run to its end and returns it.
func (e *e2e) run() run.Run {
	e.t.Helper()
	r, err := e.a.Store.CreateRun(e.ctx, e.export.ID, run.TriggerManual, time.Now())
	require.NoError(e.t, err)
	r, err = e.a.Runs.Execute(e.ctx, r.ID)
	require.NoError(e.t, err)
	require.Equal(e.t, run.StatusSucceeded, r.Status, "run message: %s", r.Message)
	return r
}

// expected returns the contacts the export should have put in Omnisend:
// e-mail → profile attributes, for members with a usable, first-seen e-mail.
func (e *e2e) expected() map[string]profile.Attrs {
	want, _ := e.expectedWithShared()
	return want
}

// expectedWithShared is expected, with the e-mails that more than one
// profile has (wherever they are members).
func (e *e2e) expectedWithShared() (map[string]profile.Attrs, map[string]bool) {
	e.t.Helper()
	want, seen, shared := map[string]profile.Attrs{}, map[string]bool{}, map[string]bool{}
	after := ""
	for {
		page, err := e.a.Store.ListProfiles(e.ctx, storeList(after))
		require.NoError(e.t, err)
		for _, p := range page {
			c, res := e.export.Mapping.Contact(p, nil, e.export.ConsentOf(time.Now()))
			if res.Skipped() {
				continue
			}
			shared[c.Email], seen[c.Email] = seen[c.Email], true
			if n, _ := p.Attrs["orders"].(int64); n < 1 {
				continue
			}
			if _, dup := want[c.Email]; !dup {
				want[c.Email] = p.Attrs
			}
		}
		if len(page) < 1000 {
			return want, shared
		}
		after = page[len(page)-1].ID
	}
}

// contacts returns the sandbox's contacts by e-mail.
func (e *e2e) contacts() map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, c := range e.sb.Contacts("") {
		out[c["email"].(string)] = c
	}
	return out
}

func tagsOf(c map[string]any) []string {
	var tags []string
	switch v := c["tags"].(type) {
	case []string:
		tags = v
	case []any:
		for _, t := range v {
			tags = append(tags, fmt.Sprint(t))
		}
	}
	return tags
}

// requireExact checks that the sandbox holds exactly the expected contacts,
// with their fields and the segment tag, and tagsGone on none of the others.
func (e *e2e) requireExact(left map[string]bool) {
	e.t.Helper()
	// Omnisend applies tag removals asynchronously: wait for them.
	require.Eventually(e.t, func() bool {
		return e.sb.Stats().Brands["sandbox-brand"].PendingTagOps == 0
	}, 10*time.Second, 10*time.Millisecond)
	want, got := e.expected(), e.contacts()
	const segTag = "segbridge: buyers"
	tagged := 0
	for email, c := range got {
		if slices.Contains(tagsOf(c), segTag) {
			tagged++
			_, member := want[email]
			require.True(e.t, member, "contact %s is no member but keeps the segment tag (left: %v)", email, left[email])
		} else {
			require.True(e.t, left[email], "contact %s lost its tag but did not leave", email)
		}
	}
	require.Equal(e.t, len(want), tagged)
	for email, attrs := range want {
		c, ok := got[email]
		require.True(e.t, ok, "missing contact %s", email)
		require.Equal(e.t, attrs["first_name"], c["firstName"], email)
		require.Equal(e.t, attrs["last_name"], c["lastName"], email)
		require.Equal(e.t, fmt.Sprint(attrs["postal_code"]), c["postalCode"], email)
		require.Contains(e.t, tagsOf(c), export.SourceTag)
	}
}

func TestExportEndToEnd(t *testing.T) {
	onEachEngine(t, func(t *testing.T, dbURL string) {
		e := newE2E(t, dbURL, 1000, sandbox.FaultConfig{})
		// A member already subscribed in Omnisend must stay subscribed.
		subscribed := e.preSubscribe()

		first := e.run()
		require.Positive(t, first.Counts.Added)
		require.Zero(t, first.Counts.Updated)
		e.requireExact(nil)
		require.Equal(t, "subscribed", e.contacts()[subscribed]["status"])

		batchesBefore := e.sb.Stats().Brands["sandbox-brand"].Batches
		second := e.run()
		require.Zero(t, second.Counts.Added+second.Counts.Updated+second.Counts.Untagged, "nothing changed: %+v", second.Counts)
		require.Equal(t, first.Counts.Added, second.Counts.Unchanged)
		require.Equal(t, batchesBefore, e.sb.Stats().Brands["sandbox-brand"].Batches, "no batch sent")

		changed, left := e.churn()
		third := e.run()
		require.Equal(t, len(changed), third.Counts.Updated, "exactly the changed members are upserted")
		require.Equal(t, len(left), third.Counts.Untagged, "exactly the leavers are untagged")
		require.Zero(t, third.Counts.Added)
		e.requireExact(left)
		require.Equal(t, "subscribed", e.contacts()[subscribed]["status"])
		require.Zero(t, e.sb.Stats().Brands["sandbox-brand"].WelcomeMessages, "no welcome message ever")
	})
}

// preSubscribe makes one member's contact exist in Omnisend as subscribed
// (with a recent date) before segbridge exports it, and returns its e-mail.
func (e *e2e) preSubscribe() string {
	e.t.Helper()
	var email string
	for em := range e.expected() {
		if email == "" || em < email {
			email = em
		}
	}
	c, err := omnisend.New(omnisend.Config{BaseURL: e.sbURL(), APIKey: omnisend.NewSecret("sandbox-key")})
	require.NoError(e.t, err)
	_, err = c.UpsertContact(e.ctx, omnisend.Contact{Email: email, Status: omnisend.StatusSubscribed, StatusDate: time.Now().Add(-time.Hour)})
	require.NoError(e.t, err)
	return email
}

func (e *e2e) sbURL() string { return e.sandboxURL }

// churn changes the first name of 1% of the members and moves another 1%
// out of the segment; it returns their e-mails.
func (e *e2e) churn() (changed, left map[string]bool) {
	e.t.Helper()
	want, shared := e.expectedWithShared()
	emails := make([]string, 0, len(want))
	for em := range want {
		if !shared[em] { // a shared e-mail would pass to the next profile that has it
			emails = append(emails, em)
		}
	}
	slices.Sort(emails)
	n := max(1, len(emails)/100)
	changed, left = map[string]bool{}, map[string]bool{}
	var batch []profile.Profile
	for i, em := range emails[:2*n] {
		attrs := want[em]
		p, err := e.findByEmail(em)
		require.NoError(e.t, err)
		if i < n {
			attrs["first_name"] = "Renamed" + fmt.Sprint(i)
			changed[em] = true
		} else {
			attrs["orders"] = int64(0)
			left[em] = true
		}
		batch = append(batch, profile.Profile{ID: p, Attrs: attrs})
	}
	_, err := e.a.Store.UpsertProfiles(e.ctx, batch, time.Now())
	require.NoError(e.t, err)
	return changed, left
}

func (e *e2e) findByEmail(email string) (string, error) {
	var found string
	err := e.a.Store.ScanProfiles(e.ctx, func(id string, raw []byte) error {
		a, err := profile.DecodeAttrs(raw)
		if err != nil {
			return err
		}
		if s, _ := a["email"].(string); found == "" && strings.EqualFold(strings.TrimSpace(s), email) {
			found = id
		}
		return nil
	})
	if found == "" && err == nil {
		err = fmt.Errorf("no profile with e-mail %s", email)
	}
	return found, err
}

func storeList(after string) store.ListOptions { return store.ListOptions{After: after, Limit: 1000} }

func TestExportThroughFaults(t *testing.T) {
	onEachEngine(t, func(t *testing.T, dbURL string) {
		e := newE2E(t, dbURL, 5000, sandbox.FaultConfig{Seed: 11, Error5xx: 0.10, Extra429: 0.05, Lost: 0.02})
		first := e.run()
		e.requireExact(nil)
		require.Equal(t, len(e.contacts()), first.Counts.Added, "the run's counts match the sandbox")
		require.Zero(t, first.Counts.FailedTotal())

		changed, left := e.churn()
		second := e.run()
		e.requireExact(left)
		require.Equal(t, len(changed), second.Counts.Updated)
		require.Equal(t, len(left), second.Counts.Untagged)
		faults := e.sb.Stats().Faults
		t.Logf("faults injected: %v; requests: %d + %d", faults, first.Requests, second.Requests)
		require.Positive(t, faults["5xx"]+faults["429"]+faults["lost"], "faults were injected")
	})
}
