package web_test

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/audit"
	"segbridge/internal/connection"
	"segbridge/internal/export"
	"segbridge/internal/jobs"
	"segbridge/internal/omnisend"
	"segbridge/internal/run"
	"segbridge/internal/segment"
)

// proxy stands between the app and the sandbox: it can make Omnisend
// refuse chosen e-mails (their batch item gets an invalid gender) and hold
// batch requests until the test lets each one through.
type proxy struct {
	b   *bundle
	srv *httptest.Server

	mu     sync.Mutex
	refuse map[string]bool
	gated  bool
	tokens chan struct{}
	open   sync.Once
}

func newProxy(b *bundle) *proxy {
	p := &proxy{b: b, refuse: map[string]bool{}, tokens: make(chan struct{}, 1000)}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/batches") {
			p.mu.Lock()
			gated, refuse := p.gated, make([]string, 0, len(p.refuse))
			for e := range p.refuse {
				refuse = append(refuse, e)
			}
			p.mu.Unlock()
			if gated {
				select {
				case <-p.tokens:
				case <-r.Context().Done():
					return
				}
			}
			body, _ := io.ReadAll(r.Body)
			for _, e := range refuse {
				item := []byte(`{"identifiers":[{"type":"email","id":"` + e + `"`)
				body = bytes.Replace(body, item, append([]byte(`{"gender":"x",`), item[1:]...), 1)
			}
			r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
			r.Header.Set("Content-Length", strconv.Itoa(len(body)))
		}
		b.sb.ServeHTTP(w, r)
	}))
	b.t.Cleanup(p.srv.Close)
	b.t.Cleanup(func() { p.gate(false) }) // first: nothing waits on the gate
	return p
}

// setRefused makes Omnisend refuse exactly these e-mails.
func (p *proxy) setRefused(emails ...string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refuse = map[string]bool{}
	for _, e := range emails {
		p.refuse[e] = true
	}
}

// gate holds batch requests until release lets them through, one each.
func (p *proxy) gate(on bool) {
	p.mu.Lock()
	p.gated = on
	p.mu.Unlock()
	if !on {
		p.open.Do(func() { close(p.tokens) }) // everything waiting, and everything after, goes
	}
}

func (p *proxy) release() { p.tokens <- struct{}{} }

// proxiedExport is an export of the segment seg over a connection
// through p.
func (p *proxy) export(name string, seg segment.Segment) export.Export {
	b := p.b
	b.t.Helper()
	c, err := b.a.Connections.Create(b.ctx, connection.Draft{
		Name: name + " brand", Access: connection.AccessContributors, APIKey: omnisend.NewSecret(sandboxKey), BaseURL: p.srv.URL,
		ExportUser: adminEmail, Consent: connection.Consent{By: adminEmail, At: time.Now(), NoticeVersion: connection.NoticeVersion},
	})
	require.NoError(b.t, err)
	return b.export(name, c, seg)
}

var pageRange = regexp.MustCompile(`id="results-total"[^>]*>([^<]*)<`)

func resultsTotal(t *testing.T, body string) string {
	t.Helper()
	m := pageRange.FindStringSubmatch(body)
	require.NotNil(t, m, "the page shows where its results stand")
	return strings.TrimSpace(m[1])
}

func hrefOf(t *testing.T, body, id string) string {
	t.Helper()
	m := regexp.MustCompile(`href="([^"]*)" id="` + id + `"`).FindStringSubmatch(body)
	require.NotNil(t, m, "the page has #%s", id)
	return strings.ReplaceAll(m[1], "&amp;", "&")
}

