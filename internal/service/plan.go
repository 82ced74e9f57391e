package service

import (
	"context"
	"errors"

	"segbridge/internal/run"
	"segbridge/internal/user"
)

// PlanOptions tune Runs.Plan.
type PlanOptions struct {
	// Diff, when set, gets one row per contact the run would change or
	// skip, as the plan makes them (streamed: nothing is collected).
	Diff func(run.DiffRow) error
	// Full previews a run started with a full check (every member), not
	// the plan a run would choose (only what changed, when it can).
	Full bool
}

// PlanResult is what a run of the export would do now (a dry run).
type PlanResult struct {
	Export     string `json:"export"`
	Connection string `json:"connection"`
	run.Preview
	ETA PlanETA `json:"eta"`
}

// PlanETA is how long the run would take at the brand's rate budget.
type PlanETA struct {
	// Seconds counts the brand's other work ahead of it (Ahead) sharing
	// the budget; AloneSeconds is the run's own requests only (tenths of
	// a second, rounded up).
	Seconds      float64 `json:"seconds"`
	AloneSeconds float64 `json:"alone_seconds"`
	// GeneralPerMinute and TagsPerMinute are the brand's budget.
	GeneralPerMinute float64 `json:"general_per_minute"`
	TagsPerMinute    float64 `json:"tags_per_minute"`
	// Ahead is the brand's runs in progress or queued (of this export or
	// others on the same Omnisend brand) with their requests still to make.
	Ahead []AheadRun `json:"ahead"`
}

// AheadRun is a run of the brand whose requests share the budget.
type AheadRun struct {
	Export   string     `json:"export"`
	RunID    int64      `json:"run_id"`
	Status   run.Status `json:"status"`
	Step     run.Step   `json:"step"`
	Requests run.Work   `json:"requests"`
	// EstimatedFrom says how: "preview" (a queued or planning run plans
	// what a preview of its export plans now) or "progress" (a running
	// run's sends and untags still to do).
	EstimatedFrom string `json:"estimated_from"`
	// Note says why it could not be estimated, when it could not.
	Note string `json:"note,omitempty"`
}

// Plan previews a run of the export nameOrID names (a dry run): the
// counts by action and reason, the Omnisend requests per route and the
// time at the brand's budget, with the diff streamed to opt.Diff. It
// writes nothing (no run, no op, no state, not even the segments'
// membership) and asks Omnisend nothing, so it records no audit entry;
// who may run the export may preview it. A definition the run would
// refuse (mapping or rules that no longer fit the profiles, the profile
// cap, every member skipped) is a conflict with the run's message.
func (s *Runs) Plan(ctx context.Context, p user.Principal, nameOrID string, opt PlanOptions) (PlanResult, error) {
	e, err := s.exports.writable(ctx, p, ExportPreview, nameOrID)
	if err != nil {
		return PlanResult{}, err
	}
	if e.Detached() {
		return PlanResult{}, Conflict("export %q cannot be previewed: %s; attach it to a connection first", e.Name, e.DetachedText())
	}
	if s.cfg.Plan == nil {
		return PlanResult{}, errors.New("service: runs: no planner configured")
	}
	res, err := s.cfg.Plan(ctx, e.Name, opt)
	var refused *run.RefusedError
	if errors.As(err, &refused) {
		return res, Conflict("export %q would not run as it is: %s", e.Name, refused.Msg).because(err)
	}
	return res, err
}
