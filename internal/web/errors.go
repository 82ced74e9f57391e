package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"segbridge/internal/connection"
	"segbridge/internal/export"
	"segbridge/internal/run"
	"segbridge/internal/segment"
	"segbridge/internal/service"
	"segbridge/internal/store"
	"segbridge/internal/user"
)

// category is the kind of a failed request; it decides the status.
type category int

const (
	catInternal category = iota
	catNotFound
	catForbidden
	catBadInput
	catConflict
	catBusy // the server is at a limit; try again shortly
)

// webError is an error with its category and a message for the page.
type webError struct {
	cat category
	msg string
	err error
}

func (e *webError) Error() string {
	if e.err != nil {
		return e.msg + ": " + e.err.Error()
	}
	return e.msg
}

func (e *webError) Unwrap() error { return e.err }

func notFound(format string, args ...any) error {
	return &webError{cat: catNotFound, msg: fmt.Sprintf(format, args...)}
}

func forbidden(format string, args ...any) error {
	return &webError{cat: catForbidden, msg: fmt.Sprintf(format, args...)}
}

func badInput(format string, args ...any) error {
	return &webError{cat: catBadInput, msg: fmt.Sprintf(format, args...)}
}

// inputError marks err, which validation returned, as bad input.
func inputError(err error) error {
	return &webError{cat: catBadInput, msg: err.Error(), err: err}
}

// classify maps an error to its category and the message users see. Only
// categorised errors show their text; an internal error shows a generic
// sentence (the details go to the log).
func classify(err error) (category, string) {
	var we *webError
	var fe *export.FieldError
	var re *segment.RuleError
	var ce *connection.CheckError
	if e, ok := service.AsError(err); ok {
		return serviceCategory(e.Kind), serviceMessage(e)
	}
	switch {
	case errors.As(err, &we):
		return we.cat, we.msg
	case errors.As(err, &fe):
		return catBadInput, fieldLabel(fe.Field) + ": " + fe.Msg
	case errors.As(err, &re), errors.As(err, &ce),
		errors.Is(err, connection.ErrConsentRequired), errors.Is(err, segment.ErrRuleTooSlow):
		return catBadInput, err.Error()
	case errors.Is(err, segment.ErrPreviewBusy):
		return catBusy, err.Error()
	case errors.Is(err, store.ErrNotFound):
		return catNotFound, err.Error()
	case errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrInUse), errors.Is(err, run.ErrActiveRun),
		errors.Is(err, user.ErrLastAdmin):
		return catConflict, err.Error()
	}
	return catInternal, "Something went wrong on our side; the details are in the server log."
}

// serviceCategory is the category of a service error's kind.
func serviceCategory(k service.Kind) category {
	switch k {
	case service.KindInvalid:
		return catBadInput
	case service.KindNotFound:
		return catNotFound
	case service.KindConflict:
		return catConflict
	case service.KindForbidden:
		return catForbidden
	case service.KindUnavailable:
		return catBusy
	case service.KindUnsupported:
		return catBadInput
	}
	return catInternal
}

// serviceMessage is a service error as a page shows it: each invalid
// field by its label.
func serviceMessage(e *service.Error) string {
	if len(e.Fields) == 0 {
		return e.Msg
	}
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = fieldLabel(f.Field) + ": " + f.Msg
	}
	return strings.Join(parts, "; ")
}

// fieldLabel names an export field as the form labels it.
func fieldLabel(field string) string {
	labels := map[string]string{
		"name": "Name", "connection": "Connection", "segments": "Segments", "mapping": "Data mapping",
		"tag_prefix": "Tag prefix", "leave": "Leavers", "schedule": "Schedule", "schedule.cron": "Cron expression",
		"schedule.time_zone": "Time zone", "profile_cap": "Profile cap", "rule": "Rule", "ids": "Profile ids",
		"current":             "Current password",
		"brake.untag_percent": "Removal brake, untag share", "brake.untag_min": "Removal brake, untag count",
		"brake.skip_percent": "Removal brake, skipped share", "brake.drop_percent": "Removal brake, members' fall",
	}
	if l, ok := labels[field]; ok {
		return l
	}
	if sub, ok := strings.CutPrefix(field, "mapping."); ok {
		return "Data mapping, " + strings.ReplaceAll(sub, "_", " ")
	}
	return field
}

func (c category) status() int {
	switch c {
	case catNotFound:
		return http.StatusNotFound
	case catForbidden:
		return http.StatusForbidden
	case catBadInput:
		return http.StatusBadRequest
	case catConflict:
		return http.StatusConflict
	case catBusy:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// access is who may open a page.
type access int

const (
	public access = iota
	signedIn
	writer // admins and contributors
	admin
)

// handlerFunc is a page handler: it writes a response or returns an error
// for the adapter to render.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// handle registers h for pattern behind the access check and the error
// adapter.
func (s *server) handle(pattern string, need access, h handlerFunc) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		ok, err := s.allow(w, r, need)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if !ok {
			return
		}
		if err := h(w, r); err != nil {
			s.fail(w, r, err)
		}
	})
}

// allow checks the signed-in user against need. Without a user it
// redirects to the login page and returns false.
func (s *server) allow(w http.ResponseWriter, r *http.Request, need access) (bool, error) {
	if need == public {
		return true, nil
	}
	p, ok := user.FromContext(r.Context())
	if !ok {
		next := "/"
		if r.Method == http.MethodGet {
			next = r.URL.RequestURI()
		}
		http.Redirect(w, r, "/login?next="+url.QueryEscape(next), http.StatusSeeOther)
		return false, nil
	}
	switch {
	case need == admin && !p.IsAdmin():
		return false, forbidden("This page is for admins; you are signed in as %s (%s).", p.Email, p.Role)
	case need == writer && !p.CanWrite():
		return false, forbidden("Your role (%s) may look but not change anything; ask an admin for the contributor role.", p.Role)
	}
	return true, nil
}

// fail renders err as an error page with the status of its category.
func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	cat, msg := classify(err)
	status := cat.status()
	if errors.Is(err, context.Canceled) {
		return // the browser went away
	}
	level := slog.LevelInfo
	if cat == catInternal {
		level = slog.LevelError
	}
	s.log.Log(r.Context(), level, "request failed", slog.String("method", r.Method), slog.String("path", r.URL.Path),
		slog.Int("status", status), slog.String("error", oneLine(err)))
	if strings.HasSuffix(r.URL.Path, ".json") {
		writeJSON(w, status, map[string]string{"error": msg})
		return
	}
	s.render(w, r, status, "error", errorView{Status: status, StatusText: http.StatusText(status), Message: msg})
}

type errorView struct {
	Status     int
	StatusText string
	Message    string
}

// oneLine folds an error message onto one line.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
