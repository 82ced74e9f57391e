package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"segbridge/internal/connection"
	"segbridge/internal/export"
	"segbridge/internal/omnisend"
	"segbridge/internal/service"
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

// inputFromForm reads the Add connection form. Consent is recorded as the
// signed-in admin agreeing now to the current notice, and only when the
// box is ticked.
func inputFromForm(r *http.Request) (service.ConnectionInput, connectionForm) {
	f := connectionForm{
		Name: r.PostFormValue("name"), Access: r.PostFormValue("access"), Dialect: r.PostFormValue("dialect"),
		BaseURL: r.PostFormValue("base_url"), Tagging: r.PostFormValue("tagging"), ExportUser: r.PostFormValue("export_user"),
		Consent: r.PostFormValue("consent") == "yes",
	}
	in := service.ConnectionInput{
		Name: f.Name, Access: f.Access, APIKey: omnisend.NewSecret(strings.TrimSpace(r.PostFormValue("api_key"))),
		Dialect: f.Dialect, BaseURL: f.BaseURL, ExportUser: f.ExportUser, Tagging: f.Tagging, Agree: f.Consent,
	}
	return in, f
}

// createConnection handles both buttons of the form: Connect (check the
// key, save nothing) and Save (check, then save).
func (s *server) createConnection(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return badInput("unreadable form: %v", err)
	}
	in, f := inputFromForm(r)
	p := principal(r)
	if r.PostFormValue("action") == "connect" {
		brand, err := s.app.Services.Connections.Connect(r.Context(), p, in)
		if err == nil {
			f.Brand = brand.Label()
		}
		return s.connectionFormError(w, r, f, err)
	}
	c, err := s.app.Services.Connections.Create(r.Context(), p, in)
	if err != nil {
		return s.connectionFormError(w, r, f, err)
	}
	s.redirect(w, r, fmt.Sprintf("/admin/connections/%d", c.ID),
		fmt.Sprintf("Connection \"%s\" saved: connected to brand %s. The key is stored encrypted and shown only as ••••%s.", c.Name, brandLabel(c), c.KeyLast4), false)
	return nil
}

// connectionFormError re-renders the form with err's message (or with the
// Connect result when err is nil). The key field comes back empty: the
// key is never sent back to the browser. A refusal is an error page.
func (s *server) connectionFormError(w http.ResponseWriter, r *http.Request, f connectionForm, err error) error {
	if cat, _ := classify(err); err != nil && (cat == catInternal || cat == catForbidden) {
		return err
	}
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
	return s.renderInvalidMsg(w, r, cat, "connection_new", f, err, connectionMessage(err, msg), connectionFields)
}

// connectionFields are where the Add connection form shows each field's
// problem.
var connectionFields = formFields{"name": {"name", "Display name"}, "access": {"access-admins", "Who may use this connection"},
	"api_key": {"api_key", "Omnisend API key"}, "dialect": {"dialect", "Dialect"}, "base_url": {"base_url", "Base URL"},
	"export_user": {"export_user", "Export user"}, "consent": {"consent", "Data privacy and compliance"}}

// connectionMessage is err's message with the fields at fault named as
// the Add connection form labels them.
func connectionMessage(err error, msg string) string {
	e, ok := service.AsError(err)
	if !ok || len(e.Fields) == 0 {
		return msg
	}
	labels := map[string]string{"name": "Display name", "access": "Who can use it", "api_key": "Omnisend API key",
		"dialect": "Dialect", "base_url": "Base URL", "export_user": "Export user", "consent": "Consent"}
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		label, ok := labels[f.Field]
		switch {
		case f.Field == "consent": // the message says it
			parts[i] = f.Msg
		case ok:
			parts[i] = label + ": " + f.Msg
		default:
			parts[i] = f.Field + ": " + f.Msg
		}
	}
	return strings.Join(parts, "; ")
}

// connectJSON is Connect for the form's script: it checks the key and
// answers {"brand": ...} or {"error": ...}, so the key stays in the field.
func (s *server) connectJSON(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return badInput("unreadable form: %v", err)
	}
	in, _ := inputFromForm(r)
	brand, err := s.app.Services.Connections.Connect(r.Context(), principal(r), in)
	if err != nil {
		cat, msg := classify(err)
		if cat == catInternal || cat == catForbidden {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]string{"error": connectionMessage(err, msg)})
		return nil
	}
	writeJSON(w, http.StatusOK, map[string]string{"brand": brand.Label()})
	return nil
}

type connectionView struct {
	C       connection.Connection
	Brand   string
	Exports []export.Export
	// Admins are the users the export user is picked from.
	Admins []string
	// Posted is the Change form as posted, when saving it failed.
	Posted *connection.Connection
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
	return s.renderConnection(w, r, http.StatusOK, c, exps, "")
}

func (s *server) renderConnection(w http.ResponseWriter, r *http.Request, status int, c connection.Connection, exps []export.Export, formErr string) error {
	f, err := s.connectionFormView(r, connectionForm{})
	if err != nil {
		return err
	}
	s.renderForm(w, r, status, "connection", connectionView{C: c, Brand: brandLabel(c), Exports: exps, Admins: f.Admins}, formErr)
	return nil
}

// changeFields are where the Change form of a connection shows each
// field's problem.
var changeFields = formFields{"name": {"c-name", "Display name"}, "access": {"c-access", "Who may use it"},
	"export_user": {"c-export-user", "Export user"}, "tagging": {"c-tagging", "Tagging"}, "api_key": {"c-api-key", "New API key"},
	"dialect": {"c-dialect", "Dialect"}, "base_url": {"c-base-url", "Base URL"}}

