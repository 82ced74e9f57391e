package web

import (
	"net/http"
	"strconv"

	"segbridge/internal/audit"
)

const auditPage = 100

type auditView struct {
	Entries    []audit.Entry
	NextBefore int64
}

// auditPage lists the audit log, newest first, a page at a time.
func (s *server) auditPage(w http.ResponseWriter, r *http.Request) error {
	before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	entries, err := s.app.Audit.List(r.Context(), audit.ListOptions{Before: max(before, 0), Limit: auditPage + 1})
	if err != nil {
		return err
	}
	v := auditView{Entries: entries}
	if len(entries) > auditPage {
		v.Entries = entries[:auditPage]
		v.NextBefore = v.Entries[auditPage-1].ID
	}
	s.render(w, r, http.StatusOK, "audit", v)
	return nil
}
