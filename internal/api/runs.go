package api

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"segbridge/internal/export"
	"segbridge/internal/run"
	"segbridge/internal/service"
	"segbridge/internal/store"
	"segbridge/internal/user"
)

// runJSON is a run as the API shows it.
type runJSON struct {
	ID              int64             `json:"id"`
	ExportID        int64             `json:"export_id"`
	Export          string            `json:"export"`
	Trigger         string            `json:"trigger" enum:"manual,refresh,schedule"`
	Status          string            `json:"status" enum:"queued,running,held,succeeded,failed,cancelled"`
	Step            string            `json:"step"`
	Message         string            `json:"message,omitempty"`
	CancelRequested bool              `json:"cancel_requested"`
	QueuedAt        time.Time         `json:"queued_at"`
	StartedAt       *time.Time        `json:"started_at"`
	FinishedAt      *time.Time        `json:"finished_at"`
	Requests        int               `json:"requests" doc:"Omnisend API requests the run made"`
	Counts          run.Counts        `json:"counts"`
	Progress        *run.Progress     `json:"progress,omitempty" doc:"how far the send, confirm and untag steps are; while the run is active"`
	Hold            *holdJSON         `json:"hold,omitempty" doc:"when the removal brake held the run's untags: why, and what was decided"`
	Reasons         map[string]string `json:"reasons,omitempty" doc:"each reason code in the counts (skipped, failed, dropped), in words"`
	Plan            *planJSON         `json:"plan,omitempty" doc:"how the run planned: changes only, or every member (a full check) and why"`
}

// planJSON is how a run planned.
type planJSON struct {
	Full   bool   `json:"full_requested" doc:"the run was started with a full check"`
	Mode   string `json:"mode,omitempty" enum:"full,changes" doc:"full: every member was read; changes: only what changed since the export's last run"`
	Reason string `json:"reason,omitempty" doc:"why the plan read every member"`
	Read   int    `json:"read" doc:"the members the plan read"`
}

func toPlanJSON(p run.PlanInfo) *planJSON {
	if !p.Full && p.Mode == "" {
		return nil
	}
	return &planJSON{Full: p.Full, Mode: p.Mode, Reason: p.Reason, Read: p.Read}
}

func toRunJSON(r run.Run, exportName string) runJSON {
	j := runJSON{ID: r.ID, ExportID: r.ExportID, Export: exportName, Trigger: string(r.Trigger), Status: string(r.Status),
		Step: string(r.Step), Message: r.Message, CancelRequested: r.CancelRequested, QueuedAt: r.QueuedAt,
		Requests: r.Requests, Counts: r.Counts, Hold: toHoldJSON(r), Plan: toPlanJSON(r.Plan)}
	for _, m := range []map[string]int{r.Counts.Skipped, r.Counts.Failed, r.Counts.Dropped} {
		for k := range m {
			if t := run.ReasonText(k); t != "" {
				if j.Reasons == nil {
					j.Reasons = map[string]string{}
				}
				j.Reasons[k] = t
			}
		}
	}
	if !r.StartedAt.IsZero() {
		t := r.StartedAt
		j.StartedAt = &t
	}
	if !r.FinishedAt.IsZero() {
		t := r.FinishedAt
		j.FinishedAt = &t
	}
	return j
}

type runsInput struct {
	Name  string `path:"name" minLength:"1" doc:"the export's name or id"`
	Limit int    `query:"limit" minimum:"1" maximum:"1000" default:"20"`
}

type runsOutput struct {
	Body []runJSON
}

type runIDInput struct {
	ID int64 `path:"id" minimum:"1"`
}

type runOutput struct {
	Body runJSON
}

type startRunOutput struct {
	Body struct {
		Run runJSON `json:"run"`
		// JobID is the River job that works the run.
		JobID int64 `json:"job_id"`
	}
}

type resultsInput struct {
	ID     int64  `path:"id" minimum:"1"`
	Status string `query:"status" enum:"ok,failed,skipped,pending" doc:"only results with this status"`
	Action string `query:"action" enum:"add,update,tag,untag,skip" doc:"only results with this action"`
	Reason string `query:"reason" maxLength:"100" doc:"only results with this skip or failure reason (such as rejected or invalid_email)"`
	Email  string `query:"email" maxLength:"320" doc:"only results whose e-mail starts with this (any case)"`
	After  int64  `query:"after" minimum:"0" doc:"only results after this seq (keyset paging: pass the last seq of the previous page)"`
	Limit  int    `query:"limit" minimum:"0" maximum:"100000" doc:"at most this many results (0: all)"`
	Format string `query:"format" enum:"json,csv" doc:"csv downloads the results as CSV (as does Accept: text/csv)"`
	Accept string `header:"Accept"`
}

