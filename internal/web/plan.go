package web

import (
	"fmt"
	"net/http"
	"time"

	"segbridge/internal/export"
	"segbridge/internal/run"
	"segbridge/internal/service"
)

// planView is the preview of an export's run.
type planView struct {
	E      export.Export
	P      service.PlanResult
	Alone  string
	Ahead  string
	Counts []planCount
	// Full: the preview of a full check (?full=yes).
	Full bool
}

type planCount struct {
	Label string
	N     int
}

// planPage previews a run of the export (a dry run): it changes nothing,
// so it is a plain GET.
func (s *server) planPage(w http.ResponseWriter, r *http.Request) error {
	e, err := s.pathExport(r)
	if err != nil {
		return err
	}
	full := r.URL.Query().Get("full") == "yes"
	res, err := s.app.Services.Runs.Plan(r.Context(), principal(r), e.Name, service.PlanOptions{Full: full})
	if err != nil {
		return err
	}
	c := res.Counts
	v := planView{E: e, P: res, Full: full,
		Alone: secondsText(res.ETA.AloneSeconds),
		Ahead: secondsText(res.ETA.Seconds),
		Counts: []planCount{{"members", c.Members}, {"to add", c.Added}, {"to update", c.Updated}, {"unchanged", c.Unchanged},
			{"to untag", c.Untagged}, {"kept tagged", c.Kept}, {"skipped", c.SkippedTotal()}}}
	s.render(w, r, http.StatusOK, "export_plan", v)
	return nil
}

// secondsText shows seconds as a duration ("1m30s", "2.4s").
func secondsText(s float64) string {
	return time.Duration(s * float64(time.Second)).Round(time.Second / 10).String()
}

// planDiffCSV and planDiffJSONL stream the preview's diff.
func (s *server) planDiffCSV(w http.ResponseWriter, r *http.Request) error {
	return s.planDiff(w, r, run.DiffCSV)
}

func (s *server) planDiffJSONL(w http.ResponseWriter, r *http.Request) error {
	return s.planDiff(w, r, run.DiffJSONL)
}

// planDiff streams the diff as the plan goes; the headers wait for the
// first row, so a refusal is still an error page.
func (s *server) planDiff(w http.ResponseWriter, r *http.Request, format string) error {
	e, err := s.pathExport(r)
	if err != nil {
		return err
	}
	lw := &lazyDownload{w: w, format: format, id: e.ID}
	dw, err := run.NewDiffWriter(lw, format)
	if err != nil {
		return err
	}
	if _, err := s.app.Services.Runs.Plan(r.Context(), principal(r), e.Name, service.PlanOptions{Diff: dw.Write, Full: r.URL.Query().Get("full") == "yes"}); err != nil {
		if lw.started {
			s.log.ErrorContext(r.Context(), "plan diff cut short", "export", e.Name, "error", err)
			return nil
		}
		return err
	}
	err = dw.Flush()
	lw.start()
	return err
}

// lazyDownload sets a download's headers on its first write.
type lazyDownload struct {
	w       http.ResponseWriter
	format  string
	id      int64
	started bool
}

func (l *lazyDownload) start() {
	if l.started {
		return
	}
	l.started = true
	ct := "text/csv; charset=utf-8"
	if l.format == run.DiffJSONL {
		ct = "application/x-ndjson"
	}
	l.w.Header().Set("Content-Type", ct)
	l.w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="export-%d-plan-diff.%s"`, l.id, l.format))
	l.w.WriteHeader(http.StatusOK)
}

func (l *lazyDownload) Write(b []byte) (int, error) {
	l.start()
	return l.w.Write(b)
}
