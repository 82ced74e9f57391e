package app_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
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
	"segbridge/internal/profile"
	"segbridge/internal/run"
	"segbridge/internal/secret"
	"segbridge/internal/segment"
	"segbridge/internal/store/postgres/pgtest"
)

// fleetMasterKey is the SEGBRIDGE_MASTER_KEY every process of a fleet
// shares (each has its own data directory, as on its own machine).
const fleetMasterKey = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="

// fleetExport is one export of a fleet test: its segment rule on orders
// and the brand it goes to.
type fleetExport struct {
	name     string
	brand    string
	min, max int64 // members have min <= orders <= max
	export   export.Export
	tag      string
}

// fleet is several `segbridge worker` processes on one PostgreSQL database
// exporting to one sandbox with two brands.
type fleet struct {
	t       *testing.T
	ctx     context.Context
	dbURL   string
	scale   float64
	budget  int // general requests per brand and window (SEGBRIDGE_OMNISEND_BUDGET)
	a       *app.App
	sb      *sandbox.Server
	url     string
	exports []*fleetExport
	workers []*fleetWorker
}

// fleetWorker is one worker process and what it logged.
type fleetWorker struct {
	cmd    *exec.Cmd
	exited chan struct{} // closed once the process has exited
	mu     sync.Mutex
	logs   bytes.Buffer
}

func (w *fleetWorker) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.logs.Write(p)
}

var runStarting = regexp.MustCompile(`msg="jobs: run starting" run=(\d+)`)

// started returns the runs the worker started (in any attempt).
func (w *fleetWorker) started() []int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	var ids []int64
	for _, m := range runStarting.FindAllStringSubmatch(w.logs.String(), -1) {
		id, _ := strconv.ParseInt(m[1], 10, 64)
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids
}

// newFleet sets up the database, the sandbox (brands "brand-a" and
// "brand-b", each with a limit that budget is 90 % of) and the exports
// over profiles sample profiles.
func newFleet(t *testing.T, profiles int, scale float64, budget int, exports []*fleetExport) *fleet {
	t.Helper()
	dbURL := pgtest.URL(t)
	ctx := context.Background()
	sb, err := sandbox.New(sandbox.Config{TimeScale: scale, Keys: []sandbox.Key{
		{Key: "key-a", BrandID: "brand-a"}, {Key: "key-b", BrandID: "brand-b"}},
		RateLimit: sandbox.RateLimitConfig{General: budget * 400 / 360}})
	require.NoError(t, err)
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	a, err := app.Open(ctx, app.Config{DatabaseURL: dbURL, DataDir: t.TempDir(), MasterKey: secret.EnvKey(fleetMasterKey)})
	require.NoError(t, err)
	t.Cleanup(func() { a.Close() })
	f := &fleet{t: t, ctx: ctx, dbURL: dbURL, scale: scale, budget: budget, a: a, sb: sb, url: srv.URL, exports: exports}
	e := &e2e{t: t, ctx: ctx, a: a}
	e.importProfiles(sampleProfiles(t, profiles))
	conns := map[string]int64{}
	for _, brand := range []string{"a", "b"} {
		conn, err := a.Connections.Create(ctx, connection.Draft{
			Name: "Brand " + brand, APIKey: omnisend.NewSecret("key-" + brand), BaseURL: srv.URL, ExportUser: "admin@example.com",
			Consent: connection.Consent{By: "admin@example.com", At: time.Now(), NoticeVersion: connection.NoticeVersion},
		})
		require.NoError(t, err)
		require.Equal(t, "brand-"+brand, conn.BrandID)
		conns["brand-"+brand] = conn.ID
	}
	for _, x := range exports {
		d, err := segment.NewRuleDraft(x.name, fmt.Sprintf("p.orders >= %d && p.orders <= %d", x.min, x.max))
		require.NoError(t, err)
		seg, err := a.Store.CreateSegment(ctx, d, time.Now())
		require.NoError(t, err)
		x.export, err = a.Store.CreateExport(ctx, export.Export{
			Name: x.name, ConnectionID: conns[x.brand], Segments: []int64{seg.ID}, Active: true,
			Mapping: export.Mapping{Email: "email", FirstName: "first_name", LastName: "last_name",
				City: "city", PostalCode: "postal_code", Country: "country"},
			Schedule:  export.Schedule{Kind: export.ScheduleManual},
			CreatedAt: time.Now(), UpdatedAt: time.Now(),
		}.WithDefaults())
		require.NoError(t, err)
		x.tag = export.SegmentTag(x.export.TagPrefix, seg.Slug)
	}
	// The connections' key checks count in no brand's budget (the brand is
	// not known before them): let them leave the sandbox's window.
	time.Sleep(time.Duration(1.1 * float64(time.Minute) / scale))
	return f
}