type resultsOutput struct {
	Body func(huma.Context)
}

func (s *server) registerRuns(api huma.API) {
	huma.Register(api, operation("list-runs", http.MethodGet, "/exports/{name}/runs", "An export's runs, newest first, with their counts", "runs", 200), s.listRuns)
	start := operation("start-run", http.MethodPost, "/exports/{name}/run", "Run an export now: queue a run for the workers", "runs", 202)
	start.Description = "Queues a run (one per export at a time: 409 while one is in progress) and its job; a worker " +
		"(segbridge serve or segbridge worker) runs it. Follow it with GET /runs/{id}."
	huma.Register(api, start, s.startRun)
	huma.Register(api, operation("get-run", http.MethodGet, "/runs/{id}", "Get a run with its counts and, while active, its progress", "runs", 200), s.getRun)
	huma.Register(api, operation("cancel-run", http.MethodPost, "/runs/{id}/cancel", "Ask an active run to stop at its next checkpoint", "runs", 202), s.cancelRun)
	results := operation("run-results", http.MethodGet, "/runs/{id}/results", "A run's per-contact results (JSON, or CSV with Accept: text/csv or format=csv)", "runs", 200)
	results.Responses = map[string]*huma.Response{"200": {
		Description: "the per-contact results",
		Content: map[string]*huma.MediaType{
			"application/json": {Schema: api.OpenAPI().Components.Schemas.Schema(reflect.TypeFor[[]run.Result](), true, "ResultRows")},
			"text/csv":         {Schema: &huma.Schema{Type: "string", Description: "seq,action,email,profile_id,status,reason,message,batch_id"}},
		},
	}}
	huma.Register(api, results, s.runResults)
	retry := operation("retry-run", http.MethodPost, "/runs/{id}/retry", "Retry a run's failed contacts now: start a run of its export that sends them again", "runs", 202)
	retry.Description = "The run must have ended with failed contacts (409 otherwise, or while its export has a run in progress). " +
		"The new run is an ordinary changes-only run: a contact that failed is not confirmed in the export's state, so it is sent " +
		"again, with whatever changed since. Whoever may run the export may retry. Follow it with GET /runs/{id}."
	huma.Register(api, retry, s.retryRun)
	s.registerBrake(api)
}

func (s *server) listRuns(ctx context.Context, in *runsInput) (*runsOutput, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	e, _, err := s.findExport(ctx, p, in.Name)
	if err != nil {
		return nil, err
	}
	runs, err := s.a.Store.ListRuns(ctx, e.ID, in.Limit)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	out := &runsOutput{Body: make([]runJSON, len(runs))}
	for i, r := range runs {
		out.Body[i] = toRunJSON(r, e.Name)
	}
	return out, nil
}

// startRunInput names the export; the body is optional.
type startRunInput struct {
	Name string        `path:"name" minLength:"1" doc:"the export's name or id"`
	Body *fullCheckOpt `required:"false"`
}

// fullCheckOpt asks for a full check (a run's or a preview's).
type fullCheckOpt struct {
	Full bool `json:"full,omitempty" doc:"check every member (a full plan) instead of only what changed since the export's last run"`
}

func (o *fullCheckOpt) full() bool { return o != nil && o.Full }

func (s *server) startRun(ctx context.Context, in *startRunInput) (*startRunOutput, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	st, err := s.a.Services.Runs.Start(ctx, p, in.Name, service.StartOptions{Full: in.Body.full()})
	if herr := heldConflict(err); herr != nil {
		return nil, herr
	}
	if errors.Is(err, run.ErrActiveRun) {
		if e, ok := service.AsError(err); ok && st.Run.ID != 0 {
			return nil, huma.Error409Conflict(fmt.Sprintf("%s (POST /api/v1/runs/%d/cancel)", e.Msg, st.Run.ID))
		}
	}
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	out := &startRunOutput{}
	out.Body.Run, out.Body.JobID = toRunJSON(st.Run, st.Export.Name), st.JobID
	return out, nil
}

func (s *server) retryRun(ctx context.Context, in *runIDInput) (*startRunOutput, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	st, err := s.a.Services.Runs.Retry(ctx, p, in.ID, service.StartOptions{})
	if herr := heldConflict(err); herr != nil {
		return nil, herr
	}
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	out := &startRunOutput{}
	out.Body.Run, out.Body.JobID = toRunJSON(st.Run, st.Export.Name), st.JobID
	return out, nil
}

