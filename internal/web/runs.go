package web

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"segbridge/internal/export"
	"segbridge/internal/run"
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
}

type runView struct {
	R         run.Run
	E         export.Export
	Progress  run.Progress
	Skipped   []reasonCount
	Failed    []reasonCount
	Results   []run.Result
	Status    string // the results filter
	Statuses  []string
	NextAfter int64 // the next page's cursor, 0 if none
	CSV       string
	Chart     chart
	CanChange bool

	// Dropped counts the members sent with something left out (a value
	// that could not be typed, a consent status held back), by reason.
	Dropped []reasonCount
}

// runPage shows a run: status, live progress, counts, per-contact results
// (paged, filtered by status) and the chart of the export's recent runs.
func (s *server) runPage(w http.ResponseWriter, r *http.Request) error {
	ctx, p := r.Context(), principal(r)
	rn, e, err := s.visibleRun(ctx, p, r)
	if err != nil {
		return err
	}
	status, err := opStatus(r.URL.Query().Get("status"))
	if err != nil {
		return err
	}
	after, _ := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
	v := runView{R: rn, E: e, Status: string(status), CanChange: p.CanWrite(),
		Statuses: []string{"", string(run.OpOK), string(run.OpFailed), string(run.OpSkipped), string(run.OpPending)},
		Skipped:  reasonCounts(rn.Counts.Skipped), Failed: reasonCounts(rn.Counts.Failed)}
	v.Dropped = reasonCounts(rn.Counts.Dropped)
	if v.Progress, err = s.app.Store.RunProgress(ctx, rn.ID); err != nil {
		return err
	}
	ops, err := s.app.Store.ListOps(ctx, rn.ID, run.OpFilter{Status: status, AfterSeq: after, Limit: resultsPage + 1})
	if err != nil {
		return err
	}
	if len(ops) > resultsPage {
		ops = ops[:resultsPage]
		v.NextAfter = ops[len(ops)-1].Seq
	}
	for _, op := range ops {
		v.Results = append(v.Results, op.Result())
	}
	q := url.Values{}
	if status != "" {
		q.Set("status", string(status))
	}
	v.CSV = fmt.Sprintf("/runs/%d/results.csv", rn.ID)
	if len(q) > 0 {
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

func opStatus(s string) (run.OpStatus, error) {
	switch st := run.OpStatus(s); st {
	case "", run.OpOK, run.OpFailed, run.OpSkipped, run.OpPending:
		return st, nil
	}
	return "", badInput("status %q: want ok, failed, skipped or pending", s)
}

func reasonCounts(m map[string]int) []reasonCount {
	out := make([]reasonCount, 0, len(m))
	for k, n := range m {
		out = append(out, reasonCount{k, n})
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
	status, err := opStatus(r.URL.Query().Get("status"))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="run-%d-results.csv"`, rn.ID))
	cw := csv.NewWriter(w)
	_ = cw.Write(run.ResultCSVHeader)
	f := run.OpFilter{Status: status, Limit: 1000}
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
