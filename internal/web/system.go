package web

import (
	"fmt"
	"net/http"
	"sort"
	"strings"

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

// stepCounts lists a refresh step's counts in name order, zeros left out.
func stepCounts(c map[string]int) string {
	names := make([]string, 0, len(c))
	for n, v := range c {
		if v != 0 {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s %d", n, c[n])
	}
	return strings.Join(parts, ", ")
}
