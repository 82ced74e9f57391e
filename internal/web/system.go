package web

import (
	"net/http"

	"segbridge/internal/export"
	"segbridge/internal/store"
)

type systemView struct {
	Schedule  export.Schedule
	Next      string
	Refreshes []store.SystemRefresh
	Engine    string
	Profiles  int
}

// systemPage is Settings → System: the refresh schedule and the status of
// recent refreshes.
func (s *server) systemPage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	refs, err := s.app.Store.ListRefreshes(ctx, 20)
	if err != nil {
		return err
	}
	n, err := s.app.Store.CountProfiles(ctx)
	if err != nil {
		return err
	}
	sc := s.refreshSchedule()
	s.render(w, r, http.StatusOK, "system", systemView{Schedule: sc, Next: fmtTime(sc.NextRun(s.cfg.Now())),
		Refreshes: refs, Engine: s.app.Store.Engine(), Profiles: n})
	return nil
}
