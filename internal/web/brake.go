package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"segbridge/internal/export"
	"segbridge/internal/run"
	"segbridge/internal/service"
)

// brakeForm is the removal brake's part of the export form.
type brakeForm struct {
	UntagPercent, UntagMin, SkipPercent, DropPercent string
}

func defaultBrakeForm() brakeForm {
	b := export.DefaultBrake()
	return brakeForm{UntagPercent: strconv.Itoa(b.UntagPercent), UntagMin: strconv.Itoa(b.UntagMin),
		SkipPercent: strconv.Itoa(b.SkipPercent), DropPercent: strconv.Itoa(b.DropPercent)}
}

// brakeFromForm reads the brake's fields into f and the thresholds, with
// the problem of each field that is not a number (left at its default).
func brakeFromForm(r *http.Request, f *brakeForm) (export.Brake, []service.FieldProblem) {
	pf := r.PostForm
	*f = brakeForm{UntagPercent: pf.Get("brake_untag_percent"), UntagMin: pf.Get("brake_untag_min"),
		SkipPercent: pf.Get("brake_skip_percent"), DropPercent: pf.Get("brake_drop_percent")}
	var b export.Brake
	var bad []service.FieldProblem
	for _, fl := range []struct {
		field, text string
		to          *int
		def         int
	}{
		{"brake.untag_percent", f.UntagPercent, &b.UntagPercent, export.DefaultBrakeUntagPercent},
		{"brake.untag_min", f.UntagMin, &b.UntagMin, export.DefaultBrakeUntagMin},
		{"brake.skip_percent", f.SkipPercent, &b.SkipPercent, export.DefaultBrakeSkipPercent},
		{"brake.drop_percent", f.DropPercent, &b.DropPercent, export.DefaultBrakeDropPercent},
	} {
		*fl.to = fl.def
		text := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(fl.text), "%"))
		if text == "" {
			continue
		}
		n, err := strconv.Atoi(strings.ReplaceAll(text, ",", ""))
		if err != nil {
			bad = append(bad, service.FieldProblem{Field: fl.field, Msg: "want a whole number"})
			continue
		}
		*fl.to = n
	}
	return b, bad
}

// brakePatch sets every threshold of b.
func brakePatch(b export.Brake) export.BrakePatch {
	return export.BrakePatch{UntagPercent: &b.UntagPercent, UntagMin: &b.UntagMin, SkipPercent: &b.SkipPercent, DropPercent: &b.DropPercent}
}

// approveRun approves the untags the removal brake held in a run; the
// run continues as a job.
func (s *server) approveRun(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	st, err := s.app.Services.Runs.Approve(r.Context(), principal(r), id)
	if se, ok := service.AsError(err); ok && se.Kind == service.KindConflict {
		s.redirect(w, r, fmt.Sprintf("/runs/%d", id), se.Msg, true)
		return nil
	}
	if err != nil {
		return err
	}
	s.redirect(w, r, fmt.Sprintf("/runs/%d", id), fmt.Sprintf("Approved: run %d sends its held untags now.", st.Run.ID), false)
	return nil
}

// discardRun drops the untags the removal brake held in a run.
func (s *server) discardRun(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	rn, _, err := s.app.Services.Runs.Discard(r.Context(), principal(r), id)
	if se, ok := service.AsError(err); ok && se.Kind == service.KindConflict {
		s.redirect(w, r, fmt.Sprintf("/runs/%d", id), se.Msg, true)
		return nil
	}
	if err != nil {
		return err
	}
	s.redirect(w, r, fmt.Sprintf("/runs/%d", id), fmt.Sprintf("Discarded: %s.", rn.Message), false)
	return nil
}

// heldRunOf is the id of the held run that refused err's start (0: none).
func heldRunOf(err error) int64 {
	var held *run.HeldError
	if errors.As(err, &held) {
		return held.RunID
	}
	return 0
}
