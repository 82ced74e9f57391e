package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"segbridge/internal/connection"
	"segbridge/internal/export"
	"segbridge/internal/omnisend"
	"segbridge/internal/store"
	"segbridge/internal/user"
)

type connectionsView struct {
	Connections []connection.Connection
}

// connectionsPage lists the connections (admins only).
func (s *server) connectionsPage(w http.ResponseWriter, r *http.Request) error {
	conns, err := s.app.Store.ListConnections(r.Context())
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "connections", connectionsView{Connections: conns})
	return nil
}

// connectionForm is the Add connection form as filled in. It never holds
// the API key: a re-rendered form asks for it again.
type connectionForm struct {
	Name       string
	Access     string
	Dialect    string
	BaseURL    string
	Tagging    string
	ExportUser string
	Consent    bool
	// Admins are the users the export user is picked from.
	Admins []string
	// Brand is what Connect found.
	Brand string
	// KeyEntered says the key was typed before the form came back.
	KeyEntered bool
	Notice     string
	Dialects   []string
}

func (s *server) connectionFormView(r *http.Request, f connectionForm) (connectionForm, error) {
	users, err := s.app.Users.List(r.Context())
	if err != nil {
		return f, err
	}
	f.Admins = f.Admins[:0]
	for _, u := range users {
		if u.Role == user.RoleAdmin {
			f.Admins = append(f.Admins, u.Email)
		}
	}
	if f.ExportUser == "" {
		f.ExportUser = principal(r).Email
	}
	f.Notice = connection.NoticeText
	f.Dialects = []string{string(omnisend.Dialect20260315), string(omnisend.DialectV3)}
	return f, nil
}

func (s *server) newConnectionPage(w http.ResponseWriter, r *http.Request) error {
	f, err := s.connectionFormView(r, connectionForm{Access: string(connection.AccessAdmins)})
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "connection_new", f)
	return nil
}

// draftFromForm reads the Add connection form. Consent is recorded as the
// signed-in admin agreeing now to the current notice, and only when the
// box is ticked.
func (s *server) draftFromForm(r *http.Request) (connection.Draft, connectionForm) {
	p := principal(r)
	f := connectionForm{
		Name: r.PostFormValue("name"), Access: r.PostFormValue("access"), Dialect: r.PostFormValue("dialect"),
		BaseURL: r.PostFormValue("base_url"), Tagging: r.PostFormValue("tagging"), ExportUser: r.PostFormValue("export_user"),
		Consent: r.PostFormValue("consent") == "yes",
	}
	d := connection.Draft{
		Name: f.Name, Access: connection.Access(f.Access), APIKey: omnisend.NewSecret(strings.TrimSpace(r.PostFormValue("api_key"))),
		Dialect: omnisend.Dialect(f.Dialect), BaseURL: f.BaseURL, Tagging: connection.Tagging(f.Tagging), ExportUser: f.ExportUser,
	}
	if f.Consent {
		d.Consent = connection.Consent{By: p.Email, At: s.cfg.Now(), NoticeVersion: connection.NoticeVersion}
	}
	return d, f
}

// createConnection handles both buttons of the form: Connect (check the
// key, save nothing) and Save (check, then save).
func (s *server) createConnection(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return badInput("unreadable form: %v", err)
	}
	d, f := s.draftFromForm(r)
	p := principal(r)
	if r.PostFormValue("action") == "connect" {
		brand, err := s.app.Connections.Connect(r.Context(), d)
		if err == nil {
			f.Brand = brand.Label()
		}
		return s.connectionFormError(w, r, f, err)
	}
	c, err := s.app.Connections.Create(r.Context(), d)
	if err != nil {
		return s.connectionFormError(w, r, f, err)
	}
	s.record(r.Context(), p, "connection.create", c.Name,
		fmt.Sprintf("brand %s; access %s; key ending %s; consent to notice %s", c.BrandID, c.Access, c.KeyLast4, c.Consent.NoticeVersion))
	s.redirect(w, r, fmt.Sprintf("/admin/connections/%d", c.ID),
		fmt.Sprintf("Connection %q saved: connected to brand %s. The key is stored encrypted and shown only as ••••%s.", c.Name, brandLabel(c), c.KeyLast4), false)
	return nil
}