// startWorker starts one `segbridge worker` process with its own data
// directory; jobs of a dead worker are rescued after rescueAfter.
func (f *fleet) startWorker(rescueAfter time.Duration) *fleetWorker {
	f.t.Helper()
	args := []string{"worker", "--concurrency", "2", "--log-level", "info",
		"--job-timeout", (rescueAfter - time.Second).String(), "--rescue-after", rescueAfter.String()}
	c := exec.Command(os.Args[0], "-test.run=^$")
	c.Env = append(os.Environ(), workerArgsEnv+"="+strings.Join(args, "\x1f"),
		"SEGBRIDGE_DATA_DIR="+f.t.TempDir(), "SEGBRIDGE_DATABASE_URL="+f.dbURL, secret.EnvVar+"="+fleetMasterKey,
		"SEGBRIDGE_OMNISEND_WINDOW="+time.Duration(float64(time.Minute)/f.scale).String(),
		"SEGBRIDGE_OMNISEND_BUDGET="+strconv.Itoa(f.budget))
	w := &fleetWorker{cmd: c, exited: make(chan struct{})}
	c.Stderr = w
	require.NoError(f.t, c.Start())
	go func() { _ = c.Wait(); close(w.exited) }() // the only Wait
	f.t.Cleanup(func() {
		_ = c.Process.Kill()
		<-w.exited
		if f.t.Failed() {
			f.t.Logf("worker %d logs:\n%s", c.Process.Pid, w.logs.String())
		}
	})
	f.workers = append(f.workers, w)
	return w
}

// enqueueAll creates a manual run of every export and queues it.
func (f *fleet) enqueueAll() map[int64]*fleetExport {
	f.t.Helper()
	runs := map[int64]*fleetExport{}
	for _, x := range f.exports {
		r, err := f.a.Store.CreateRun(f.ctx, x.export.ID, run.TriggerManual, time.Now())
		require.NoError(f.t, err)
		_, err = f.a.Jobs.Enqueue(f.ctx, r.ID)
		require.NoError(f.t, err)
		runs[r.ID] = x
	}
	return runs
}

