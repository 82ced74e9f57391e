package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"segbridge/internal/export"
	"segbridge/internal/run"
	"segbridge/internal/service"
)

// holdJSON is what the removal brake decided for a run.
type holdJSON struct {
	Reason    string     `json:"reason" doc:"the thresholds the run's plan crossed, with the figures"`
	Decision  string     `json:"decision,omitempty" enum:"approved,discarded" doc:"what was decided about the held untags (absent while they wait)"`
	DecidedBy string     `json:"decided_by,omitempty"`
	DecidedAt *time.Time `json:"decided_at,omitempty"`
}

// toHoldJSON is r's hold, or nil when the brake let r through.
func toHoldJSON(r run.Run) *holdJSON {
	h := r.Hold
	if h.Reason == "" {
		return nil
	}
	j := &holdJSON{Reason: h.Reason, Decision: string(h.Decision), DecidedBy: h.By}
	if !h.At.IsZero() {
		t := h.At
		j.DecidedAt = &t
	}
	return j
}

type approveRunOutput struct {
	Body struct {
		Run runJSON `json:"run"`
		// JobID is the River job that sends the untags.
		JobID int64 `json:"job_id"`
	}
}

func (s *server) registerBrake(api huma.API) {
	approve := operation("approve-run", http.MethodPost, "/runs/{id}/approve", "Send the untags the removal brake held in a run", "runs", 202)
	approve.Description = "The run (status held) continues at its untag step as a job, like any run; follow it with GET /runs/{id}. " +
		"Whoever may run the export may approve; 409 when the run is not held."
	huma.Register(api, approve, s.approveRun)
	discard := operation("discard-run", http.MethodPost, "/runs/{id}/discard", "Drop the untags the removal brake held in a run; the contacts keep their tags", "runs", 200)
	discard.Description = "The held untags are marked skipped (reason discarded) and the run ends; nothing is sent to Omnisend. " +
		"Whoever may run the export may discard; 409 when the run is not held."
	huma.Register(api, discard, s.discardRun)
}

func (s *server) approveRun(ctx context.Context, in *runIDInput) (*approveRunOutput, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	st, err := s.a.Services.Runs.Approve(ctx, p, in.ID)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	out := &approveRunOutput{}
	out.Body.Run, out.Body.JobID = toRunJSON(st.Run, st.Export.Name), st.JobID
	return out, nil
}

func (s *server) discardRun(ctx context.Context, in *runIDInput) (*runOutput, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	r, e, err := s.a.Services.Runs.Discard(ctx, p, in.ID)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	return &runOutput{Body: toRunJSON(r, e.Name)}, nil
}

// heldConflict says how to unblock an export whose run is held, or nil
// when err is not about a held run.
func heldConflict(err error) error {
	var held *run.HeldError
	e, ok := service.AsError(err)
	if !ok || !errors.As(err, &held) {
		return nil
	}
	return huma.Error409Conflict(fmt.Sprintf("%s (POST /api/v1/runs/%d/approve or /api/v1/runs/%d/discard)", e.Msg, held.RunID, held.RunID))
}

// withBrake is in with the brake thresholds p sets (nil: none).
func withBrake(in service.ExportInput, p *export.BrakePatch) service.ExportInput {
	if p != nil {
		in.Brake = *p
	}
	return in
}
