package app_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/app"
	"segbridge/internal/connection"
	"segbridge/internal/export"
	"segbridge/internal/omnisend"
	"segbridge/internal/omnisend/sandbox"
	"segbridge/internal/profile"
	"segbridge/internal/run"
	"segbridge/internal/segment"
	"segbridge/internal/store/postgres/pgtest"
)

// The matrix (issue 16, acceptance 1): one full scenario — a first run,
// attribute changes, leavers, members moving between the two segments,
// joiners, consent changes with dates, a leaver coming back, a run with
// nothing to do, and a read-back — against the sandbox under combinations
// of its switches for Omnisend's open behaviours, with seeded 5xx, 429 and
// lost answers throughout, asserting Omnisend's exact state after every
// run.
//
// The switches and their values:
//
//	api        2026/union/upsert, 2026/union/endpoints, 2026/replace/endpoints, v3/union/upsert
//	           (dialect / sandbox TagsOnUpsert / the connection's tagging; replace needs tagging
//	           "endpoints" — with tags on the upsert it drops merchant tags by design — and v3 has
//	           no tag endpoints, so these four are the meaningful ones)
//	downgrade  allow, block                  StatusDowngrade
//	future     keep, drop                    FutureStatusDates
//	headers    none, v3, retry-after         RateLimit.Headers
//	retryAfter real, 1-3                     RateLimit.RetryAfter
//	gateway    json, html                    Faults.GatewayErrors
//	408        0, 3 %                        Faults.Timeout408
//	jitter     0, 3 s                        TagJitter
//	foreign    0, 3                          ForeignBatches
//	cursors    plain, opaque                 Cursors
//	block      0, block                      Block (403 "blocked due to many errors" after 3 errors a minute)
//
// The full product is 4·3·2⁹ = 6,144 scenarios; these 12 rows (index per
// switch, in the order above) cover every pair of values of any two
// switches (checked by TestMatrixIsPairwise), generated once by a greedy
// pairwise search with a fixed seed (the block column added later by an
// exhaustive search over the same rows):
//
//	 1  2026/replace/endpoints block drop v3          1-3  json 408  no-jitter foreign opaque 0
//	 2  v3/union/upsert        block keep none        real html 0    jitter    0       plain 0
//	 3  2026/union/endpoints   allow drop retry-after real json 408  jitter    0       plain 0
//	 4  2026/union/upsert      allow keep retry-after 1-3  html 0    no-jitter foreign opaque 0
//	 5  2026/replace/endpoints allow keep none        real json 408  no-jitter foreign plain 0
//	 6  2026/union/endpoints   block drop v3          1-3  html 0    jitter    0       opaque 0
//	 7  v3/union/upsert        allow drop v3          real json 408  no-jitter foreign opaque 0
//	 8  2026/union/upsert      block drop none        1-3  json 0    no-jitter 0       plain 0
//	 9  2026/union/upsert      block keep v3          real html 408  jitter    foreign plain block
//	10  2026/union/endpoints   allow keep none        real json 0    no-jitter foreign opaque block
//	11  2026/replace/endpoints block keep retry-after real html 0    jitter    0       opaque block
//	12  v3/union/upsert        block drop retry-after 1-3  html 408  jitter    foreign opaque block
var matrixRows = [][11]int{
	{2, 1, 1, 1, 1, 0, 1, 0, 1, 1, 0},
	{3, 1, 0, 0, 0, 1, 0, 1, 0, 0, 0},
	{1, 0, 1, 2, 0, 0, 1, 1, 0, 0, 0},
	{0, 0, 0, 2, 1, 1, 0, 0, 1, 1, 0},
	{2, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0},
	{1, 1, 1, 1, 1, 1, 0, 1, 0, 1, 0},
	{3, 0, 1, 1, 0, 0, 1, 0, 1, 1, 0},
	{0, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0},
	{0, 1, 0, 1, 0, 1, 1, 1, 1, 0, 1},
	{1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1},
	{2, 1, 0, 2, 0, 1, 0, 1, 0, 1, 1},
	{3, 1, 1, 2, 1, 1, 1, 1, 1, 1, 1},
}