// TestRunResultsFilterPageAndRetry: a run's results filter by status,
// action, reason and e-mail, page both ways with totals, explain their
// reasons in words, and "Retry failed contacts now" starts a run that
// sends exactly the failed contacts again (one audit entry).
func TestRunResultsFilterPageAndRetry(t *testing.T) {
	onEachEngine(t, func(t *testing.T, dbURL string) {
		b := setup(t, setupOpts{dbURL: dbURL, profiles: 400})
		seg := b.segment("Buyers", `p.orders >= 1`)
		require.Greater(t, seg.MemberCount, 2*50, "enough members for three pages")
		p := newProxy(b)
		e := p.export("Buyers out", seg)
		refused := memberEmails(t, b, seg.ID, 3)
		p.setRefused(refused...)
		r := b.runToEnd(e)
		require.Equal(t, run.StatusSucceeded, r.Status, r.Message)
		require.Equal(t, 3, r.Counts.Failed[run.ReasonRejected], "Omnisend refused three")
		p.setRefused()
		ops := r.Counts.Added + r.Counts.SkippedTotal() + r.Counts.FailedTotal()
		total := export.Count(ops)

		b.startJobs()
		admin, viewer := b.login(adminEmail), b.login(viewerEmail)
		page := func(c *client, path string) string {
			t.Helper()
			res := c.get(path)
			require.Equal(t, http.StatusOK, res.status, res.body)
			return res.body
		}
		base := fmt.Sprintf("/runs/%d", r.ID)
		first := page(viewer, base)
		require.Equal(t, "1–50 of "+total+" results", resultsTotal(t, first))
		require.NotContains(t, first, `id="prev-page"`)
		second := page(viewer, hrefOf(t, first, "next-page"))
		require.Equal(t, "51–100 of "+total+" results", resultsTotal(t, second))
		back := page(viewer, hrefOf(t, second, "prev-page"))
		require.Equal(t, "1–50 of "+total+" results", resultsTotal(t, back), "back to the first page")
		require.NotContains(t, back, `id="prev-page"`)

		// Failed: the three, with the reason in words; the same through the reason.
		failed := page(viewer, base+"?status=failed")
		require.Equal(t, "1–3 of 3 results", resultsTotal(t, failed))
		for _, e := range refused {
			require.Contains(t, failed, e)
		}
		require.Contains(t, failed, html.EscapeString(run.ReasonText(run.ReasonRejected)), "the reason in words")
		require.Contains(t, page(viewer, base+"?reason=rejected&action=add"), "1–3 of 3 results")
		one := page(viewer, base+"?email="+url.QueryEscape(strings.ToUpper(refused[0])))
		require.Equal(t, "1–1 of 1 results", resultsTotal(t, one), "an e-mail, in any case")
		require.Contains(t, one, refused[0])
		require.Equal(t, "0 of 0 results", resultsTotal(t, page(viewer, base+"?email=nobody-at-all")))
		require.Contains(t, page(viewer, base+"?action=add&status=ok"),
			fmt.Sprintf("of %s results", export.Count(r.Counts.Added)))
		csv := viewer.get(base + "/results.csv?status=failed")
		require.Equal(t, http.StatusOK, csv.status)
		require.Equal(t, 4, strings.Count(csv.body, "\n"), "header and the three failed")
		for _, bad := range []string{"?status=nope", "?action=delete", "?email=" + strings.Repeat("a", 400)} {
			res := viewer.get(base + bad)
			require.Equal(t, http.StatusBadRequest, res.status, bad)
		}

		// Retry: not for a viewer, nor on a run without failures.
		require.NotContains(t, first, `id="retry"`, "a viewer has no retry button")
		require.Contains(t, page(admin, base), `id="retry"`)
		require.Equal(t, http.StatusForbidden, viewer.post(base+"/retry", nil).status)
		res := admin.post(base+"/retry", nil)
		require.Equal(t, http.StatusSeeOther, res.status, res.body)
		require.NotEqual(t, base, res.location, "the new run's page")
		id, err := strconv.ParseInt(strings.TrimPrefix(res.location, "/runs/"), 10, 64)
		require.NoError(t, err)
		var retry run.Run
		require.Eventually(t, func() bool {
			retry, err = b.a.Store.GetRun(b.ctx, id)
			return err == nil && retry.Status.Final()
		}, time.Minute, 20*time.Millisecond, "the retry run ends")
		require.Equal(t, run.StatusSucceeded, retry.Status, retry.Message)
		require.Equal(t, 3, retry.Counts.Added, "exactly the failed contacts are sent again")
		require.Zero(t, retry.Counts.FailedTotal())
		sent, err := b.a.Store.ListOps(b.ctx, retry.ID, run.OpFilter{Action: run.ActionAdd})
		require.NoError(t, err)
		var got []string
		for _, op := range sent {
			got = append(got, op.Email)
		}
		require.ElementsMatch(t, refused, got)
		entries := auditEntries(t, b, "run.retry")
		require.Len(t, entries, 1, "one audit entry")
		require.Contains(t, entries[0], fmt.Sprintf("retries the 3 failed contacts of run %d", r.ID))

		// The retry run has no failures: no button, and a post is refused plainly.
		again := admin.post(fmt.Sprintf("/runs/%d/retry", retry.ID), nil)
		require.Equal(t, http.StatusSeeOther, again.status)
		flash := page(admin, again.location)
		require.Contains(t, flash, "has no failed contacts to retry")
	})
}

