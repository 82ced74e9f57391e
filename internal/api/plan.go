package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"

	"github.com/danielgtaylor/huma/v2"

	"segbridge/internal/app"
	"segbridge/internal/run"
	"segbridge/internal/service"
)

type planOutput struct {
	Body app.PlanResult
}

type planInput struct {
	Name string        `path:"name" minLength:"1" doc:"the export's name or id"`
	Body *fullCheckOpt `required:"false"`
}

type planDiffInput struct {
	Name   string `path:"name" minLength:"1" doc:"the export's name or id"`
	Full   bool   `query:"full" doc:"preview a full check of every member (a run started with full), not only what changed"`
	Format string `query:"format" enum:"csv,jsonl" default:"csv" doc:"csv (one row per contact; changes as \"field: old → new; …\", tags joined with |) or jsonl (one JSON object per contact)"`
}

type planDiffOutput struct {
	Body func(huma.Context)
}

func (s *server) registerPlan(api huma.API) {
	plan := operation("plan-export", http.MethodPost, "/exports/{name}/plan",
		"Preview a run of the export (a dry run): counts, requests per route, time; changes nothing", "runs", 200)
	plan.Description = "Plans a run exactly as a run would (the segments' members as a refresh would find them, the mapping, " +
		"the diff against what Omnisend is known to hold, the profile cap) and changes nothing anywhere: no run, no write, no " +
		"request to Omnisend, no audit entry. It answers the contacts by action and reason, the Omnisend requests per route, " +
		"and the time at the brand's rate budget, alone and behind the brand's runs in progress or queued. 409 when a run " +
		"would refuse the export as it is defined. The diff is GET /exports/{name}/plan/diff. Like a run, it plans only what " +
		"changed since the export's last run when it can (plan: changes), else every member (plan: full, with plan_reason); " +
		"full: true previews a run started with full."
	huma.Register(api, plan, s.planExport)
	diff := operation("plan-export-diff", http.MethodGet, "/exports/{name}/plan/diff",
		"Download the diff of a run preview: one row per contact the run would change or skip (streamed)", "runs", 200)
	diff.Description = "Plans as POST /exports/{name}/plan does and streams, as the plan goes, one row per contact the run " +
		"would change or skip: e-mail, action (add, update, tag, untag, skip), reason, each changed field old → new (old values " +
		"from the contact the export last had confirmed; old_unknown when that is no longer on record), tags added and removed. " +
		"Changes nothing."
	diff.Responses = map[string]*huma.Response{"200": {
		Description: "the diff, streamed",
		Content: map[string]*huma.MediaType{
			"text/csv":             {Schema: &huma.Schema{Type: "string", Description: "email,action,reason,changes,old_unknown,tags_added,tags_removed"}},
			"application/x-ndjson": {Schema: api.OpenAPI().Components.Schemas.Schema(reflect.TypeFor[run.DiffRow](), true, "DiffRow")},
		},
	}}
	huma.Register(api, diff, s.planDiff)
}

func (s *server) planExport(ctx context.Context, in *planInput) (*planOutput, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	res, err := s.a.Services.Runs.Plan(ctx, p, in.Name, service.PlanOptions{Full: in.Body.full()})
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	return &planOutput{Body: res}, nil
}

// planDiff streams the diff. The answer's status and headers wait for the
// first row, so a refusal (no such export, not allowed, a definition the
// run would refuse) is still a problem+json answer.
func (s *server) planDiff(ctx context.Context, in *planDiffInput) (*planDiffOutput, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	return &planDiffOutput{Body: func(hc huma.Context) {
		lw := &lazyBody{hc: hc, format: in.Format, name: in.Name}
		dw, err := run.NewDiffWriter(lw, in.Format)
		if err == nil {
			_, err = s.a.Services.Runs.Plan(hc.Context(), p, in.Name, service.PlanOptions{Diff: dw.Write, Full: in.Full})
		}
		if err == nil {
			err = dw.Flush()
		}
		if err != nil && !lw.started {
			s.writeProblem(hc, s.problem(hc.Context(), err))
			return
		}
		if err != nil {
			s.log.ErrorContext(hc.Context(), "plan diff cut short", "export", in.Name, "error", err)
			return
		}
		lw.start() // an empty JSON Lines diff still answers 200
	}}, nil
}

// lazyBody sets the diff's status and headers on its first write.
type lazyBody struct {
	hc      huma.Context
	format  string
	name    string
	started bool
}

func (l *lazyBody) start() {
	if l.started {
		return
	}
	l.started = true
	ct, ext := "text/csv; charset=utf-8", "csv"
	if l.format == run.DiffJSONL {
		ct, ext = "application/x-ndjson", "jsonl"
	}
	l.hc.SetHeader("Content-Type", ct)
	l.hc.SetHeader("Content-Disposition", fmt.Sprintf(`attachment; filename="plan-diff.%s"`, ext))
	l.hc.SetStatus(http.StatusOK)
}

func (l *lazyBody) Write(b []byte) (int, error) {
	l.start()
	return l.hc.BodyWriter().Write(b)
}

// writeProblem answers err (a huma status error) as problem+json.
func (s *server) writeProblem(hc huma.Context, err error) {
	status := http.StatusInternalServerError
	var se huma.StatusError
	if errors.As(err, &se) {
		status = se.GetStatus()
	}
	hc.SetHeader("Content-Type", "application/problem+json")
	hc.SetStatus(status)
	_ = json.NewEncoder(hc.BodyWriter()).Encode(err)
}