// matrixSwitches are the values of each switch, by index.
var matrixSwitches = [11][]string{
	{"2026/union/upsert", "2026/union/endpoints", "2026/replace/endpoints", "v3/union/upsert"},
	{"allow", "block"},
	{"keep", "drop"},
	{"none", "v3", "retry-after"},
	{"real", "1-3"},
	{"json", "html"},
	{"0", "408"},
	{"no-jitter", "jitter"},
	{"0", "foreign"},
	{"plain", "opaque"},
	{"0", "block"},
}

func TestMatrixIsPairwise(t *testing.T) {
	t.Parallel()
	for i := range matrixSwitches {
		for j := i + 1; j < len(matrixSwitches); j++ {
			for a := range matrixSwitches[i] {
				for b := range matrixSwitches[j] {
					found := slices.ContainsFunc(matrixRows, func(r [11]int) bool { return r[i] == a && r[j] == b })
					require.True(t, found, "no row has %s=%s with %s=%s", matrixSwitches[i][0], matrixSwitches[i][a],
						matrixSwitches[j][0], matrixSwitches[j][b])
				}
			}
		}
	}
}

// matrixScenario is one row: the sandbox's config and the connection's
// dialect and tagging.
type matrixScenario struct {
	name    string
	sb      sandbox.Config
	dialect omnisend.Dialect
	tagging connection.Tagging
}

func scenarioOf(i int, row [11]int) matrixScenario {
	parts := make([]string, len(row))
	for k, v := range row {
		parts[k] = matrixSwitches[k][v]
	}
	api := strings.Split(parts[0], "/")
	sc := matrixScenario{
		name:    fmt.Sprintf("%02d_%s", i+1, strings.ReplaceAll(strings.Join(parts, "_"), "/", "-")),
		dialect: omnisend.Dialect20260315,
		tagging: connection.Tagging(api[2]),
		sb: sandbox.Config{
			TimeScale:         timeScale,
			TagsOnUpsert:      sandbox.TagsMode(api[1]),
			StatusDowngrade:   sandbox.DowngradeMode(parts[1]),
			FutureStatusDates: sandbox.FutureDatesMode(parts[2]),
			RateLimit:         sandbox.RateLimitConfig{Headers: sandbox.RateLimitHeaders(parts[3])},
			Cursors:           sandbox.CursorMode(parts[9]),
			Faults: sandbox.FaultConfig{Seed: int64(16 + i), Error5xx: 0.08, Extra429: 0.08, Lost: 0.05,
				GatewayErrors: sandbox.GatewayErrors(parts[5])},
		},
	}
	if api[0] == "v3" {
		sc.dialect = omnisend.DialectV3
	}
	if row[4] == 1 {
		sc.sb.RateLimit.RetryAfter = sandbox.SecondsRange{Min: 1, Max: 3}
	}
	if row[6] == 1 {
		sc.sb.Faults.Timeout408 = 0.03
	}
	if row[7] == 1 {
		sc.sb.TagJitter = 3 * time.Second
	}
	if row[8] == 1 {
		sc.sb.ForeignBatches = 3
	}
	if row[10] == 1 {
		// v3's "blocked due to many errors": 3 error answers within a
		// minute of Omnisend's time block the key for a minute, which the
		// client waits out (at least a minute) instead of failing.
		sc.sb.Block = sandbox.BlockConfig{AfterErrors: 3, Window: time.Minute, For: time.Minute}
	}
	return sc
}

