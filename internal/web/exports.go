package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"segbridge/internal/connection"
	"segbridge/internal/export"
	"segbridge/internal/run"
	"segbridge/internal/segment"
	"segbridge/internal/service"
)

// exportRow is one export in the list.
type exportRow struct {
	E          export.Export
	Connection string
	Detached   string
	Segments   []string
	LastRun    *run.Run
	Next       string
}

type exportsView struct {
	Exports []exportRow
	// CanAdd is false when p may not write or has no usable connection.
	CanAdd       bool
	NoConnection bool
}

// exportsPage lists the exports p may see with their last and next run.
func (s *server) exportsPage(w http.ResponseWriter, r *http.Request) error {
	ctx, p := r.Context(), principal(r)
	all, err := s.app.Store.ListExports(ctx)
	if err != nil {
		return err
	}
	conns, err := s.connectionsByID(ctx)
	if err != nil {
		return err
	}
	segs, err := s.segmentsByID(ctx)
	if err != nil {
		return err
	}
	v := exportsView{}
	for _, e := range all {
		if !exportVisible(p, e, conns) {
			continue
		}
		row, err := s.exportRow(ctx, e, conns, segs)
		if err != nil {
			return err
		}
		v.Exports = append(v.Exports, row)
	}
	usable := 0
	for _, c := range conns {
		if canUse(p, c) {
			usable++
		}
	}
	v.CanAdd, v.NoConnection = p.CanWrite() && usable > 0, usable == 0
	s.render(w, r, http.StatusOK, "exports", v)
	return nil
}

func (s *server) exportRow(ctx context.Context, e export.Export, conns map[int64]connection.Connection, segs map[int64]segment.Segment) (exportRow, error) {
	row := exportRow{E: e, Detached: e.DetachedText(), Next: s.nextRun(ctx, e)}
	if c, ok := conns[e.ConnectionID]; ok {
		row.Connection = c.Name
	}
	for _, id := range e.Segments {
		row.Segments = append(row.Segments, segs[id].Name)
	}
	runs, err := s.app.Store.ListRuns(ctx, e.ID, 1)
	if err != nil {
		return row, err
	}
	if len(runs) == 1 {
		row.LastRun = &runs[0]
	}
	return row, nil
}

// nextRun says when e runs by itself next.
func (s *server) nextRun(ctx context.Context, e export.Export) string {
	switch {
	case e.Detached():
		return "never (detached)"
	case !e.Active:
		return "paused"
	case e.Schedule.Kind == export.ScheduleManual:
		return "on demand only"
	case e.Schedule.Kind == export.ScheduleCron:
		return fmtTime(e.Schedule.NextRun(s.cfg.Now())) + " (cron)"
	}
	return fmtTime(s.refreshSchedule(ctx).NextRun(s.cfg.Now())) + " (after the system refresh)"
}

// refreshSchedule is the system refresh's schedule in force (stored, or
// the configured default).
func (s *server) refreshSchedule(ctx context.Context) export.Schedule {
	in, err := s.app.Services.System.Schedule(ctx)
	if err != nil {
		s.log.Warn("read the refresh schedule", "error", err)
	}
	return in.Schedule
}

func (s *server) segmentsByID(ctx context.Context) (map[int64]segment.Segment, error) {
	all, err := s.app.Store.ListSegments(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]segment.Segment, len(all))
	for _, sg := range all {
		out[sg.ID] = sg
	}
	return out, nil
}

func (s *server) newExportPage(w http.ResponseWriter, r *http.Request) error {
	f, err := s.withChoices(r.Context(), r, defaultExportForm())
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "export_new", f)
	return nil
}

// createExport saves the Add destination form; saving never runs it.
func (s *server) createExport(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return badInput("unreadable form: %v", err)
	}
	ctx, p := r.Context(), principal(r)
	f, e, bad := exportFromForm(r, s.cfg.Now())
	if len(bad) > 0 {
		return s.exportFormError(w, r, f, s.withServiceCheck(ctx, r, "", f, e, bad))
	}
	e, err := s.app.Services.Exports.Create(ctx, p, exportInput(f, e))
	if err != nil {
		return s.exportFormError(w, r, f, err)
	}
	s.redirect(w, r, fmt.Sprintf("/exports/%d", e.ID), fmt.Sprintf("Export \"%s\" saved. It runs %s; use Run now to run it at once.", e.Name, scheduleText(e)), false)
	return nil
}

