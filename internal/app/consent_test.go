package app_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/app"
	"segbridge/internal/connection"
	"segbridge/internal/export"
	"segbridge/internal/omnisend"
	"segbridge/internal/omnisend/sandbox"
	"segbridge/internal/run"
	"segbridge/internal/store/postgres/pgtest"
)

// The consent table (issue 13): the three consent policies × what
// Omnisend holds (no contact; subscribed; unsubscribed, read back onto the
// profile by sync-unsubscribes or not; nonSubscribed) × Omnisend's status
// date (1970-01-01, 2000-01-01, recent) × the mapped status (subscribed,
// unsubscribed, nonSubscribed) dated older than Omnisend's, equal, newer,
// in the future, undated, or no mapped status at all. Each export runs
// through the real pipeline against the sandbox over HTTP; the test
// asserts, per contact, the status the request carried (read from the
// recorded request bodies) and the status the sandbox ends with, and that
// no request asks for a welcome message. docs/consent.md is this table in
// words.

// consentCase is what Omnisend holds before the run.
type consentCase string

const (
	caseNew        consentCase = "new"          // no contact
	caseSubscribed consentCase = "subscribed"   // subscribed
	caseUnsubRead  consentCase = "unsub-read"   // unsubscribed, read back onto the profile
	caseUnsubBlind consentCase = "unsub-unread" // unsubscribed, not read back
	caseNonSub     consentCase = "nonsub"       // nonSubscribed
)

var consentCases = []consentCase{caseNew, caseSubscribed, caseUnsubRead, caseUnsubBlind, caseNonSub}

// Mapped-date variants, relative to Omnisend's date.
const (
	dateOlder   = "older"
	dateEqual   = "equal"
	dateNewer   = "newer"
	dateFuture  = "future"
	dateUndated = "undated"
	noStatus    = "absent" // no mapped status at all
)

var consentVariants = []string{dateOlder, dateEqual, dateNewer, dateFuture, dateUndated}

// consentRow is one contact of the table.
type consentRow struct {
	email    string
	cs       consentCase
	omniDate time.Time // Omnisend's status date (unused for caseNew)
	mapped   omnisend.ChannelStatus
	variant  string
	date     time.Time // the mapped date (zero: undated or absent)
}

// sent is a status a request carries: none when status is "".
type sent struct {
	status omnisend.ChannelStatus
	date   time.Time
}

// consentTable builds the rows; now is the run's clock.
func consentTable(now time.Time) []consentRow {
	recent := now.AddDate(0, 0, -30).Truncate(time.Second)
	dates := map[string]time.Time{"1970": time.Unix(0, 0).UTC(), "2000": time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), "recent": recent}
	var rows []consentRow
	for _, cs := range consentCases {
		for _, dn := range []string{"1970", "2000", "recent"} {
			od := dates[dn]
			add := func(mapped omnisend.ChannelStatus, variant string, d time.Time) {
				name := fmt.Sprintf("%s.%s.%s.%s@example.com", cs, dn, strings.ToLower(string(mapped)), variant)
				if mapped == "" {
					name = fmt.Sprintf("%s.%s.%s@example.com", cs, dn, variant)
				}
				rows = append(rows, consentRow{email: name, cs: cs, omniDate: od, mapped: mapped, variant: variant, date: d})
			}
			for _, mapped := range []omnisend.ChannelStatus{omnisend.StatusSubscribed, omnisend.StatusUnsubscribed, omnisend.StatusNonSubscribed} {
				for _, v := range consentVariants {
					var d time.Time
					switch v {
					case dateOlder:
						d = od.AddDate(0, 0, -1)
					case dateEqual:
						d = od
					case dateNewer:
						d = od.AddDate(0, 0, 1)
					case dateFuture:
						d = now.AddDate(0, 0, 30).Truncate(time.Second)
					}
					add(mapped, v, d)
				}
			}
			add("", noStatus, time.Time{})
		}
	}
	return rows
}

// omnisendHolds is the status Omnisend holds before the run (none for a
// new contact).
func (r consentRow) omnisendHolds() sent {
	switch r.cs {
	case caseSubscribed:
		return sent{omnisend.StatusSubscribed, r.omniDate}
	case caseUnsubRead, caseUnsubBlind:
		return sent{omnisend.StatusUnsubscribed, r.omniDate}
	case caseNonSub:
		return sent{omnisend.StatusNonSubscribed, r.omniDate}
	}
	return sent{}
}

