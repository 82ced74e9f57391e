package web

import (
	"errors"
	"html/template"
	"net/http"
	"strings"

	"segbridge/internal/export"
	"segbridge/internal/notify"
	"segbridge/internal/segment"
	"segbridge/internal/service"
	"segbridge/internal/source"
)

// Field errors: how every form of the web UI shows what is wrong with
// the input, each invalid field's message beside the field, all at once.
//
// A handler whose POST failed re-renders its page with the user's values
// kept and calls
//
//	s.renderInvalid(w, r, "page", data, err, fields)
//
// where fields (formFields) maps each field name the services use in
// service.FieldProblem ("name", "mapping.email", "schedule.cron") to the
// input's id and the label the form shows. The page then gets a summary at
// the top (#error-summary) listing each problem with a link to its field,
// and the template shows each message beside its field with the partials
// of templates/partials.html:
//
//	<label>Name <input name="name" id="name" value="{{.D.Name}}"{{$.Invalid "name"}}></label>
//	{{template "field-error" ($.FieldError "name")}}
//
// $.Invalid gives the input aria-invalid="true" and
// aria-describedby="name-error" when the field is at fault, and
// "field-error" writes <p class="field-error" id="name-error">…</p>. A
// problem of a field the form does not map, and an error that names no
// field (a conflict, "nothing to change"), show as the form's one message
// (#form-error). An internal error is returned for the error page.

// formField is where a form shows a field's problem: the input's id (its
// error paragraph is ID+"-error") and the field's label on the form.
type formField struct{ ID, Label string }

// formFields maps service field names to the form's inputs. A name with
// no entry of its own takes its nearest parent's ("mapping.custom.x" →
// "mapping.custom" → "mapping").
type formFields map[string]formField

// find is the input of service field name, if the form has one.
func (ff formFields) find(name string) (formField, bool) {
	for {
		if f, ok := ff[name]; ok {
			return f, true
		}
		i := strings.LastIndexByte(name, '.')
		if i < 0 {
			return formField{}, false
		}
		name = name[:i]
	}
}

// fieldProblem is one field's message as the page shows it.
type fieldProblem struct {
	ID    string // the input's id; "" when none is at fault
	Label string
	Msg   string
}

// problems are the field problems of err: the service's list, or the one
// field of a domain validation error.
func problems(err error) []service.FieldProblem {
	if se, ok := service.AsError(err); ok {
		return se.Fields
	}
	var ee *export.FieldError
	var ne *notify.FieldError
	var se *source.FieldError
	var re *segment.RuleError
	switch {
	case errors.As(err, &re), errors.Is(err, segment.ErrRuleTooSlow):
		return []service.FieldProblem{{Field: "rule", Msg: err.Error()}}
	case errors.As(err, &ee):
		return []service.FieldProblem{{Field: ee.Field, Msg: ee.Msg}}
	case errors.As(err, &ne):
		return []service.FieldProblem{{Field: ne.Field, Msg: ne.Msg}}
	case errors.As(err, &se):
		return []service.FieldProblem{{Field: se.Field, Msg: se.Msg}}
	}
	return nil
}

// splitProblems places err's field problems on the form's inputs; msg
// (err's message as the page would show it) stays the form's message
// when no field of the form is at fault. general is what is left for the
// form's one message.
func splitProblems(err error, msg string, fields formFields) (general string, out []fieldProblem) {
	var rest []string
	for _, p := range problems(err) {
		f, ok := fields.find(p.Field)
		if !ok {
			rest = append(rest, fieldLabel(p.Field)+": "+p.Msg)
			continue
		}
		if i := indexProblem(out, f.ID); i >= 0 {
			out[i].Msg += "; " + p.Msg // two problems of one input
			continue
		}
		out = append(out, fieldProblem{ID: f.ID, Label: f.Label, Msg: p.Msg})
	}
	switch {
	case len(out) == 0:
		return msg, nil
	case len(rest) > 0:
		return strings.Join(rest, "; "), out
	}
	return "", out
}

func indexProblem(ps []fieldProblem, id string) int {
	for i, p := range ps {
		if p.ID == id {
			return i
		}
	}
	return -1
}

// renderInvalid re-renders page name after a failed POST: err's field
// problems beside the fields (placed by fields), the rest as the form's
// message, with the status of err's category. An internal error is
// returned for the error page instead (a handler that shows a refusal as
// the error page checks for it first).
func (s *server) renderInvalid(w http.ResponseWriter, r *http.Request, name string, d any, err error, fields formFields) error {
	cat, msg := classify(err)
	return s.renderInvalidMsg(w, r, cat, name, d, err, msg, fields)
}

// renderInvalidMsg is renderInvalid with the form's message given (a
// handler's wording of err when no field is at fault).
func (s *server) renderInvalidMsg(w http.ResponseWriter, r *http.Request, cat category, name string, d any, err error, msg string, fields formFields) error {
	if cat == catInternal {
		return err
	}
	general, ps := splitProblems(err, msg, fields)
	s.renderPage(w, r, cat.status(), name, d, general, ps)
	return nil
}

// Invalid is the attributes of input id when its field is at fault:
// aria-invalid and aria-describedby naming its message.
func (v view) Invalid(id string) template.HTMLAttr {
	if indexProblem(v.Problems, id) < 0 {
		return ""
	}
	return template.HTMLAttr(` aria-invalid="true" aria-describedby="` + template.HTMLEscapeString(id) + `-error"`)
}

// FieldError is the problem of input id, for the "field-error" partial
// (empty when the field is fine).
func (v view) FieldError(id string) fieldProblem {
	if i := indexProblem(v.Problems, id); i >= 0 {
		return v.Problems[i]
	}
	return fieldProblem{}
}
