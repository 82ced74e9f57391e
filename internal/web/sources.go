package web

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"

	"segbridge/internal/omnisend"
	"segbridge/internal/profile"
	"segbridge/internal/service"
	"segbridge/internal/source"
)

type sourcesView struct {
	Sources []source.Source
}

// sourcesPage lists the sources (admins only).
func (s *server) sourcesPage(w http.ResponseWriter, r *http.Request) error {
	list, err := s.app.Store.ListSources(r.Context())
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "sources", sourcesView{Sources: list})
	return nil
}

// sourceForm is the Add source form as filled in. It never holds the
// secret: a re-rendered form asks for it again.
type sourceForm struct {
	Name, Kind, Path, URL, Header, Format, Query, Cursor string
	IDColumn, EmailColumn, Match, Priority               string
	Optional, SecretEntered                              bool
}

func (s *server) newSourcePage(w http.ResponseWriter, r *http.Request) error {
	s.render(w, r, http.StatusOK, "source_new", sourceForm{Kind: "file", Match: "email", Priority: "0"})
	return nil
}

func sourceFromForm(r *http.Request) (service.SourceInput, sourceForm, error) {
	f := sourceForm{Name: r.PostFormValue("name"), Kind: r.PostFormValue("kind"), Path: r.PostFormValue("path"),
		URL: r.PostFormValue("url"), Header: r.PostFormValue("header"), Format: r.PostFormValue("format"),
		Query: r.PostFormValue("query"), Cursor: r.PostFormValue("cursor"), IDColumn: r.PostFormValue("id_column"),
		EmailColumn: r.PostFormValue("email_column"), Match: r.PostFormValue("match"), Priority: r.PostFormValue("priority"),
		Optional: r.PostFormValue("optional") == "yes", SecretEntered: r.PostFormValue("secret") != ""}
	prio := 0
	if strings.TrimSpace(f.Priority) != "" {
		n, err := strconv.Atoi(strings.TrimSpace(f.Priority))
		if err != nil {
			n = math.MaxInt32 // out of range: the service names it with the other fields at fault, saving nothing
		}
		prio = n
	}
	src := source.Source{Name: f.Name, Kind: source.Kind(f.Kind), Path: f.Path, URL: f.URL, Header: f.Header,
		Format: profile.Format(f.Format), Query: f.Query, Cursor: f.Cursor, IDColumn: f.IDColumn, EmailColumn: f.EmailColumn,
		Match: source.Match(f.Match), Priority: prio, Optional: f.Optional}
	return service.SourceInput{Source: src, Secret: omnisend.NewSecret(strings.TrimSpace(r.PostFormValue("secret")))}, f, nil
}

func (s *server) createSource(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return badInput("unreadable form: %v", err)
	}
	in, f, err := sourceFromForm(r)
	if err == nil {
		var created source.Source
		created, err = s.app.Services.Sources.Create(r.Context(), principal(r), in)
		if err == nil {
			s.redirect(w, r, fmt.Sprintf("/admin/sources/%d", created.ID),
				fmt.Sprintf("Source \"%s\" saved. Test it, or read it now; every refresh reads it.", created.Name), false)
			return nil
		}
	}
	cat, msg := classify(err)
	if cat == catInternal || cat == catForbidden {
		return err
	}
	return s.renderInvalidMsg(w, r, cat, "source_new", f, err, fieldMessage(err, msg), sourceFields)
}

// sourceFields are where the Add source form shows each field's problem.
var sourceFields = formFields{"name": {"name", "Name"}, "kind": {"kind", "Kind"}, "path": {"path", "File or glob"},
	"url": {"url", "Address"}, "header": {"header", "Header carrying the secret"}, "format": {"format", "Format"},
	"query": {"query", "Query"}, "cursor": {"cursor", "Cursor column"}, "secret": {"secret", "Secret"}, "dsn": {"secret", "Secret"},
	"id": {"id_column", "Id column"}, "email": {"email_column", "E-mail column"}, "match": {"match", "Unify rows by"},
	"priority": {"priority", "Priority"}, "schedule": {"schedule", "Schedule"}}

// fieldMessage is err's message with the fields at fault named.
func fieldMessage(err error, msg string) string {
	e, ok := service.AsError(err)
	if !ok || e.Field() == "" {
		return msg
	}
	return e.Field() + ": " + msg
}

type sourceView struct {
	S    source.Source
	Test *service.SourceTestResult
}

// sourceRef is the {id} of a source's path, as the services take it.
func sourceRef(r *http.Request) (string, error) {
	id, err := pathID(r, "id")
	return strconv.FormatInt(id, 10), err
}

