package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"segbridge/internal/store"
)

// refreshJSON is one system refresh.
type refreshJSON struct {
	ID         int64      `json:"id"`
	StartedAt  time.Time  `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at"`
	Status     string     `json:"status" enum:"running,succeeded,failed,held,discarded"`
	Message    string     `json:"message,omitempty"`
	Segments   int        `json:"segments" doc:"segments refreshed"`
	Runs       int        `json:"runs" doc:"export runs queued"`
	// Steps are the refresh's steps: each source read, unify, segments, exports.
	Steps []store.RefreshStep `json:"steps" doc:"each step's counts, timings and errors"`
	// Held are the sources whose removals wait for an admin (status held).
	Held []store.HeldSource `json:"held" doc:"the sources the removal guard held"`
}

func toRefreshJSON(r store.SystemRefresh) refreshJSON {
	j := refreshJSON{ID: r.ID, StartedAt: r.StartedAt, Status: r.Status, Message: r.Message, Segments: r.Segments, Runs: r.Runs,
		Steps: r.Steps, Held: r.Held}
	if j.Steps == nil {
		j.Steps = []store.RefreshStep{}
	}
	if j.Held == nil {
		j.Held = []store.HeldSource{}
	}
	if !r.FinishedAt.IsZero() {
		t := r.FinishedAt
		j.FinishedAt = &t
	}
	return j
}

type systemRefreshOutput struct {
	Body struct {
		// Schedule is the refresh's cron expression in TimeZone.
		Schedule string `json:"schedule" example:"0 2 * * *"`
		TimeZone string `json:"time_zone" example:"UTC"`
		// Stored says whether an admin stored the schedule (it wins) or it
		// is the process's configured default.
		Stored    bool          `json:"stored" doc:"true: an admin stored it; false: the configured default (--refresh-schedule) is in force"`
		UpdatedAt *time.Time    `json:"updated_at,omitempty" doc:"when the stored schedule was set"`
		UpdatedBy string        `json:"updated_by,omitempty" doc:"who set the stored schedule"`
		NextRun   *time.Time    `json:"next_run"`
		Refreshes []refreshJSON `json:"refreshes" doc:"the latest refreshes, newest first"`
	}
}

type setScheduleInput struct {
	Body struct {
		Schedule string `json:"schedule" minLength:"1" maxLength:"200" example:"30 1 * * *"`
		TimeZone string `json:"time_zone,omitempty" maxLength:"100" example:"Europe/Prague"`
	}
}

type refreshRunOutput struct {
	Body struct {
		JobID int64 `json:"job_id" doc:"the River job that works the refresh"`
	}
}

func (s *server) registerSystem(api huma.API) {
	huma.Register(api, operation("get-system-refresh", http.MethodGet, "/system/refresh", "The system refresh: schedule, next run and recent refreshes", "system", 200), s.getSystemRefresh)
	set := operation("set-system-refresh", http.MethodPut, "/system/refresh", "Change the system refresh schedule (admin)", "system", 200)
	set.Description = "Stores the schedule: a 5-field cron expression in a time zone (an IANA name, default UTC). " +
		"Every serve and worker process reads it on its next cron check (each minute) and follows it without a restart; " +
		"the stored schedule wins over the processes' --refresh-schedule and --time-zone, which apply only until one is stored."
	huma.Register(api, set, s.setSystemRefresh)
	huma.Register(api, operation("run-system-refresh", http.MethodPost, "/system/refresh/run", "Queue a system refresh now (admin)", "system", 202), s.runSystemRefresh)
	now := operation("refresh-now", http.MethodPost, "/system/refresh/now", "Run the system refresh now and wait for it (admin)", "system", 200)
	now.Description = "Reads every source, unifies the profiles, refreshes the segments and queues the runs of the exports " +
		"that follow the refresh (workers run them), and answers with the refresh's record. A failed or held refresh is " +
		"answered with its record too: its status and message say what happened."
	huma.Register(api, now, s.refreshNow)
	huma.Register(api, operation("release-refresh", http.MethodPost, "/system/refreshes/{id}/release",
		"Release a held refresh: remove the profiles its sources no longer return, then go on (admin)", "system", 200), s.releaseRefresh)
	huma.Register(api, operation("discard-refresh", http.MethodPost, "/system/refreshes/{id}/discard",
		"Discard a held refresh: nothing is removed, no export runs (admin)", "system", 200), s.discardRefresh)
}

type systemRefreshRecord struct{ Body refreshJSON }

type refreshRefInput struct {
	ID int64 `path:"id" minimum:"1" doc:"the refresh's id"`
}

func (s *server) refreshNow(ctx context.Context, _ *noInput) (*systemRefreshRecord, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	// A client that stops waiting does not cut the refresh short.
	rec, err := s.a.Services.System.Refresh(context.WithoutCancel(ctx), p)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	return &systemRefreshRecord{Body: toRefreshJSON(rec)}, nil
}

func (s *server) releaseRefresh(ctx context.Context, in *refreshRefInput) (*systemRefreshRecord, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	rec, err := s.a.Services.System.Release(context.WithoutCancel(ctx), p, in.ID)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	return &systemRefreshRecord{Body: toRefreshJSON(rec)}, nil
}

func (s *server) discardRefresh(ctx context.Context, in *refreshRefInput) (*systemRefreshRecord, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	rec, err := s.a.Services.System.Discard(ctx, p, in.ID)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	return &systemRefreshRecord{Body: toRefreshJSON(rec)}, nil
}

func (s *server) getSystemRefresh(ctx context.Context, _ *noInput) (*systemRefreshOutput, error) {
	if _, err := principal(ctx); err != nil {
		return nil, err
	}
	rs, err := s.a.Store.ListRefreshes(ctx, 20)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	out := &systemRefreshOutput{}
	b := &out.Body
	in, err := s.a.Services.System.Schedule(ctx)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	b.Schedule, b.TimeZone, b.Stored, b.UpdatedBy = in.Schedule.Cron, in.Schedule.TimeZone, in.Stored, in.UpdatedBy
	if in.Stored {
		t := in.UpdatedAt
		b.UpdatedAt = &t
	}
	if next := in.Schedule.NextRun(s.cfg.Now()); !next.IsZero() {
		b.NextRun = &next
	}
	b.Refreshes = make([]refreshJSON, len(rs))
	for i, r := range rs {
		b.Refreshes[i] = toRefreshJSON(r)
	}
	return out, nil
}

func (s *server) setSystemRefresh(ctx context.Context, in *setScheduleInput) (*systemRefreshOutput, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := s.a.Services.System.SetSchedule(ctx, p, in.Body.Schedule, in.Body.TimeZone); err != nil {
		return nil, s.problem(ctx, err)
	}
	return s.getSystemRefresh(ctx, nil)
}

func (s *server) runSystemRefresh(ctx context.Context, _ *noInput) (*refreshRunOutput, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	id, err := s.a.Services.System.RefreshNow(ctx, p)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	out := &refreshRunOutput{}
	out.Body.JobID = id
	return out, nil
}