// TestMatrix runs every row on SQLite and, when
// SEGBRIDGE_TEST_DATABASE_URL is set, on PostgreSQL.
func TestMatrix(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped with -short")
	}
	t.Parallel()
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			for i, row := range matrixRows {
				sc := scenarioOf(i, row)
				t.Run(sc.name, func(t *testing.T) {
					t.Parallel()
					dbURL := ""
					if engine == "postgres" {
						dbURL = pgtest.URL(t)
					}
					newMatrix(t, dbURL, sc).play()
				})
			}
		})
	}
}

// Profiles of the matrix: ids p001…p150; the consent cases and the
// contacts a merchant made in Omnisend first are fixed ids.
const (
	matrixProfiles = 150
	// Consent cases (members throughout).
	idMerchantUnsub = "p001" // Omnisend has them unsubscribed (2025-06-01); the profile says subscribed (2024)
	idLaterUnsub    = "p002" // subscribed (2024), then unsubscribed (2025-12-01)
	idDowngrade     = "p003" // subscribed (2024), then nonSubscribed (2025-11-01): never sent
	idFuture        = "p004" // nonSubscribed (2024), then subscribed dated a year ahead: held back
	// idJoiner is no member at first; the merchant made its contact.
	idJoiner = "p013"
	// idBack leaves in the second run and comes back in the third.
	idBack = "p040"
	// idInvalid has an invalid e-mail: skipped, never sent.
	idInvalid = "p150"
	// merchantOnly is a contact of the merchant's no profile has.
	merchantOnly = "merchant-only@example.com"
)

var merchantTags = []string{"source: shopify", "shopify: returning"}

// merchantSeeded reports whether the merchant made the profile's contact
// in Omnisend before segbridge's first run: p001 and p005–p013.
func merchantSeeded(id string) bool {
	return id == idMerchantUnsub || (id >= "p005" && id <= idJoiner)
}

type matrix struct {
	*e2e
	sc     matrixScenario
	future time.Time
	// model is every profile's attributes as stored.
	model map[string]profile.Attrs
	// exported holds the e-mails segbridge ever exported.
	exported map[string]bool
	client   *omnisend.Client
}

func newMatrix(t *testing.T, dbURL string, sc matrixScenario) *matrix {
	sb, err := sandbox.New(sc.sb)
	require.NoError(t, err)
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	clock := newFastClock(timeScale)
	e := newE2EWith(t, dbURL, 0, sandbox.FaultConfig{}, func(cfg *app.Config, _ string) string {
		// The budget keeps Omnisend's time too: a 429's retryAfter of 3 s
		// pauses it for 3 of Omnisend's seconds, not of the wall clock's.
		cfg.Omnisend.Clock = clock
		cfg.Omnisend.Budget = omnisend.NewWindowBudget(omnisend.WindowBudgetConfig{
			General: omnisend.Limit{Requests: 360, Window: time.Minute},
			Tags:    omnisend.Limit{Requests: 54, Window: time.Minute},
		}, clock)
		return srv.URL
	})
	e.sb, e.sandboxURL = sb, srv.URL
	m := &matrix{e2e: e, sc: sc, future: time.Now().Add(365 * 24 * time.Hour).UTC().Truncate(time.Second), exported: map[string]bool{}}
	m.client, err = omnisend.New(omnisend.Config{BaseURL: srv.URL, APIKey: omnisend.NewSecret(sandbox.DefaultKey), Clock: clock})
	require.NoError(t, err)
	m.setUp()
	return m
}

