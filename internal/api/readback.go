package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"segbridge/internal/app"
	"segbridge/internal/explain"
	"segbridge/internal/export"
	"segbridge/internal/service"
	"segbridge/internal/store"
)

type verifyInput struct {
	Name string `path:"name" minLength:"1" doc:"the export's name or id"`
	Body *struct {
		Repair       string `json:"repair,omitempty" enum:"report,all" default:"report" doc:"report lists the findings; all also marks them so that the export's next run repairs them"`
		EstimateOnly bool   `json:"estimate_only,omitempty" doc:"only count the requests a verify would make; nothing is asked of Omnisend"`
	}
}

type verifyOutput struct {
	Body app.VerifyResult
}

type syncOutput struct {
	Body app.SyncResult
}

type explainInput struct {
	Email  string `query:"email" required:"true" minLength:"3" maxLength:"254" doc:"the e-mail address to explain"`
	Export string `query:"export" doc:"only this export (name or id); default: every export you may see"`
}

type explainOutput struct {
	Body explain.Explanation
}

func (s *server) registerReadback(api huma.API) {
	verify := operation("verify-export", http.MethodPost, "/exports/{name}/verify",
		"Read the export's contacts back from Omnisend and report what drifted", "exports", 200)
	verify.Description = "Lists the contacts carrying the export's tags in Omnisend (250 a request; the answer's estimate says how many " +
		"requests, estimate_only counts them without asking Omnisend) and compares them with the confirmed state: missing contacts, " +
		"missing tags, extra tagged contacts, extra tags, differing fields. repair=all marks the findings for the export's next run. " +
		"Unsubscribes it reads are written onto the profiles. 409 while the export has a run in progress."
	huma.Register(api, verify, s.verifyExport)
	sync := operation("sync-unsubscribes", http.MethodPost, "/connections/{name}/sync-unsubscribes",
		"Write the unsubscribes made in Omnisend onto the profiles (omnisend_email_status, omnisend_email_status_at) (admin)", "connections", 200)
	sync.Description = "Reads the contacts updated in the connection's brand since the last check (the first check, and every check " +
		"on v3: every unsubscribed contact) and writes their e-mail status onto the profiles with those addresses. Every system " +
		"refresh does this first."
	huma.Register(api, sync, s.syncUnsubscribes)
	huma.Register(api, operation("explain", http.MethodGet, "/explain",
		"Why an e-mail is (not) in Omnisend with each export's tags: profiles, segments, decisions, the contact in Omnisend", "exports", 200),
		s.explain)
}

func (s *server) verifyExport(ctx context.Context, in *verifyInput) (*verifyOutput, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	opt := service.VerifyOptions{}
	if in.Body != nil {
		opt.Repair, opt.EstimateOnly = in.Body.Repair == "all", in.Body.EstimateOnly
	}
	res, err := s.a.Services.Runs.Verify(ctx, p, in.Name, opt)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	return &verifyOutput{Body: res}, nil
}

func (s *server) syncUnsubscribes(ctx context.Context, in *connectionRefInput) (*syncOutput, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	res, err := s.a.Services.Connections.SyncUnsubscribes(ctx, p, in.Name)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	return &syncOutput{Body: res}, nil
}

func (s *server) explain(ctx context.Context, in *explainInput) (*explainOutput, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	v, err := s.loadExportView(ctx)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	ex, err := s.a.Explain(ctx, in.Email, in.Export, func(e export.Export) bool { return v.visible(p, e) })
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, huma.Error404NotFound(fmt.Sprintf("no export named %q that you may see", in.Export))
	case errors.Is(err, app.ErrNoEmail):
		return nil, huma.Error422UnprocessableEntity(err.Error())
	case err != nil:
		return nil, s.problem(ctx, err)
	}
	return &explainOutput{Body: ex}, nil
}