// editExportPage is the export form filled in with the export, to change
// it.
func (s *server) editExportPage(w http.ResponseWriter, r *http.Request) error {
	e, err := s.pathExport(r)
	if err != nil {
		return err
	}
	f, err := s.withChoices(r.Context(), r, formOf(e))
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "export_new", f)
	return nil
}

// updateExport saves the changed export form; saving never runs it.
func (s *server) updateExport(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return badInput("unreadable form: %v", err)
	}
	cur, err := s.pathExport(r)
	if err != nil {
		return err
	}
	ctx, p := r.Context(), principal(r)
	f, e, bad := exportFromForm(r, s.cfg.Now())
	f.EditID = cur.ID
	ref := strconv.FormatInt(cur.ID, 10)
	if len(bad) > 0 {
		return s.exportFormError(w, r, f, s.withServiceCheck(ctx, r, ref, f, e, bad))
	}
	e, err = s.app.Services.Exports.Update(ctx, p, ref, exportInput(f, e))
	if err != nil {
		return s.exportFormError(w, r, f, err)
	}
	s.redirect(w, r, fmt.Sprintf("/exports/%d", e.ID), fmt.Sprintf("Export \"%s\" saved. It runs %s.", e.Name, scheduleText(e)), false)
	return nil
}

// exportInput is the form's export as the export service takes it.
func exportInput(f exportForm, e export.Export) service.ExportInput {
	in := service.ExportInput{Name: f.Name, Segments: []string{}, Mapping: &e.Mapping, TagPrefix: e.TagPrefix,
		Leave: string(e.Leave), Schedule: &e.Schedule, ProfileCap: e.ProfileCap, Active: &e.Active, Brake: brakePatch(e.Brake)}
	in.ConsentPolicy = string(e.ConsentPolicy)
	if f.ConnectionID != 0 {
		in.Connection = strconv.FormatInt(f.ConnectionID, 10)
	}
	for _, id := range f.Segments {
		in.Segments = append(in.Segments, strconv.FormatInt(id, 10))
	}
	return in
}

// withServiceCheck is the form's unreadable fields (bad) and every other
// invalid field the export service finds (Exports.Check, which saves
// nothing), as one error: the form shows them all at once.
func (s *server) withServiceCheck(ctx context.Context, r *http.Request, ref string, f exportForm, e export.Export, bad []service.FieldProblem) error {
	err := s.app.Services.Exports.Check(ctx, principal(r), ref, exportInput(f, e))
	se, ok := service.AsError(err)
	if err != nil && !ok {
		return err // internal: the error page
	}
	all := slices.Clone(bad)
	if ok {
		for _, fp := range se.Fields {
			if !slices.ContainsFunc(bad, func(b service.FieldProblem) bool { return b.Field == fp.Field }) {
				all = append(all, fp)
			}
		}
	}
	return service.InvalidFields(all...)
}

// exportFormError re-renders the export form with err's problems beside
// its fields.
func (s *server) exportFormError(w http.ResponseWriter, r *http.Request, f exportForm, err error) error {
	cat, msg := classify(err)
	if cat == catInternal {
		return err
	}
	if se, ok := service.AsError(err); ok {
		// The form offers choices by id: say so rather than quote an id.
		for i, fp := range se.Fields {
			switch {
			case fp.Field == "connection" && f.ConnectionID == 0:
				se.Fields[i].Msg = "choose the connection to send to"
			case fp.Field == "connection":
				se.Fields[i].Msg = "choose one of the connections listed"
			case fp.Field == "segments" && strings.HasPrefix(fp.Msg, "no segment"):
				se.Fields[i].Msg = "choose segments from the list"
			}
		}
	}
	f, verr := s.withChoices(r.Context(), r, f)
	if verr != nil {
		return verr
	}
	return s.renderInvalidMsg(w, r, cat, "export_new", f, err, msg, f.fields())
}

