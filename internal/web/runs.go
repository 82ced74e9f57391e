package web

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"

	"segbridge/internal/export"
	"segbridge/internal/run"
	"segbridge/internal/service"
	"segbridge/internal/user"
)

// resultsPage is how many per-contact results a page shows.
const resultsPage = 50

// visibleRun loads run id if p may see its export.
func (s *server) visibleRun(ctx context.Context, p user.Principal, r *http.Request) (run.Run, export.Export, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return run.Run{}, export.Export{}, err
	}
	rn, err := s.app.Store.GetRun(ctx, id)
	if err != nil {
		return rn, export.Export{}, notFound("no run %d", id)
	}
	e, err := s.visibleExport(ctx, p, rn.ExportID)
	if err != nil {
		return rn, e, notFound("no run %d", id)
	}
	return rn, e, nil
}

type reasonCount struct {
	Reason string
	N      int
	Text   string // the reason in words
}

type runView struct {
	R         run.Run
	E         export.Export
	Progress  run.Progress
	Skipped   []reasonCount
	Failed    []reasonCount
	Results   []run.Result
	F         run.OpFilter // the results filter (Status, Action, Reason, Email)
	Statuses  []string
	Actions   []string
	Reasons   []string          // the reason codes to filter by
	Texts     map[string]string // every reason code in words
	Page      resultsPageView
	CSV       string
	Chart     chart
	CanChange bool
	// Retry says whether the run's failed contacts can be retried now.
	Retry bool

	// Dropped counts the members sent with something left out (a value
	// that could not be typed, a consent status held back), by reason.
	Dropped []reasonCount
}

// resultsPageView places a page of results: "41–80 of 1,234", and the
// links to the pages before and after it.
type resultsPageView struct {
	First, Last, Total string
	Prev, Next         string // links, "" when there is none
}

// runPage shows a run: status, live progress, counts, per-contact results
// (filtered by status, action, reason and e-mail, paged both ways, with
// totals) and the chart of the export's recent runs.
func (s *server) runPage(w http.ResponseWriter, r *http.Request) error {
	ctx, p := r.Context(), principal(r)
	rn, e, err := s.visibleRun(ctx, p, r)
	if err != nil {
		return err
	}
	f, err := resultsFilter(r.URL.Query())
	if err != nil {
		return err
	}
	v := runView{R: rn, E: e, F: f, CanChange: p.CanWrite(),
		Statuses: []string{"", string(run.OpOK), string(run.OpFailed), string(run.OpSkipped), string(run.OpPending)},
		Actions:  append([]string{""}, run.ResultActions...),
		Skipped:  reasonCounts(rn.Counts.Skipped), Failed: reasonCounts(rn.Counts.Failed), Texts: reasonTexts()}
	v.Reasons = append([]string{""}, run.ReasonCodes()...)
	v.Dropped = reasonCounts(rn.Counts.Dropped)
	v.Retry = v.CanChange && rn.Status.Final() && rn.Counts.FailedTotal() > 0
	if v.Progress, err = s.app.Store.RunProgress(ctx, rn.ID); err != nil {
		return err
	}
	if v.Results, v.Page, err = s.resultsPage(ctx, rn, f, r.URL.Query()); err != nil {
		return err
	}
	v.CSV = fmt.Sprintf("/runs/%d/results.csv", rn.ID)
	if q := filterQuery(f); len(q) > 0 {
		v.CSV += "?" + q.Encode()
	}
	runs, err := s.app.Store.ListRuns(ctx, e.ID, chartRuns)
	if err != nil {
		return err
	}
	v.Chart = newChart(runs)
	s.render(w, r, http.StatusOK, "run", v)
	return nil
}

// resultsFilter reads the results filter of a run page's query.
func resultsFilter(q url.Values) (run.OpFilter, error) {
	f := run.OpFilter{Status: run.OpStatus(q.Get("status")), Action: q.Get("action"),
		Reason: strings.TrimSpace(q.Get("reason")), Email: strings.TrimSpace(q.Get("email"))}
	if err := f.Valid(); err != nil {
		return f, badInput("%s", err.Error())
	}
	if len(f.Email) > 320 || len(f.Reason) > 100 {
		return f, badInput("the e-mail or reason to search for is too long")
	}
	return f, nil
}

// filterQuery is the query of f's filters (no paging).
func filterQuery(f run.OpFilter) url.Values {
	q := url.Values{}
	for k, v := range map[string]string{"status": string(f.Status), "action": f.Action, "reason": f.Reason, "email": f.Email} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q
}

// resultsPage lists one page of a run's results: after the seq in "after",
// before the seq in "before", or the first page; with where it stands
// among all results the filter selects.
func (s *server) resultsPage(ctx context.Context, rn run.Run, f run.OpFilter, q url.Values) ([]run.Result, resultsPageView, error) {
	runID := rn.ID
	var pv resultsPageView
	f.AfterSeq, _ = strconv.ParseInt(q.Get("after"), 10, 64)
	if f.AfterSeq <= 0 {
		f.AfterSeq = 0
		f.BeforeSeq, _ = strconv.ParseInt(q.Get("before"), 10, 64)
		f.BeforeSeq = max(f.BeforeSeq, 0)
	}
	f.Limit = resultsPage + 1
	ops, err := s.app.Store.ListOps(ctx, runID, f)
	if err != nil {
		return nil, pv, err
	}
	more := len(ops) > resultsPage // another page the way we listed
	if more && f.BeforeSeq > 0 {
		ops = ops[1:]
	} else if more {
		ops = ops[:resultsPage]
	}
	all := f
	all.AfterSeq, all.BeforeSeq, all.Limit = 0, 0, 0
	total, err := s.totals.count(ctx, s.app.Store, rn, all)
	if err != nil {
		return nil, pv, err
	}
	pv.Total = export.Count(total)
	if len(ops) == 0 {
		return nil, pv, nil
	}
	before := all
	before.BeforeSeq = ops[0].Seq
	n, err := s.app.Store.CountListed(ctx, runID, before)
	if err != nil {
		return nil, pv, err
	}
	pv.First, pv.Last = export.Count(n+1), export.Count(n+len(ops))
	link := func(k string, seq int64) string {
		lq := filterQuery(f)
		lq.Set(k, strconv.FormatInt(seq, 10))
		return fmt.Sprintf("/runs/%d?%s", runID, lq.Encode())
	}
	if n > 0 {
		pv.Prev = link("before", ops[0].Seq)
	}
	if n+len(ops) < total {
		pv.Next = link("after", ops[len(ops)-1].Seq)
	}
	out := make([]run.Result, len(ops))
	for i, op := range ops {
		out[i] = op.Result()
	}
	return out, pv, nil
}

