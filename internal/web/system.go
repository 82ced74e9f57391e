package web

import (
	"net/http"
	"time"

	"segbridge/internal/export"
	"segbridge/internal/store"
)

type systemView struct {
	Schedule export.Schedule
	// Stored: an admin stored the schedule (else the configured default
	// is in force); UpdatedAt and UpdatedBy say when and who.
	Stored    bool
	UpdatedAt time.Time
	UpdatedBy string
	// Cron and TimeZone are the schedule form's values (what was posted,
	// after a refusal).
	Cron      string
	TimeZone  string
	Next      string
	Refreshes []store.SystemRefresh
	Engine    string
	Profiles  int
}

// systemPage is Settings → System: the refresh schedule and the status of
// recent refreshes.
func (s *server) systemPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderSystem(w, r, http.StatusOK, nil, "", nil)
}

// renderSystem renders the System page; posted, when set, is a refused
// schedule form's values, shown back with formErr and each field's
// problem beside it.
func (s *server) renderSystem(w http.ResponseWriter, r *http.Request, status int, posted *export.Schedule, formErr string, ps []fieldProblem) error {
	ctx := r.Context()
	refs, err := s.app.Store.ListRefreshes(ctx, 20)
	if err != nil {
		return err
	}
	n, err := s.app.Store.CountProfiles(ctx)
	if err != nil {
		return err
	}
	in, err := s.app.Services.System.Schedule(ctx)
	if err != nil {
		return err
	}
	sc := in.Schedule
	v := systemView{Schedule: sc, Stored: in.Stored, UpdatedAt: in.UpdatedAt, UpdatedBy: in.UpdatedBy,
		Cron: sc.Cron, TimeZone: sc.TimeZone, Next: fmtTime(sc.NextRun(s.cfg.Now())),
		Refreshes: refs, Engine: s.app.Store.Engine(), Profiles: n}
	if posted != nil {
		v.Cron, v.TimeZone = posted.Cron, posted.TimeZone
	}
	s.renderPage(w, r, status, "system", v, formErr, ps)
	return nil
}

// scheduleFields are where the schedule form shows each field's problem.
var scheduleFields = formFields{"schedule": {"schedule-cron", "Schedule"}, "time_zone": {"schedule-tz", "Time zone"}}

// setSchedule stores the system refresh's schedule (admin).
func (s *server) setSchedule(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return err
	}
	posted := export.Schedule{Cron: r.PostFormValue("schedule"), TimeZone: r.PostFormValue("time_zone")}
	sc, err := s.app.Services.System.SetSchedule(r.Context(), principal(r), posted.Cron, posted.TimeZone)
	if err != nil {
		cat, msg := classify(err)
		if cat == catInternal || cat == catForbidden || cat == catNotFound {
			return err
		}
		general, ps := splitProblems(err, msg, scheduleFields)
		return s.renderSystem(w, r, cat.status(), &posted, general, ps)
	}
	s.redirect(w, r, "/settings/system", "Refresh schedule saved: "+sc.Cron+" ("+sc.TimeZone+"). Every process follows it from its next check (each minute).", false)
	return nil
}