func scheduleText(e export.Export) string {
	switch e.Schedule.Kind {
	case export.ScheduleManual:
		return "only on demand"
	case export.ScheduleCron:
		return "on its cron schedule " + e.Schedule.Cron + " (" + e.Schedule.TimeZone + ")"
	}
	return "after each system refresh"
}

type exportView struct {
	exportRow
	Mapping   [][2]string
	Schedule  string
	Runs      []run.Run
	Active    *run.Run
	Chart     chart
	CanChange bool

	// Consent says what the export's consent policy sends.
	Consent string
}

// exportPage shows an export's settings, its runs and their chart.
func (s *server) exportPage(w http.ResponseWriter, r *http.Request) error {
	ctx, p := r.Context(), principal(r)
	e, err := s.pathExport(r)
	if err != nil {
		return err
	}
	conns, err := s.connectionsByID(ctx)
	if err != nil {
		return err
	}
	segs, err := s.segmentsByID(ctx)
	if err != nil {
		return err
	}
	row, err := s.exportRow(ctx, e, conns, segs)
	if err != nil {
		return err
	}
	runs, err := s.app.Store.ListRuns(ctx, e.ID, chartRuns)
	if err != nil {
		return err
	}
	v := exportView{exportRow: row, Mapping: mappingLines(e.Mapping), Schedule: scheduleText(e), Runs: runs,
		Chart: newChart(runs), CanChange: p.CanWrite()}
	v.Consent = consentText(e)
	for i := range runs {
		if runs[i].Status.Executable() {
			v.Active = &runs[i]
		}
	}
	s.render(w, r, http.StatusOK, "export", v)
	return nil
}

// runExport is Run now: it queues a manual run and its job, then shows the
// run.
func (s *server) runExport(w http.ResponseWriter, r *http.Request) error {
	ctx, p := r.Context(), principal(r)
	e, err := s.pathExport(r)
	if err != nil {
		return err
	}
	back := fmt.Sprintf("/exports/%d", e.ID)
	if e.Detached() {
		s.redirect(w, r, back, "This export cannot run: "+e.DetachedText()+".", true)
		return nil
	}
	full := r.PostFormValue("full") == "yes"
	st, err := s.app.Services.Runs.Start(ctx, p, e.Name, service.StartOptions{Full: full})
	if held := heldRunOf(err); held != 0 {
		s.redirect(w, r, fmt.Sprintf("/runs/%d", held), "This export has a run held by its removal brake: approve or discard its untags first.", true)
		return nil
	}
	if errors.Is(err, run.ErrActiveRun) {
		s.redirect(w, r, back, "This export already has a run in progress; wait for it or cancel it.", true)
		return nil
	}
	if err != nil {
		return err
	}
	s.redirect(w, r, fmt.Sprintf("/runs/%d", st.Run.ID), fmt.Sprintf("Run %d of \"%s\" queued.", st.Run.ID, e.Name), false)
	return nil
}

// cancelExport asks the export's run in progress to stop.
func (s *server) cancelExport(w http.ResponseWriter, r *http.Request) error {
	ctx, p := r.Context(), principal(r)
	e, err := s.pathExport(r)
	if err != nil {
		return err
	}
	rn, err := s.app.Services.Runs.Cancel(ctx, p, e.Name)
	if se, ok := service.AsError(err); ok && se.Kind == service.KindConflict {
		s.redirect(w, r, fmt.Sprintf("/exports/%d", e.ID), "This export has no run in progress.", true)
		return nil
	}
	if err != nil {
		return err
	}
	s.redirect(w, r, fmt.Sprintf("/runs/%d", rn.ID), fmt.Sprintf("Asked run %d to stop; it stops at its next checkpoint.", rn.ID), false)
	return nil
}

// removeExport deletes an export; contacts keep their tags in Omnisend.
func (s *server) removeExport(w http.ResponseWriter, r *http.Request) error {
	ctx, p := r.Context(), principal(r)
	e, err := s.pathExport(r)
	if err != nil {
		return err
	}
	if _, err := s.app.Services.Exports.Delete(ctx, p, e.Name); err != nil {
		return err
	}
	s.redirect(w, r, "/exports", fmt.Sprintf("Export \"%s\" removed. Nothing was sent; contacts keep their tags in Omnisend.", e.Name), false)
	return nil
}