// wantSent is docs/consent.md's table: what the policy sends for the row.
func (r consentRow) wantSent(p export.ConsentPolicy) sent {
	switch {
	case p == export.ConsentKeep, r.variant == noStatus, r.variant == dateUndated, r.variant == dateFuture,
		r.mapped == omnisend.StatusNonSubscribed:
		return sent{}
	case r.mapped == omnisend.StatusUnsubscribed && p == export.ConsentOptIns:
		return sent{}
	case r.mapped == omnisend.StatusSubscribed && r.cs == caseUnsubRead && !r.date.After(r.omniDate):
		// An unsubscribe segbridge read back stands against an opt-in
		// dated at or before it.
		if p == export.ConsentMirror {
			return sent{omnisend.StatusUnsubscribed, r.omniDate}
		}
		return sent{}
	}
	return sent{r.mapped, r.date}
}

// heldBack is the run's dropped reason for the row ("" if none).
func (r consentRow) heldBack(p export.ConsentPolicy) string {
	if p == export.ConsentKeep || r.variant == noStatus || r.mapped == omnisend.StatusNonSubscribed ||
		r.mapped == omnisend.StatusUnsubscribed && p == export.ConsentOptIns {
		return ""
	}
	switch r.variant {
	case dateFuture:
		return "consent_future_date"
	case dateUndated:
		return "consent_date"
	}
	return ""
}

// wantFinal is the sandbox's rule applied to what was sent: a status
// dated strictly before the stored one is ignored; no status keeps the
// stored one, or starts a new contact nonSubscribed (dated by Omnisend).
func (r consentRow) wantFinal(s sent) sent {
	held := r.omnisendHolds()
	switch {
	case s.status == "" && held.status == "":
		return sent{status: omnisend.StatusNonSubscribed} // dated by Omnisend
	case s.status == "":
		return held
	case held.status != "" && s.date.Before(held.date):
		return held
	}
	return s
}

// bodyRecorder keeps the bodies of the requests that pass through it to
// the sandbox.
type bodyRecorder struct {
	mu     sync.Mutex
	bodies []recordedBody
}

type recordedBody struct {
	method, path string
	body         []byte
}