// setUp imports the profiles, lets the merchant make some contacts, and
// replaces the e2e export with the matrix's: two segments, first name,
// city and the consent status with its date, on a connection of the
// scenario's dialect and tagging.
func (m *matrix) setUp() {
	t, ctx := m.t, m.ctx
	m.importProfiles(matrixCSV())
	m.model = map[string]profile.Attrs{}
	after := ""
	for {
		page, err := m.a.Store.ListProfiles(ctx, storeList(after))
		require.NoError(t, err)
		for _, p := range page {
			m.model[p.ID] = p.Attrs
		}
		if len(page) < 1000 {
			break
		}
		after = page[len(page)-1].ID
	}
	require.Len(t, m.model, matrixProfiles)

	// The connection is made first: the merchant's contacts below go
	// through the faults too, and in a row that blocks a key after a few
	// errors they could leave it blocked while the key is checked.
	// The key check retries quickly and often: in a faulty sandbox the
	// app's check (3 attempts, as an admin waits) may meet three faults in
	// a row, which is not what the matrix tests.
	patient, err := connection.NewService(connection.Config{Store: m.a.Store, Keys: m.a.Secrets,
		Retry: omnisend.RetryConfig{MaxAttempts: 12, BaseDelay: time.Millisecond, MaxDelay: 20 * time.Millisecond, MaxRetryAfter: 20 * time.Millisecond}})
	require.NoError(t, err)
	conn, err := patient.Create(ctx, connection.Draft{
		Name: "Matrix", APIKey: omnisend.NewSecret(sandbox.DefaultKey), BaseURL: m.sandboxURL, ExportUser: "admin@example.com",
		Dialect: m.sc.dialect, Tagging: m.sc.tagging,
		Consent: connection.Consent{By: "admin@example.com", At: time.Now(), NoticeVersion: connection.NoticeVersion},
	})
	require.NoError(t, err)
	for id, attrs := range m.model {
		if !merchantSeeded(id) {
			continue
		}
		status, at := omnisend.StatusNonSubscribed, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
		if id == idMerchantUnsub {
			status, at = omnisend.StatusUnsubscribed, time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
		}
		m.seedMerchant(attrs["email"].(string), status, at)
	}
	m.seedMerchant(merchantOnly, omnisend.StatusSubscribed, time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC))

	// The e2e's segment Buyers (p.orders >= 1) and a second one.
	d, err := segment.NewRuleDraft("VIP", `p.ltv >= 600`)
	require.NoError(t, err)
	vip, err := m.a.Store.CreateSegment(ctx, d, time.Now())
	require.NoError(t, err)
	segs := []int64{m.export.Segments[0], vip.ID}
	m.export, err = m.a.Store.CreateExport(ctx, export.Export{
		Name: "Matrix to Omnisend", ConnectionID: conn.ID, Segments: segs, Active: true,
		Mapping: export.Mapping{Email: "email", FirstName: "first_name", City: "city",
			Consent: &export.ConsentMapping{Attribute: "email_consent", DateAttribute: "email_consent_date"}},
		ConsentPolicy: export.ConsentMirror,
		CreatedAt:     time.Now(), UpdatedAt: time.Now(),
	}.WithDefaults())
	require.NoError(t, err)
}

func (m *matrix) seedMerchant(email string, status omnisend.ChannelStatus, at time.Time) {
	_, err := m.client.UpsertContact(m.ctx, omnisend.Contact{Email: email, Status: status, StatusDate: at, Tags: merchantTags})
	require.NoError(m.t, err)
}

// matrixCSV generates the profiles with a fixed seed.
func matrixCSV() []byte {
	rng := rand.New(rand.NewPCG(16, 1))
	var b bytes.Buffer
	b.WriteString("id,email,first_name,city,orders,ltv,email_consent,email_consent_date\n")
	statuses := []string{"subscribed", "unsubscribed", "nonSubscribed"}
	for i := 1; i <= matrixProfiles; i++ {
		id := fmt.Sprintf("p%03d", i)
		email := fmt.Sprintf("person%03d@example.com", i)
		orders, ltv := 0, rng.IntN(1000)
		if rng.IntN(10) >= 3 {
			orders = 1 + rng.IntN(5)
		}
		consent := statuses[rng.IntN(3)]
		date := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rng.IntN(500)).Format(time.RFC3339)
		switch id {
		case idMerchantUnsub, idLaterUnsub, idDowngrade:
			orders, consent, date = 2, "subscribed", "2024-01-01T00:00:00Z"
		case idFuture:
			orders, consent, date = 2, "nonSubscribed", "2024-01-01T00:00:00Z"
		case idJoiner:
			orders, ltv = 0, 100
		case idBack:
			orders = 2
		case idInvalid:
			orders, email = 3, "not-an-email"
		}
		fmt.Fprintf(&b, "%s,%s,First%d,City%d,%d,%d,%s,%s\n", id, email, i, i%7, orders, ltv, consent, date)
	}
	return b.Bytes()
}