// waitAll waits until every run is final and returns them.
func (f *fleet) waitAll(runs map[int64]*fleetExport, timeout time.Duration) map[int64]run.Run {
	f.t.Helper()
	out := map[int64]run.Run{}
	deadline := time.Now().Add(timeout)
	for len(out) < len(runs) {
		require.True(f.t, time.Now().Before(deadline), "runs not final after %s: %d of %d", timeout, len(out), len(runs))
		for id := range runs {
			r, err := f.a.Store.GetRun(f.ctx, id)
			require.NoError(f.t, err)
			if r.Status.Final() {
				require.Equal(f.t, run.StatusSucceeded, r.Status, "run %d: %s", id, r.Message)
				out[id] = r
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return out
}

// brandWant is what one brand should hold: e-mail → its segment tags, and
// the attributes of contacts that only one export sends.
type brandWant struct {
	tags  map[string][]string
	attrs map[string]profile.Attrs
}

// expected computes every brand's contacts from the profiles.
func (f *fleet) expected() map[string]*brandWant {
	f.t.Helper()
	want := map[string]*brandWant{}
	firstSeen := map[*fleetExport]map[string]profile.Attrs{}
	for _, x := range f.exports {
		if want[x.brand] == nil {
			want[x.brand] = &brandWant{tags: map[string][]string{}, attrs: map[string]profile.Attrs{}}
		}
		firstSeen[x] = map[string]profile.Attrs{}
	}
	after := ""
	for {
		page, err := f.a.Store.ListProfiles(f.ctx, storeList(after))
		require.NoError(f.t, err)
		for _, p := range page {
			orders, _ := p.Attrs["orders"].(int64)
			for _, x := range f.exports {
				c, res := x.export.Mapping.Contact(p, nil, x.export.ConsentOf(time.Now()))
				if res.Skipped() || orders < x.min || orders > x.max {
					continue
				}
				w := want[x.brand]
				if !slices.Contains(w.tags[c.Email], x.tag) {
					w.tags[c.Email] = append(w.tags[c.Email], x.tag)
				}
				if _, ok := firstSeen[x][c.Email]; !ok {
					firstSeen[x][c.Email] = p.Attrs
				}
			}
		}
		if len(page) < 1000 {
			break
		}
		after = page[len(page)-1].ID
	}
	for x, seen := range firstSeen {
		for email, attrs := range seen {
			if len(want[x.brand].tags[email]) == 1 {
				want[x.brand].attrs[email] = attrs
			}
		}
	}
	return want
}

// requireExact checks that each brand holds exactly its contacts, with
// their segment tags and (for contacts of one export) their fields.
func (f *fleet) requireExact() {
	f.t.Helper()
	for brand, w := range f.expected() {
		got := map[string]map[string]any{}
		for _, c := range f.sb.Contacts(brand) {
			got[c["email"].(string)] = c
		}
		require.Len(f.t, got, len(w.tags), "brand %s: contacts", brand)
		for email, tags := range w.tags {
			c, ok := got[email]
			require.True(f.t, ok, "brand %s: missing contact %s", brand, email)
			var segTags []string
			for _, tag := range tagsOf(c) {
				if strings.HasPrefix(tag, export.DefaultTagPrefix+": ") {
					segTags = append(segTags, tag)
				}
			}
			slices.Sort(segTags)
			slices.Sort(tags)
			require.Equal(f.t, tags, segTags, "brand %s: tags of %s", brand, email)
			require.Contains(f.t, tagsOf(c), export.SourceTag)
			if attrs, ok := w.attrs[email]; ok {
				require.Equal(f.t, attrs["first_name"], c["firstName"], email)
				require.Equal(f.t, attrs["last_name"], c["lastName"], email)
				require.Equal(f.t, fmt.Sprint(attrs["postal_code"]), c["postalCode"], email)
			}
		}
	}
}

// sent adds up the contacts of every batch brand's sandbox received.
func (f *fleet) sent(brand string) int {
	f.t.Helper()
	key := "key-" + strings.TrimPrefix(brand, "brand-")
	c, err := omnisend.New(omnisend.Config{BaseURL: f.url, APIKey: omnisend.NewSecret(key)})
	require.NoError(f.t, err)
	total := 0
	for offset := 0; ; offset += 250 {
		page, err := c.ListBatches(f.ctx, omnisend.ListBatchesOptions{Limit: 250, Offset: offset})
		require.NoError(f.t, err)
		for _, b := range page.Batches {
			total += b.TotalCount
		}
		if len(page.Batches) < 250 {
			return total
		}
	}
}

// fleetExports are the four exports of the fleet tests: two per brand,
// of different sizes (about 24 %, 30 %, 18 % and 28 % of the profiles).
func fleetExports() []*fleetExport {
	return []*fleetExport{
		{name: "No orders", brand: "brand-a", min: 0, max: 0},
		{name: "One or two orders", brand: "brand-a", min: 1, max: 2},
		{name: "Three or four orders", brand: "brand-b", min: 3, max: 4},
		{name: "Five orders or more", brand: "brand-b", min: 5, max: 1 << 30},
	}
}