func (b *bodyRecorder) proxy(t *testing.T, target string) string {
	u, err := url.Parse(target)
	require.NoError(t, err)
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		b.mu.Lock()
		b.bodies = append(b.bodies, recordedBody{r.Method, r.URL.Path, body})
		b.mu.Unlock()
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// take returns the bodies recorded since the last take.
func (b *bodyRecorder) take() []recordedBody {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := b.bodies
	b.bodies = nil
	return out
}

// wireIdentifier is an identifier as a request carries it.
type wireIdentifier struct {
	Type               string                     `json:"type"`
	ID                 string                     `json:"id"`
	Channels           map[string]json.RawMessage `json:"channels"`
	SendWelcomeMessage *bool                      `json:"sendWelcomeMessage"`
	HasChannels        bool                       `json:"-"`
}

type wireContact struct {
	Identifiers      []json.RawMessage `json:"identifiers"`
	SendWelcomeEmail *bool             `json:"sendWelcomeEmail"`
}

// sentStatuses reads the e-mail statuses the contact upserts carried (by
// e-mail; the last one wins) and checks that every identifier asks for
// no welcome message (and, on v3, every contact for no welcome e-mail).
func sentStatuses(t *testing.T, bodies []recordedBody, dialect omnisend.Dialect) map[string]sent {
	t.Helper()
	out := map[string]sent{}
	for _, b := range bodies {
		if b.method != http.MethodPost {
			continue
		}
		var items []wireContact
		switch {
		case strings.HasSuffix(b.path, "/batches"):
			var batch struct {
				Items []wireContact `json:"items"`
			}
			require.NoError(t, json.Unmarshal(b.body, &batch), string(b.body))
			items = batch.Items
		case strings.HasSuffix(b.path, "/contacts"):
			var c wireContact
			require.NoError(t, json.Unmarshal(b.body, &c), string(b.body))
			items = []wireContact{c}
		default:
			continue
		}
		for _, c := range items {
			if dialect == omnisend.DialectV3 {
				require.NotNil(t, c.SendWelcomeEmail, "v3: sendWelcomeEmail is sent")
				require.False(t, *c.SendWelcomeEmail)
			}
			for _, raw := range c.Identifiers {
				var id wireIdentifier
				require.NoError(t, json.Unmarshal(raw, &id))
				var keys map[string]json.RawMessage
				require.NoError(t, json.Unmarshal(raw, &keys))
				_, id.HasChannels = keys["channels"]
				require.NotNil(t, id.SendWelcomeMessage, "every identifier says sendWelcomeMessage: %s", raw)
				require.False(t, *id.SendWelcomeMessage, "%s", raw)
				if dialect == omnisend.DialectV3 {
					require.True(t, id.HasChannels, "v3 requires channels: %s", raw)
				}
				if id.Type != "email" {
					require.Empty(t, id.Channels, "no SMS status is ever sent: %s", raw)
					continue
				}
				var s sent
				if ch, ok := id.Channels["email"]; ok {
					var w struct {
						Status          omnisend.ChannelStatus `json:"status"`
						StatusDate      time.Time              `json:"statusDate"`
						StatusChangedAt time.Time              `json:"statusChangedAt"`
					}
					require.NoError(t, json.Unmarshal(ch, &w))
					require.NotEmpty(t, w.Status, "an e-mail channel always has its status: %s", raw)
					s = sent{w.Status, w.StatusDate}
					if dialect != omnisend.DialectV3 {
						s.date = w.StatusChangedAt
					}
					require.False(t, s.date.IsZero(), "a status always goes with its date: %s", raw)
				}
				out[id.ID] = s
			}
		}
	}
	return out
}

// consentBench is one installation exporting the table with one policy.
type consentBench struct {
	*e2e
	t       *testing.T
	rec     *bodyRecorder
	dialect omnisend.Dialect
	rows    []consentRow
	conn    connection.Connection
	seeder  *omnisend.Client
}

func newConsentBench(t *testing.T, dbURL string, dialect omnisend.Dialect, policy export.ConsentPolicy) *consentBench {
	rec := &bodyRecorder{}
	e := newE2EWith(t, dbURL, 0, sandbox.FaultConfig{}, func(_ *app.Config, sandboxURL string) string {
		return rec.proxy(t, sandboxURL)
	})
	b := &consentBench{e2e: e, t: t, rec: rec, dialect: dialect, rows: consentTable(time.Now())}
	ctx := e.ctx
	proxied, err := e.a.Store.GetConnection(ctx, "Sandbox")
	require.NoError(t, err)
	b.conn, err = e.a.Connections.Create(ctx, connection.Draft{
		Name: "Consent " + string(dialect), APIKey: omnisend.NewSecret("sandbox-key"), BaseURL: proxied.BaseURL,
		ExportUser: "admin@example.com", Dialect: dialect,
		Consent: connection.Consent{By: "admin@example.com", At: time.Now(), NoticeVersion: connection.NoticeVersion},
	})
	require.NoError(t, err)
	b.seeder, err = omnisend.New(omnisend.Config{BaseURL: e.sandboxURL, APIKey: omnisend.NewSecret("sandbox-key")})
	require.NoError(t, err)

	var csv bytes.Buffer
	csv.WriteString("id,email,orders,email_consent,email_consent_date\n")
	for i, r := range b.rows {
		date := ""
		if !r.date.IsZero() {
			date = r.date.Format(time.RFC3339)
		}
		fmt.Fprintf(&csv, "c%04d,%s,1,%s,%s\n", i, r.email, r.mapped, date)
	}
	e.importProfiles(csv.Bytes())

	e.export.ConnectionID = b.conn.ID
	e.export.Mapping = export.Mapping{Email: "email",
		Consent: &export.ConsentMapping{Attribute: "email_consent", DateAttribute: "email_consent_date"}}
	e.export.ConsentPolicy = policy
	e.export, err = e.a.Store.UpdateExport(ctx, e.export)
	require.NoError(t, err)

	// Omnisend's contacts: the unsubscribes segbridge reads back first
	// (as a system refresh does before its runs), then the others.
	b.seed(func(r consentRow) bool { return r.cs == caseUnsubRead })
	res, err := e.a.SyncUnsubscribes(ctx, b.conn.Name)
	require.NoError(t, err)
	require.Equal(t, len(b.rowsOf(caseUnsubRead)), res.Unsubscribed)
	b.seed(func(r consentRow) bool { return r.cs != caseUnsubRead && r.cs != caseNew })
	require.Empty(t, sentStatuses(t, rec.take(), dialect), "key checks and the read-back upsert nothing; seeding goes around the recorder")
	return b
}

func (b *consentBench) rowsOf(cs consentCase) []consentRow {
	var out []consentRow
	for _, r := range b.rows {
		if r.cs == cs {
			out = append(out, r)
		}
	}
	return out
}

// seed makes the contacts of the rows keep selects in Omnisend, with
// their status and its date.
func (b *consentBench) seed(keep func(consentRow) bool) {
	for _, r := range b.rows {
		if !keep(r) {
			continue
		}
		h := r.omnisendHolds()
		_, err := b.seeder.UpsertContact(b.ctx, omnisend.Contact{Email: r.email, Status: h.status, StatusDate: h.date,
			Tags: []string{"source: shopify"}})
		require.NoError(b.t, err)
		status, at := statusOf(b.contacts()[r.email])
		require.Equal(b.t, string(h.status), status, r.email)
		require.True(b.t, h.date.Equal(at), "%s: seeded at %s, holds %s", r.email, h.date, at)
	}
}

// check runs the export and checks, per row, what its request carried
// and the sandbox's final status, and the run's held-back counts.
func (b *consentBench) check(policy export.ConsentPolicy, started time.Time) run.Run {
	t := b.t
	r := b.run()
	got := sentStatuses(t, b.rec.take(), b.dialect)
	contacts := b.contacts()
	held := map[string]int{}
	for _, row := range b.rows {
		want := row.wantSent(policy)
		s, ok := got[row.email]
		require.True(t, ok, "%s: sent", row.email)
		require.Equal(t, want.status, s.status, "%s (%s): status sent", row.email, policy)
		require.True(t, want.date.Equal(s.date), "%s (%s): date sent %s, want %s", row.email, policy, s.date, want.date)

		final := row.wantFinal(want)
		status, at := statusOf(contacts[row.email])
		require.Equal(t, string(final.status), status, "%s (%s): final status", row.email, policy)
		if final.date.IsZero() {
			require.False(t, at.Before(started), "%s: a new contact's nonSubscribed is dated by Omnisend (%s), not in the past", row.email, at)
		} else {
			require.True(t, final.date.Equal(at), "%s (%s): final date %s, want %s", row.email, policy, at, final.date)
		}
		if reason := row.heldBack(policy); reason != "" {
			held[reason]++
		}
	}
	if len(held) == 0 {
		held = nil
	}
	require.Equal(t, held, r.Counts.Dropped, "%s: held-back statuses counted by reason", policy)
	var welcomes int
	for _, bs := range b.sb.Stats().Brands {
		welcomes += bs.WelcomeMessages
	}
	require.Zero(t, welcomes, "no welcome message, ever")
	return r
}

// TestConsentPolicies plays the table for each policy: on SQLite in both
// dialects, on PostgreSQL in the default one; keep then switches to
// mirror, which sends the statuses on the next run.
func TestConsentPolicies(t *testing.T) {
	t.Parallel()
	for _, engine := range []string{"sqlite", "postgres"} {
		dialects := []omnisend.Dialect{omnisend.Dialect20260315, omnisend.DialectV3}
		if engine == "postgres" {
			dialects = dialects[:1]
		}
		for _, d := range dialects {
			for _, p := range export.ConsentPolicies() {
				t.Run(fmt.Sprintf("%s/%s/%s", engine, d, p), func(t *testing.T) {
					t.Parallel()
					dbURL := ""
					if engine == "postgres" {
						dbURL = pgtest.URL(t)
					}
					started := time.Now()
					b := newConsentBench(t, dbURL, d, p)
					first := b.check(p, started)
					require.Equal(t, len(b.rows), first.Counts.Added)
					if p != export.ConsentKeep {
						return
					}
					b.switchToMirror()
				})
			}
		}
	}
}

// switchToMirror: the policy is part of what decides whether a contact is
// sent again, so switching keep → mirror sends, on the next run, the
// contacts mirror sends a status for, and nothing on the one after.
func (b *consentBench) switchToMirror() {
	t := b.t
	b.export.ConsentPolicy = export.ConsentMirror
	var err error
	b.export, err = b.a.Store.UpdateExport(b.ctx, b.export)
	require.NoError(t, err)
	r := b.run()
	got := sentStatuses(t, b.rec.take(), b.dialect)
	withStatus := 0
	for _, row := range b.rows {
		want := row.wantSent(export.ConsentMirror)
		s, ok := got[row.email]
		if want.status == "" {
			require.False(t, ok, "%s: nothing changed for it: not sent again", row.email)
			continue
		}
		withStatus++
		require.True(t, ok, "%s: sent again with its status", row.email)
		require.Equal(t, want.status, s.status, row.email)
		require.True(t, want.date.Equal(s.date), row.email)
	}
	require.Positive(t, withStatus)
	require.Equal(t, withStatus, r.Counts.Updated, "%+v", r.Counts)
	require.Equal(t, len(b.rows)-withStatus, r.Counts.Unchanged)

	idle := b.run()
	require.Zero(t, idle.Counts.Added+idle.Counts.Updated, "%+v", idle.Counts)
	require.Empty(t, sentStatuses(t, b.rec.take(), b.dialect))
}