// auditEntries are the details of the audit entries of action.
func auditEntries(t *testing.T, b *bundle, action string) []string {
	t.Helper()
	es, err := b.a.Audit.List(b.ctx, audit.ListOptions{Limit: 1000})
	require.NoError(t, err)
	var out []string
	for _, e := range es {
		if e.Action == action {
			out = append(out, e.Detail)
		}
	}
	return out
}

// startJobs starts the workers that run queued runs, until the test ends.
func (b *bundle) startJobs() {
	require.NoError(b.t, b.a.Jobs.Start(b.ctx, jobs.StartOptions{}))
	b.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = b.a.Jobs.Stop(ctx)
	})
}

// TestRunPageSaysWhichSkipsItDidNotList: a changes-only run counts the
// members skipped as before without reading them again; its page says so
// and that its results do not list them.
func TestRunPageSaysWhichSkipsItDidNotList(t *testing.T) {
	t.Parallel()
	var shift atomic.Int64
	b := setup(t, setupOpts{profiles: 300, now: func() time.Time { return time.Now().Add(time.Duration(shift.Load())) }})
	seg := b.segment("Buyers", `p.orders >= 1`)
	e := b.export("Buyers out", b.connection("Brand", connection.AccessContributors), seg)
	first := b.runToEnd(e)
	require.Equal(t, run.StatusSucceeded, first.Status, first.Message)
	require.Positive(t, first.Counts.SkippedTotal(), "the sample data has members without a usable e-mail")
	// An hourly export. The second run reads again what changed within
	// run.ChangeMargin of the first (the import); the third finds nothing
	// changed.
	shift.Store(int64(time.Hour))
	require.Equal(t, run.StatusSucceeded, b.runToEnd(e).Status)
	shift.Store(int64(2 * time.Hour))
	second := b.runToEnd(e)
	require.Equal(t, run.StatusSucceeded, second.Status, second.Message)
	require.Equal(t, run.PlanChanges, second.Plan.Mode)
	require.Equal(t, first.Counts.Skipped, second.Counts.Skipped)
	require.Equal(t, first.Counts.SkippedTotal(), second.Counts.SkippedUnchangedTotal())

	viewer := b.login(viewerEmail)
	res := viewer.get(fmt.Sprintf("/runs/%d", second.ID))
	require.Equal(t, http.StatusOK, res.status)
	require.Contains(t, res.body, fmt.Sprintf(`<p id="skipped-unchanged">%d of the skipped members were skipped as before`, second.Counts.SkippedTotal()))
	require.Contains(t, res.body, "0 results", "this run listed none of them")
	res = viewer.get(fmt.Sprintf("/runs/%d", first.ID))
	require.NotContains(t, res.body, `id="skipped-unchanged"`, "the first run decided and listed them")
}
