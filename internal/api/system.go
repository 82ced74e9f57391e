package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"segbridge/internal/export"
	"segbridge/internal/store"
)

// refreshJSON is one system refresh.
type refreshJSON struct {
	ID         int64      `json:"id"`
	StartedAt  time.Time  `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at"`
	Status     string     `json:"status" enum:"running,succeeded,failed"`
	Message    string     `json:"message,omitempty"`
	Segments   int        `json:"segments" doc:"segments refreshed"`
	Runs       int        `json:"runs" doc:"export runs queued"`
}

func toRefreshJSON(r store.SystemRefresh) refreshJSON {
	j := refreshJSON{ID: r.ID, StartedAt: r.StartedAt, Status: r.Status, Message: r.Message, Segments: r.Segments, Runs: r.Runs}
	if !r.FinishedAt.IsZero() {
		t := r.FinishedAt
		j.FinishedAt = &t
	}
	return j
}

type systemRefreshOutput struct {
	Body struct {
		// Schedule is the refresh's cron expression in TimeZone.
		Schedule  string        `json:"schedule" example:"0 2 * * *"`
		TimeZone  string        `json:"time_zone" example:"UTC"`
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
	set := operation("set-system-refresh", http.MethodPut, "/system/refresh", "Change the system refresh schedule (admin; not yet: 501)", "system", 200)
	set.Description = "The schedule is process configuration today: start segbridge serve (or worker) with " +
		"--refresh-schedule and --time-zone. This route answers 501 until the schedule is stored."
	huma.Register(api, set, s.setSystemRefresh)
	huma.Register(api, operation("run-system-refresh", http.MethodPost, "/system/refresh/run", "Queue a system refresh now (admin)", "system", 202), s.runSystemRefresh)
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
	b.Schedule, b.TimeZone = s.a.Jobs.RefreshSchedule()
	if next := (export.Schedule{Kind: export.ScheduleCron, Cron: b.Schedule, TimeZone: b.TimeZone}).NextRun(s.cfg.Now()); !next.IsZero() {
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