// reasonTexts is every reason code in words, for the page's tooltips.
func reasonTexts() map[string]string {
	m := map[string]string{}
	for _, c := range run.ReasonCodes() {
		m[c] = run.ReasonText(c)
	}
	return m
}

func reasonCounts(m map[string]int) []reasonCount {
	out := make([]reasonCount, 0, len(m))
	for k, n := range m {
		out = append(out, reasonCount{k, n, run.ReasonText(k)})
	}
	slices.SortFunc(out, func(a, b reasonCount) int { return b.N - a.N })
	return out
}

// progressJSON is what the run page's script polls.
type progressJSON struct {
	ID       int64        `json:"id"`
	Status   run.Status   `json:"status"`
	Step     run.Step     `json:"step"`
	Final    bool         `json:"final"`
	Message  string       `json:"message,omitempty"`
	Progress run.Progress `json:"progress"`
	Counts   run.Counts   `json:"counts"`
	Requests int          `json:"requests"`
	Duration string       `json:"duration"`
}

func (s *server) runProgress(w http.ResponseWriter, r *http.Request) error {
	ctx, p := r.Context(), principal(r)
	rn, _, err := s.visibleRun(ctx, p, r)
	if err != nil {
		return err
	}
	prog, err := s.app.Store.RunProgress(ctx, rn.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, progressJSON{ID: rn.ID, Status: rn.Status, Step: rn.Step, Final: !rn.Status.Executable(),
		Message: rn.Message, Progress: prog, Counts: rn.Counts, Requests: rn.Requests, Duration: runDuration(rn)})
	return nil
}

// runResultsCSV downloads a run's per-contact results (all pages).
func (s *server) runResultsCSV(w http.ResponseWriter, r *http.Request) error {
	ctx, p := r.Context(), principal(r)
	rn, _, err := s.visibleRun(ctx, p, r)
	if err != nil {
		return err
	}
	f, err := resultsFilter(r.URL.Query())
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="run-%d-results.csv"`, rn.ID))
	cw := csv.NewWriter(w)
	_ = cw.Write(run.ResultCSVHeader)
	f.Limit = 1000
	for {
		ops, err := s.app.Store.ListOps(ctx, rn.ID, f)
		if err != nil {
			return err // headers may be out; the adapter logs it
		}
		for _, op := range ops {
			_ = cw.Write(op.Result().CSVRecord())
		}
		cw.Flush()
		if err := cw.Error(); err != nil || len(ops) < f.Limit {
			return err
		}
		f.AfterSeq = ops[len(ops)-1].Seq
	}
}

// retryRun starts a run of the run's export that sends its failed
// contacts again, and shows the new run.
func (s *server) retryRun(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	st, err := s.app.Services.Runs.Retry(r.Context(), principal(r), id, service.StartOptions{})
	if se, ok := service.AsError(err); ok && se.Kind == service.KindConflict {
		s.redirect(w, r, fmt.Sprintf("/runs/%d", id), se.Msg, true)
		return nil
	}
	if err != nil {
		return err
	}
	s.redirect(w, r, fmt.Sprintf("/runs/%d", st.Run.ID),
		fmt.Sprintf("Run %d started: it sends again the contacts run %d could not send.", st.Run.ID, id), false)
	return nil
}

// resultTotals remembers how many results each filter selects in a
// succeeded run, whose results no longer change (the next run of the
// export marks the ops a failed or cancelled run left pending): counting a filter that most of a
// million-contact run matches reads a large part of an index, and paging
// through it would count again on every page.
type resultTotals struct {
	mu sync.Mutex
	m  map[string]int
}

// maxTotals bounds resultTotals (it starts afresh when full).
const maxTotals = 1000

func (t *resultTotals) count(ctx context.Context, st interface {
	CountListed(context.Context, int64, run.OpFilter) (int, error)
}, rn run.Run, f run.OpFilter) (int, error) {
	if rn.Status != run.StatusSucceeded {
		return st.CountListed(ctx, rn.ID, f)
	}
	key := fmt.Sprintf("%d\x00%s\x00%s\x00%s\x00%s", rn.ID, f.Status, f.Action, f.Reason, strings.ToLower(f.Email))
	t.mu.Lock()
	n, ok := t.m[key]
	t.mu.Unlock()
	if ok {
		return n, nil
	}
	n, err := st.CountListed(ctx, rn.ID, f)
	if err != nil {
		return 0, err
	}
	t.mu.Lock()
	if t.m == nil || len(t.m) >= maxTotals {
		t.m = map[string]int{}
	}
	t.m[key] = n
	t.mu.Unlock()
	return n, nil
}