func (s *server) sourcePage(w http.ResponseWriter, r *http.Request) error {
	ref, err := sourceRef(r)
	if err != nil {
		return err
	}
	src, err := s.app.Services.Sources.Get(r.Context(), ref)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "source", sourceView{S: src})
	return nil
}

func (s *server) testSource(w http.ResponseWriter, r *http.Request) error {
	ref, err := sourceRef(r)
	if err != nil {
		return err
	}
	res, err := s.app.Services.Sources.Test(r.Context(), principal(r), ref)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "source", sourceView{S: res.Source, Test: &res})
	return nil
}

func (s *server) runSource(w http.ResponseWriter, r *http.Request) error {
	ref, err := sourceRef(r)
	if err != nil {
		return err
	}
	res, err := s.app.Services.Sources.Run(r.Context(), principal(r), ref)
	if err != nil {
		cat, msg := classify(err)
		if cat == catInternal || cat == catForbidden || cat == catNotFound {
			return err
		}
		s.redirect(w, r, "/admin/sources/"+ref, "The read failed: "+msg, true)
		return nil
	}
	u := res.Unify
	msg := sentence(res.Report.Source.State.Message) + "."
	if res.Report.Held == nil && !res.Report.Read.Unchanged {
		msg += fmt.Sprintf(" Profiles: %d new, %d updated, %d unchanged, %d removed.", u.Inserted, u.Updated, u.Unchanged, u.Removed)
	}
	s.redirect(w, r, "/admin/sources/"+ref, msg, res.Report.Held != nil)
	return nil
}

func (s *server) updateSource(w http.ResponseWriter, r *http.Request) error {
	ref, err := sourceRef(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return badInput("unreadable form: %v", err)
	}
	var ch service.SourceChange
	if v := strings.TrimSpace(r.PostFormValue("priority")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			n = math.MaxInt32 // out of range: refused with the other fields at fault, saving nothing
		}
		ch.Priority = &n
	}
	opt := r.PostFormValue("optional") == "yes"
	ch.Optional = &opt
	ch.Secret = omnisend.NewSecret(strings.TrimSpace(r.PostFormValue("secret")))
	up, err := s.app.Services.Sources.Update(r.Context(), principal(r), ref, ch)
	if err != nil {
		cat, msg := classify(err)
		if cat == catInternal || cat == catForbidden || cat == catNotFound {
			return err
		}
		src, gerr := s.app.Services.Sources.Get(r.Context(), ref)
		if gerr != nil {
			return gerr
		}
		if ch.Priority != nil && *ch.Priority != math.MaxInt32 {
			src.Priority = *ch.Priority // the value posted, kept
		}
		src.Optional = opt
		return s.renderInvalidMsg(w, r, cat, "source", sourceView{S: src}, err, fieldMessage(err, msg),
			formFields{"priority": {"update-priority", "Priority"}, "secret": {"update-secret", "New secret"}, "dsn": {"update-secret", "New secret"}})
	}
	s.redirect(w, r, "/admin/sources/"+ref, fmt.Sprintf("Source \"%s\" updated.", up.Name), false)
	return nil
}

func (s *server) removeSource(w http.ResponseWriter, r *http.Request) error {
	ref, err := sourceRef(r)
	if err != nil {
		return err
	}
	src, err := s.app.Services.Sources.Remove(r.Context(), principal(r), ref)
	if err != nil {
		return err
	}
	s.redirect(w, r, "/admin/sources", fmt.Sprintf("Source \"%s\" removed; the profiles made only of its rows go at the next refresh.", src.Name), false)
	return nil
}

// refreshNow runs the system refresh from the System page and waits for it.
func (s *server) refreshNow(w http.ResponseWriter, r *http.Request) error {
	// A browser that stops waiting does not cut the refresh short.
	rec, err := s.app.Services.System.Refresh(context.WithoutCancel(r.Context()), principal(r))
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("Refresh %d %s", rec.ID, rec.Status)
	if rec.Message != "" {
		msg += ": " + rec.Message
	}
	s.redirect(w, r, "/settings/system", msg+".", rec.Status != "succeeded")
	return nil
}

// settleRefresh releases or discards a held refresh.
func (s *server) settleRefresh(release bool) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		settle := s.app.Services.System.Discard
		if release {
			settle = s.app.Services.System.Release
		}
		rec, err := settle(context.WithoutCancel(r.Context()), principal(r), id)
		if err != nil {
			cat, msg := classify(err)
			if cat == catInternal || cat == catForbidden || cat == catNotFound {
				return err
			}
			s.redirect(w, r, "/settings/system", msg, true)
			return nil
		}
		s.redirect(w, r, "/settings/system", fmt.Sprintf("Refresh %d %s.", rec.ID, rec.Status), rec.Status == "failed")
		return nil
	}
}