// findRun looks up a run of an export p may see.
func (s *server) findRun(ctx context.Context, p user.Principal, id int64) (run.Run, export.Export, error) {
	notFound := huma.Error404NotFound(fmt.Sprintf("no run %d of an export you may see", id))
	r, err := s.a.Store.GetRun(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return r, export.Export{}, notFound
	}
	if err != nil {
		return r, export.Export{}, s.problem(ctx, err)
	}
	e, _, err := s.findExport(ctx, p, strconv.FormatInt(r.ExportID, 10))
	if err != nil {
		return r, e, notFound
	}
	return r, e, nil
}

func (s *server) getRun(ctx context.Context, in *runIDInput) (*runOutput, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	r, e, err := s.findRun(ctx, p, in.ID)
	if err != nil {
		return nil, err
	}
	j := toRunJSON(r, e.Name)
	if !r.Status.Final() {
		pr, err := s.a.Store.RunProgress(ctx, r.ID)
		if err != nil {
			return nil, s.problem(ctx, err)
		}
		j.Progress = &pr
	}
	return &runOutput{Body: j}, nil
}

func (s *server) cancelRun(ctx context.Context, in *runIDInput) (*runOutput, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	r, e, err := s.a.Services.Runs.CancelRun(ctx, p, in.ID)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	return &runOutput{Body: toRunJSON(r, e.Name)}, nil
}

// wantsCSV reports whether the results are asked for as CSV.
func (in *resultsInput) wantsCSV() bool {
	if in.Format != "" {
		return in.Format == "csv"
	}
	for _, part := range strings.Split(in.Accept, ",") {
		if mt, _, err := mime.ParseMediaType(strings.TrimSpace(part)); err == nil && mt == "text/csv" {
			return true
		}
	}
	return false
}

func (s *server) runResults(ctx context.Context, in *resultsInput) (*resultsOutput, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	r, _, err := s.findRun(ctx, p, in.ID)
	if err != nil {
		return nil, err
	}
	f := run.OpFilter{Status: run.OpStatus(in.Status), Action: in.Action, Reason: in.Reason, Email: in.Email, AfterSeq: in.After, Limit: 1000}
	left := in.Limit // 0: all
	if left > 0 {
		f.Limit = min(f.Limit, left)
	}
	first, err := s.a.Store.ListOps(ctx, r.ID, f)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	asCSV := in.wantsCSV()
	return &resultsOutput{Body: func(hc huma.Context) {
		w := newResultWriter(hc, asCSV, r.ID)
		ops := first
		for {
			for _, op := range ops {
				if err := w.write(op.Result()); err != nil {
					return // the client went away
				}
			}
			if len(ops) < f.Limit {
				break
			}
			if in.Limit > 0 {
				if left -= len(ops); left <= 0 {
					break
				}
				f.Limit = min(f.Limit, left)
			}
			f.AfterSeq = ops[len(ops)-1].Seq
			if ops, err = s.a.Store.ListOps(ctx, r.ID, f); err != nil {
				s.log.ErrorContext(ctx, "run results cut short", "run", r.ID, "error", err)
				break
			}
		}
		w.close()
	}}, nil
}

// resultWriter streams result rows as a JSON array or CSV.
type resultWriter struct {
	csv   *csv.Writer
	json  *json.Encoder
	hc    huma.Context
	first bool
}

func newResultWriter(hc huma.Context, asCSV bool, runID int64) *resultWriter {
	w := &resultWriter{hc: hc, first: true}
	if asCSV {
		hc.SetHeader("Content-Type", "text/csv; charset=utf-8")
		hc.SetHeader("Content-Disposition", fmt.Sprintf(`attachment; filename="run-%d-results.csv"`, runID))
		hc.SetStatus(http.StatusOK)
		w.csv = csv.NewWriter(hc.BodyWriter())
		_ = w.csv.Write(run.ResultCSVHeader)
		return w
	}
	hc.SetHeader("Content-Type", "application/json")
	hc.SetStatus(http.StatusOK)
	w.json = json.NewEncoder(hc.BodyWriter())
	_, _ = hc.BodyWriter().Write([]byte("["))
	return w
}

func (w *resultWriter) write(r run.Result) error {
	if w.csv != nil {
		return w.csv.Write(r.CSVRecord())
	}
	if !w.first {
		if _, err := w.hc.BodyWriter().Write([]byte(",")); err != nil {
			return err
		}
	}
	w.first = false
	return w.json.Encode(r)
}

func (w *resultWriter) close() {
	if w.csv != nil {
		w.csv.Flush()
		return
	}
	_, _ = w.hc.BodyWriter().Write([]byte("]\n"))
}