// play is the scenario.
func (m *matrix) play() {
	t := m.t
	start := time.Now()
	first := m.runAndCheck("first run")
	require.Positive(t, first.Counts.Added)
	require.Equal(t, 1, first.Counts.Skipped[run.ReasonInvalidEmail])

	// Second run: fields change, members leave, move between the
	// segments, join; consent changes.
	m.change(func(id string, a profile.Attrs) bool {
		n := idNum(id)
		switch {
		case n >= 20 && n < 30:
			a["first_name"] = "Renamed" + id
		case n >= 30 && n < 35:
			a["city"] = "Moved" + id
		case n >= 40 && n < 48 || id == "p005":
			a["orders"], a["ltv"] = int64(0), int64(0)
		case n >= 50 && n < 80 && ltv(a) >= 600:
			a["orders"], a["ltv"] = int64(1), int64(100) // leaves VIP only
		case n >= 80 && n < 90 && ltv(a) < 600:
			a["ltv"] = int64(900) // joins VIP
		case id == idJoiner:
			a["orders"] = int64(3)
		case id == idLaterUnsub:
			a["email_consent"], a["email_consent_date"] = "unsubscribed", "2025-12-01T00:00:00Z"
		case id == idDowngrade:
			a["email_consent"], a["email_consent_date"] = "nonSubscribed", "2025-11-01T00:00:00Z"
		case id == idFuture:
			a["email_consent"], a["email_consent_date"] = "subscribed", m.future.Format(time.RFC3339)
		default:
			return false
		}
		return true
	})
	second := m.runAndCheck("changes")
	require.Positive(t, second.Counts.Updated)
	require.Positive(t, second.Counts.Untagged)

	// Third run: a leaver comes back.
	m.change(func(id string, a profile.Attrs) bool {
		if id != idBack {
			return false
		}
		a["orders"] = int64(1)
		return true
	})
	third := m.runAndCheck("comeback")
	require.Equal(t, 1, third.Counts.Added+third.Counts.Updated, "only the comeback is sent: %+v", third.Counts)

	// Nothing changed: nothing is sent.
	idle := m.runAndCheck("idle")
	require.Zero(t, idle.Counts.Added+idle.Counts.Updated+idle.Counts.Untagged, "%+v", idle.Counts)

	// Reading back finds nothing amiss (paging through the contacts with
	// the scenario's cursors).
	res := m.verify(false)
	require.Empty(t, res.Findings, "verify")
	t.Logf("%s: runs %d+%d+%d+%d requests, faults %v, %s", m.sc.name, first.Requests, second.Requests, third.Requests,
		idle.Requests, m.sb.Stats().Faults, time.Since(start).Round(time.Millisecond))
}

func idNum(id string) int {
	var n int
	_, _ = fmt.Sscanf(id, "p%d", &n)
	return n
}

func ltv(a profile.Attrs) int64 { n, _ := a["ltv"].(int64); return n }

// change edits the profiles for which edit returns true and stores them.
func (m *matrix) change(edit func(id string, a profile.Attrs) bool) {
	var batch []profile.Profile
	for id, a := range m.model {
		if edit(id, a) {
			batch = append(batch, profile.Profile{ID: id, Attrs: a})
		}
	}
	slices.SortFunc(batch, func(a, b profile.Profile) int { return strings.Compare(a.ID, b.ID) })
	_, err := m.a.Store.UpsertProfiles(m.ctx, batch, time.Now())
	require.NoError(m.t, err)
}