// changeFailed re-renders connection c's page after its Change form
// failed with err, keeping the values posted.
func (s *server) changeFailed(w http.ResponseWriter, r *http.Request, c connection.Connection, exps []export.Export, err error) error {
	f, verr := s.connectionFormView(r, connectionForm{})
	if verr != nil {
		return verr
	}
	posted := c
	posted.Name, posted.Access = r.PostFormValue("name"), connection.Access(r.PostFormValue("access"))
	posted.ExportUser, posted.Tagging = r.PostFormValue("export_user"), connection.Tagging(r.PostFormValue("tagging"))
	posted.Dialect, posted.BaseURL = omnisend.Dialect(r.PostFormValue("dialect")), r.PostFormValue("base_url")
	return s.renderInvalid(w, r, "connection", connectionView{C: c, Posted: &posted, Brand: brandLabel(c), Exports: exps, Admins: f.Admins}, err, changeFields)
}

// updateConnection saves the fields of the Change form that differ from
// the connection as it is: name, who may use it, export user, tagging,
// dialect, base URL and, when one is typed, a new API key (a new key,
// dialect or base URL is checked with Omnisend first: it must reach the
// same brand).
func (s *server) updateConnection(w http.ResponseWriter, r *http.Request) error {
	c, err := s.connection(r)
	if err != nil {
		return err
	}
	var ch connection.Changes
	if v := strings.TrimSpace(r.PostFormValue("name")); v != "" && v != c.Name {
		ch.Name = &v
	}
	if v := connection.Access(r.PostFormValue("access")); v != "" && v != c.Access {
		ch.Access = &v
	}
	if v := strings.TrimSpace(r.PostFormValue("export_user")); v != "" && v != c.ExportUser {
		ch.ExportUser = &v
	}
	if v := connection.Tagging(r.PostFormValue("tagging")); v != "" && v != c.Tagging && !(c.Tagging == "" && v == connection.TaggingUpsert) {
		ch.Tagging = &v
	}
	if v := omnisend.Dialect(r.PostFormValue("dialect")); v != "" && v != c.Dialect {
		ch.Dialect = &v
	}
	if v := strings.TrimSpace(r.PostFormValue("base_url")); v != "" && v != c.BaseURL {
		ch.BaseURL = &v
	}
	if v := strings.TrimSpace(r.PostFormValue("api_key")); v != "" {
		key := omnisend.NewSecret(v)
		ch.APIKey = &key
	}
	ref := strconv.FormatInt(c.ID, 10)
	if len(ch.Fields()) == 0 {
		s.redirect(w, r, "/admin/connections/"+ref, "Nothing changed.", false)
		return nil
	}
	saved, err := s.app.Services.Connections.Update(r.Context(), principal(r), ref, ch)
	if err != nil {
		if cat, _ := classify(err); cat == catInternal || cat == catForbidden || cat == catNotFound {
			return err
		}
		exps, lerr := s.app.Store.ExportsForConnection(r.Context(), c.ID)
		if lerr != nil {
			return lerr
		}
		return s.changeFailed(w, r, c, exps, err)
	}
	s.redirect(w, r, "/admin/connections/"+ref, fmt.Sprintf("Connection \"%s\" saved: changed %s.", saved.Name, strings.Join(ch.Fields(), ", ")), false)
	return nil
}

// connectionRef is the {id} of a connection's path, as the services
// take it (a connection's name is never only digits).
func connectionRef(r *http.Request) (string, error) {
	id, err := pathID(r, "id")
	return strconv.FormatInt(id, 10), err
}

func (s *server) checkConnection(w http.ResponseWriter, r *http.Request) error {
	ref, err := connectionRef(r)
	if err != nil {
		return err
	}
	c, err := s.app.Services.Connections.Check(r.Context(), principal(r), ref)
	if err != nil {
		cat, msg := classify(err)
		if cat == catInternal || cat == catForbidden || cat == catNotFound {
			return err
		}
		s.redirect(w, r, "/admin/connections/"+ref, "The key check failed: "+msg, true)
		return nil
	}
	s.redirect(w, r, "/admin/connections/"+ref, fmt.Sprintf("The key works: brand %s.", brandLabel(c)), false)
	return nil
}

// syncUnsubscribes reads the unsubscribes made in Omnisend back onto the
// profiles (omnisend_email_status) and says what it read.
func (s *server) syncUnsubscribes(w http.ResponseWriter, r *http.Request) error {
	ref, err := connectionRef(r)
	if err != nil {
		return err
	}
	res, err := s.app.Services.Connections.SyncUnsubscribes(r.Context(), principal(r), ref)
	if err != nil {
		cat, msg := classify(err)
		if cat == catInternal || cat == catForbidden || cat == catNotFound {
			return err
		}
		s.redirect(w, r, "/admin/connections/"+ref, "Reading the unsubscribes back failed: "+msg, true)
		return nil
	}
	since := "every unsubscribed contact"
	if !res.Since.IsZero() {
		since = "the contacts updated since " + fmtTime(res.Since)
	}
	s.redirect(w, r, "/admin/connections/"+ref, fmt.Sprintf("Read %s: %d statuses, %d unsubscribed, in %d requests; %d profiles have those addresses, %d changed.",
		since, res.Statuses, res.Unsubscribed, res.Requests, res.Profiles.Profiles, res.Profiles.Updated), false)
	return nil
}

func (s *server) removeConnection(w http.ResponseWriter, r *http.Request) error {
	ref, err := connectionRef(r)
	if err != nil {
		return err
	}
	c, detached, err := s.app.Services.Connections.Remove(r.Context(), principal(r), ref)
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("Connection \"%s\" removed.", c.Name)
	if detached > 0 {
		msg += fmt.Sprintf(" %d exports that used it are kept, detached, and no longer run.", detached)
	}
	s.redirect(w, r, "/admin/connections", msg, false)
	return nil
}
