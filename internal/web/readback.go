package web

import (
	"net/http"
	"strconv"

	"segbridge/internal/explain"
	"segbridge/internal/export"
	"segbridge/internal/readback"
	"segbridge/internal/service"
)

// verifyView is the export's verify page: the cost before, the findings
// after.
type verifyView struct {
	E        export.Export
	Estimate readback.Estimate
	// Result is set once the verify ran.
	Result   *service.VerifyResult
	Repaired bool
}

// verifyPage shows what verifying the export costs, with the buttons that
// start it; nothing is asked of Omnisend yet.
func (s *server) verifyPage(w http.ResponseWriter, r *http.Request) error {
	e, err := s.pathExport(r)
	if err != nil {
		return err
	}
	if e.Detached() {
		return badInput("This export cannot be verified: %s.", e.DetachedText())
	}
	res, err := s.app.Services.Runs.Verify(r.Context(), principal(r), e.Name, service.VerifyOptions{EstimateOnly: true})
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "export_verify", verifyView{E: e, Estimate: res.Estimate})
	return nil
}

// verifyExport runs the verify (repair=all also marks the findings for the
// next run) and shows what it found. The findings are not stored: the page
// is the answer.
func (s *server) verifyExport(w http.ResponseWriter, r *http.Request) error {
	ctx, p := r.Context(), principal(r)
	e, err := s.pathExport(r)
	if err != nil {
		return err
	}
	if e.Detached() {
		return badInput("This export cannot be verified: %s.", e.DetachedText())
	}
	repair := r.PostFormValue("repair") == "all"
	res, err := s.app.Services.Runs.Verify(ctx, p, e.Name, service.VerifyOptions{Repair: repair})
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "export_verify", verifyView{E: e, Estimate: res.Estimate, Result: &res, Repaired: repair})
	return nil
}

// explainView is the explain page: the search form and, for an e-mail,
// the answer.
type explainView struct {
	Email    string
	ExportID string
	Exports  []export.Export
	Answer   *explain.Explanation
}

// explainPage answers "why is this e-mail (not) tagged?" for the exports
// the user may see (or the one ?export= names).
func (s *server) explainPage(w http.ResponseWriter, r *http.Request) error {
	ctx, p := r.Context(), principal(r)
	conns, err := s.connectionsByID(ctx)
	if err != nil {
		return err
	}
	all, err := s.app.Store.ListExports(ctx)
	if err != nil {
		return err
	}
	v := explainView{Email: r.URL.Query().Get("email"), ExportID: r.URL.Query().Get("export")}
	for _, e := range all {
		if exportVisible(p, e, conns) {
			v.Exports = append(v.Exports, e)
		}
	}
	if v.Email != "" {
		name := ""
		if v.ExportID != "" {
			id, err := strconv.ParseInt(v.ExportID, 10, 64)
			if err != nil {
				return badInput("export %q: want an export id", v.ExportID)
			}
			e, err := s.visibleExport(ctx, p, id)
			if err != nil {
				return err
			}
			name = e.Name
		}
		ans, err := s.app.Explain(ctx, v.Email, name, func(e export.Export) bool { return exportVisible(p, e, conns) })
		if err != nil {
			return err
		}
		v.Answer = &ans
	}
	s.render(w, r, http.StatusOK, "explain", v)
	return nil
}