// runAndCheck runs the export to its end, waits for Omnisend's pending tag
// operations, and checks Omnisend's exact state.
func (m *matrix) runAndCheck(what string) run.Run {
	m.t.Helper()
	r := m.runToEnd()
	require.Equal(m.t, run.StatusSucceeded, r.Status, "%s: %s", what, r.Message)
	m.awaitTagOps()
	m.requireState(what)
	return r
}

// wantTags is the segment tags a profile should carry (nil: no member).
func wantTags(a profile.Attrs) []string {
	var tags []string
	if n, _ := a["orders"].(int64); n >= 1 {
		tags = append(tags, "segbridge: buyers")
	}
	if ltv(a) >= 600 {
		tags = append(tags, "segbridge: vip")
	}
	return tags
}

// requireState checks every contact of the sandbox: members with their
// fields, exactly their segment tags, the source tag and the merchant's
// tags; leavers with no segment tag; the merchant's other contacts
// untouched; the subscription statuses the consent cases call for.
func (m *matrix) requireState(what string) {
	t := m.t
	t.Helper()
	got := m.contacts()
	seen := map[string]bool{}
	for id, a := range m.model {
		email := a["email"].(string)
		segs := wantTags(a)
		if id == idInvalid {
			require.NotContains(t, got, email)
			continue
		}
		if len(segs) > 0 {
			m.exported[email] = true
		}
		c, ok := got[email]
		if !m.exported[email] && !merchantSeeded(id) {
			require.False(t, ok, "%s: %s was never a member: not in Omnisend", what, email)
			continue
		}
		require.True(t, ok, "%s: %s missing", what, email)
		seen[email] = true
		var want []string
		if merchantSeeded(id) {
			want = append(want, merchantTags...)
		}
		if m.exported[email] {
			want = append(want, export.SourceTag)
			want = append(want, segs...)
		}
		require.ElementsMatch(t, want, tagsOf(c), "%s: tags of %s (%s)", what, email, id)
		if !m.exported[email] {
			continue
		}
		require.Equal(t, a["first_name"], c["firstName"], "%s: %s", what, email)
		require.Equal(t, a["city"], c["city"], "%s: %s", what, email)
		status, at := statusOf(c)
		require.Equal(t, m.wantStatus(id, a), status, "%s: status of %s (%s)", what, email, id)
		if id == idFuture {
			require.True(t, at.Before(m.future), "%s: a future date is never sent: %s", what, at)
		}
	}
	c, ok := got[merchantOnly]
	require.True(t, ok)
	require.ElementsMatch(t, merchantTags, tagsOf(c), "%s: the merchant's own contact", what)
	require.Len(t, got, len(seen)+1, "%s: no other contacts", what)
}

// wantStatus is the status Omnisend should show for a profile's contact
// (the export mirrors consent: subscribed and unsubscribed are sent with
// their date, nonSubscribed and future dates never).
func (m *matrix) wantStatus(id string, a profile.Attrs) string {
	switch id {
	case idMerchantUnsub:
		return "unsubscribed" // Omnisend's is newer than the profile's
	case idDowngrade:
		return "subscribed" // the later nonSubscribed is never sent
	case idFuture:
		return "nonSubscribed" // the subscribe dated a year ahead is held back
	}
	return a["email_consent"].(string)
}

// statusOf reads a sandbox contact's e-mail status and its date.
func statusOf(c map[string]any) (string, time.Time) {
	var v struct {
		Status      string `json:"status"`
		Identifiers []struct {
			Type     string `json:"type"`
			Channels struct {
				Email struct {
					StatusChangedAt time.Time `json:"statusChangedAt"`
				} `json:"email"`
			} `json:"channels"`
		} `json:"identifiers"`
	}
	b, _ := json.Marshal(c)
	_ = json.Unmarshal(b, &v)
	for _, id := range v.Identifiers {
		if id.Type == "email" {
			return v.Status, id.Channels.Email.StatusChangedAt
		}
	}
	return v.Status, time.Time{}
}