// connectionFormError re-renders the form with err's message (or with the
// Connect result when err is nil). The key field comes back empty: the
// key is never sent back to the browser.
func (s *server) connectionFormError(w http.ResponseWriter, r *http.Request, f connectionForm, err error) error {
	f.KeyEntered = r.PostFormValue("api_key") != ""
	f, verr := s.connectionFormView(r, f)
	if verr != nil {
		return verr
	}
	if err == nil {
		s.render(w, r, http.StatusOK, "connection_new", f)
		return nil
	}
	cat, msg := classify(err)
	if cat == catInternal {
		return err
	}
	if errors.Is(err, store.ErrConflict) {
		msg = fmt.Sprintf("A connection named %q already exists; choose another name.", strings.TrimSpace(f.Name))
	}
	s.renderForm(w, r, cat.status(), "connection_new", f, msg)
	return nil
}

// connectJSON is Connect for the form's script: it checks the key and
// answers {"brand": ...} or {"error": ...}, so the key stays in the field.
func (s *server) connectJSON(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return badInput("unreadable form: %v", err)
	}
	d, _ := s.draftFromForm(r)
	brand, err := s.app.Connections.Connect(r.Context(), d)
	if err != nil {
		cat, msg := classify(err)
		if cat == catInternal {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]string{"error": msg})
		return nil
	}
	writeJSON(w, http.StatusOK, map[string]string{"brand": brand.Label()})
	return nil
}

type connectionView struct {
	C       connection.Connection
	Brand   string
	Exports []export.Export
}

func brandLabel(c connection.Connection) string {
	return connection.Brand{ID: c.BrandID, Name: c.BrandName}.Label()
}

// connection loads connection id (by id only).
func (s *server) connection(r *http.Request) (connection.Connection, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return connection.Connection{}, err
	}
	c, err := s.app.Store.GetConnection(r.Context(), strconv.FormatInt(id, 10))
	if err != nil || c.ID != id {
		return connection.Connection{}, notFound("no connection %d", id)
	}
	return c, nil
}

func (s *server) connectionPage(w http.ResponseWriter, r *http.Request) error {
	c, err := s.connection(r)
	if err != nil {
		return err
	}
	exps, err := s.app.Store.ExportsForConnection(r.Context(), c.ID)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "connection", connectionView{C: c, Brand: brandLabel(c), Exports: exps})
	return nil
}

func (s *server) checkConnection(w http.ResponseWriter, r *http.Request) error {
	c, err := s.connection(r)
	if err != nil {
		return err
	}
	back := fmt.Sprintf("/admin/connections/%d", c.ID)
	c, err = s.app.Connections.Check(r.Context(), strconv.FormatInt(c.ID, 10))
	if err != nil {
		cat, msg := classify(err)
		if cat == catInternal && !errors.Is(err, connection.ErrBrandChanged) {
			return err
		}
		if errors.Is(err, connection.ErrBrandChanged) {
			msg = err.Error()
		}
		s.record(r.Context(), principal(r), "connection.check", c.Name, "failed: "+msg)
		s.redirect(w, r, back, "The key check failed: "+msg, true)
		return nil
	}
	s.record(r.Context(), principal(r), "connection.check", c.Name, "ok; brand "+c.BrandID)
	s.redirect(w, r, back, fmt.Sprintf("The key works: brand %s.", brandLabel(c)), false)
	return nil
}

func (s *server) removeConnection(w http.ResponseWriter, r *http.Request) error {
	c, err := s.connection(r)
	if err != nil {
		return err
	}
	exps, err := s.app.Store.ExportsForConnection(r.Context(), c.ID)
	if err != nil {
		return err
	}
	if _, err := s.app.Connections.Remove(r.Context(), strconv.FormatInt(c.ID, 10)); err != nil {
		return err
	}
	s.record(r.Context(), principal(r), "connection.remove", c.Name, fmt.Sprintf("%d exports detached", len(exps)))
	msg := fmt.Sprintf("Connection %q removed.", c.Name)
	if len(exps) > 0 {
		msg += fmt.Sprintf(" %d exports that used it are kept, detached, and no longer run.", len(exps))
	}
	s.redirect(w, r, "/admin/connections", msg, false)
	return nil
}
