package service

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"segbridge/internal/connection"
	"segbridge/internal/omnisend"
	"segbridge/internal/readback"
	"segbridge/internal/store"
	"segbridge/internal/user"
)

// Connections connects Omnisend brands: it checks API keys, creates,
// changes, re-checks and removes connections, and reads a brand's
// unsubscribes back. Every use case is for admins only (the permission
// table); the key checks and the sealing of keys are connection.Service's.
type Connections struct {
	*core
	conns *connection.Service
	sync  func(ctx context.Context, connection string) (readback.SyncResult, error)
}

// ConnectionInput is a new connection as an admin fills it in.
type ConnectionInput struct {
	Name string
	// Access is "admins" (the default when empty) or "contributors".
	Access string
	// APIKey is the Omnisend API key; it never appears in an error.
	APIKey omnisend.Secret
	// Dialect is the Omnisend API dialect (default 2026-03-15).
	Dialect string
	// BaseURL is Omnisend's API root (default https://api.omnisend.com).
	BaseURL string
	// ExportUser is the e-mail of the admin scheduled exports run as: it
	// must be an admin of segbridge.
	ExportUser string
	// Tagging is how its exports tag contacts: "upsert" (the default) or
	// "endpoints" (2026-03-15 only).
	Tagging string
	// Agree says the principal agrees, now, to the current privacy and
	// compliance notice (connection.NoticeText).
	Agree bool
	// ConsentBy is who agrees (default: the principal's e-mail, or the
	// command line's operator).
	ConsentBy string
}

// Connect checks in's API key against Omnisend and returns its brand; it
// saves nothing and records no audit entry (nothing changed). It is the
// first half of Create, so it is allowed and validated as Create is.
func (s *Connections) Connect(ctx context.Context, p user.Principal, in ConnectionInput) (connection.Brand, error) {
	d, err := s.draft(ctx, p, in)
	if err != nil {
		return connection.Brand{}, err
	}
	brand, err := s.conns.Connect(ctx, d)
	if err != nil {
		return brand, connectionError(d.Name, err)
	}
	return brand, nil
}

// Create checks in's API key against Omnisend and only then saves the
// connection, its key sealed.
func (s *Connections) Create(ctx context.Context, p user.Principal, in ConnectionInput) (connection.Connection, error) {
	d, err := s.draft(ctx, p, in)
	if err != nil {
		return connection.Connection{}, err
	}
	c, err := s.conns.Create(ctx, d)
	if err != nil {
		return c, connectionError(d.Name, err)
	}
	s.record(ctx, p, ConnectionCreate, c.Name, fmt.Sprintf("brand %s; access %s; key …%s; export user %s; consent to notice %s by %s",
		c.BrandID, c.Access, c.KeyLast4, c.ExportUser, c.Consent.NoticeVersion, c.Consent.By))
	return c, nil
}

// draft allows and validates a new connection: every field at fault at
// once, then the consent, the export user and a taken name.
func (s *Connections) draft(ctx context.Context, p user.Principal, in ConnectionInput) (connection.Draft, error) {
	if err := s.ready(p, ConnectionCreate); err != nil {
		return connection.Draft{}, err
	}
	d := connection.Draft{
		Name: in.Name, Access: connection.Access(strings.TrimSpace(in.Access)), APIKey: in.APIKey,
		Dialect: omnisend.Dialect(strings.TrimSpace(in.Dialect)), BaseURL: in.BaseURL, ExportUser: in.ExportUser,
		Tagging: connection.Tagging(strings.TrimSpace(in.Tagging)),
	}.WithDefaults()
	var bad []FieldProblem
	for _, c := range []struct {
		field string
		err   error
	}{
		{"name", connection.ValidateName(d.Name)},
		{"access", accessError(d.Access)},
		{"api_key", connection.ValidateKey(d.APIKey)},
		{"dialect", connection.ValidateDialect(d.Dialect)},
		{"base_url", connection.ValidateBaseURL(d.BaseURL)},
		{"export_user", connection.ValidateExportUser(d.ExportUser)},
		{"tagging", connection.ValidateTagging(d.Tagging, d.Dialect)},
	} {
		if c.err != nil {
			bad = append(bad, FieldProblem{Field: c.field, Msg: c.err.Error()})
		}
	}
	if len(bad) > 0 {
		return d, InvalidFields(bad...)
	}
	if !in.Agree {
		return d, Invalid("consent", "%s: read the notice (version %s) and agree to it", connection.ErrConsentRequired, connection.NoticeVersion).
			because(connection.ErrConsentRequired)
	}
	d.Consent = connection.Consent{By: firstNonEmpty(strings.TrimSpace(in.ConsentBy), who(p)), At: s.now(), NoticeVersion: connection.NoticeVersion}
	var err error
	if d.ExportUser, err = s.exportUser(ctx, d.ExportUser); err != nil {
		return d, err
	}
	if err := s.nameFree(ctx, d.Name, 0); err != nil {
		return d, err
	}
	return d, nil
}

// ready checks that the service is configured and that p may perform a.
func (s *Connections) ready(p user.Principal, a Action) error {
	if s.conns == nil {
		return errors.New("service: config: Connections: not configured")
	}
	return allow(p, a, Subject{})
}

func accessError(a connection.Access) error {
	_, err := connection.ParseAccess(string(a))
	return err
}

// exportUser checks that email (a valid address) is an admin of
// segbridge, and returns the address as the user's is spelt.
func (s *Connections) exportUser(ctx context.Context, email string) (string, error) {
	u, err := s.st.GetUser(ctx, email)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return email, Invalid("export_user", "%s is not an admin of segbridge (see: segbridge user list); scheduled exports run as an admin", email).because(err)
	case err != nil:
		return email, fmt.Errorf("export user %s: %w", email, err)
	case u.Role != user.RoleAdmin:
		return email, Invalid("export_user", "%s is not an admin of segbridge but a %s (see: segbridge user list); scheduled exports run as an admin", u.Email, u.Role)
	}
	return u.Email, nil
}

// nameFree reports a conflict when another connection than id is named
// name (case-insensitively).
func (s *Connections) nameFree(ctx context.Context, name string, id int64) error {
	c, err := s.st.GetConnection(ctx, name)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil
	case err != nil:
		return fmt.Errorf("connection %q: %w", name, err)
	case c.ID != id && strings.EqualFold(c.Name, name):
		return Conflict("a connection named %q already exists; choose another name", c.Name)
	}
	return nil
}

// connectionError is a failed key check, a changed brand or a taken name
// in plain words; other errors are returned as they are.
func connectionError(name string, err error) error {
	var ce *connection.CheckError
	switch {
	case errors.As(err, &ce) && (ce.Problem == connection.ProblemUnreachable || ce.Problem == connection.ProblemOmnisend):
		return Unavailable("%s", ce.Msg).because(err)
	case errors.As(err, &ce):
		return Invalid("api_key", "%s", ce.Msg).because(err)
	case errors.Is(err, connection.ErrBrandChanged):
		return Conflict("%s", strings.TrimPrefix(err.Error(), "connection ")).because(err)
	case errors.Is(err, store.ErrConflict):
		return Conflict("a connection named %q already exists; choose another name", name).because(err)
	case errors.Is(err, store.ErrNotFound):
		return NotFound("no connection named %q (see: segbridge connection list)", name).because(err)
	case errors.Is(err, connection.ErrConsentRequired):
		return Invalid("consent", "%s", err.Error()).because(err)
	}
	return err
}

// Get finds a connection by name or id (any signed-in interface decides
// who may see it).
func (s *Connections) Get(ctx context.Context, nameOrID string) (connection.Connection, error) {
	c, err := s.st.GetConnection(ctx, nameOrID)
	if errors.Is(err, store.ErrNotFound) {
		return c, NotFound("no connection named %q (see: segbridge connection list)", nameOrID).because(err)
	}
	return c, err
}

// writable allows a on a connection and finds it.
func (s *Connections) writable(ctx context.Context, p user.Principal, a Action, nameOrID string) (connection.Connection, error) {
	if err := s.ready(p, a); err != nil {
		return connection.Connection{}, err
	}
	return s.Get(ctx, nameOrID)
}

// Update changes a connection's name, access, export user, tagging,
// dialect, base URL or API key. A new key, dialect or base URL is checked
// against Omnisend first (the key, new or stored, must work there and
// belong to the same brand); a failed check changes nothing.
// Nil fields are kept.
func (s *Connections) Update(ctx context.Context, p user.Principal, nameOrID string, ch connection.Changes) (connection.Connection, error) {
	c, err := s.writable(ctx, p, ConnectionUpdate, nameOrID)
	if err != nil {
		return c, err
	}
	if len(ch.Fields()) == 0 {
		return c, Invalid("", "nothing to change: give a new name, access, export user, tagging, dialect, base URL or API key")
	}
	var bad []FieldProblem
	if ch.Name != nil {
		name := strings.TrimSpace(*ch.Name)
		ch.Name = &name
		if err := connection.ValidateName(name); err != nil {
			bad = append(bad, FieldProblem{Field: "name", Msg: err.Error()})
		}
	}
	if ch.Access != nil {
		if err := accessError(*ch.Access); err != nil {
			bad = append(bad, FieldProblem{Field: "access", Msg: err.Error()})
		}
	}
	if ch.ExportUser != nil {
		eu := strings.TrimSpace(*ch.ExportUser)
		ch.ExportUser = &eu
		if err := connection.ValidateExportUser(eu); err != nil {
			bad = append(bad, FieldProblem{Field: "export_user", Msg: err.Error()})
		}
	}
	if ch.APIKey != nil {
		if err := connection.ValidateKey(*ch.APIKey); err != nil {
			bad = append(bad, FieldProblem{Field: "api_key", Msg: err.Error()})
		}
	}
	if ch.Dialect != nil {
		if err := connection.ValidateDialect(*ch.Dialect); err != nil {
			bad = append(bad, FieldProblem{Field: "dialect", Msg: err.Error()})
		}
	}
	if ch.BaseURL != nil {
		u := strings.TrimSpace(*ch.BaseURL)
		ch.BaseURL = &u
		if len(u) > 2000 {
			bad = append(bad, FieldProblem{Field: "base_url", Msg: "too long: at most 2000 characters"})
		} else if err := connection.ValidateBaseURL(u); err != nil {
			bad = append(bad, FieldProblem{Field: "base_url", Msg: err.Error()})
		}
	}
	if len(bad) > 0 {
		return c, InvalidFields(bad...)
	}
	if ch.ExportUser != nil {
		eu, err := s.exportUser(ctx, *ch.ExportUser)
		if err != nil {
			return c, err
		}
		ch.ExportUser = &eu
	}
	if ch.Name != nil {
		if err := s.nameFree(ctx, *ch.Name, c.ID); err != nil {
			return c, err
		}
	}
	saved, err := s.conns.Update(ctx, fmt.Sprint(c.ID), ch)
	if err != nil {
		name := c.Name
		if ch.Name != nil {
			name = *ch.Name
		}
		var ce *connection.CheckError
		if ch.APIKey == nil && errors.As(err, &ce) && ce.Problem != connection.ProblemUnreachable && ce.Problem != connection.ProblemOmnisend {
			// The stored key was refused by the changed API.
			field := "base_url"
			if ch.BaseURL == nil {
				field = "dialect"
			}
			return c, Invalid(field, "the stored API key was refused there: %s", ce.Msg).because(err)
		}
		return c, connectionError(name, err)
	}
	detail := "changed " + strings.Join(ch.Fields(), ", ")
	if ch.APIKey != nil {
		detail += fmt.Sprintf(" (key …%s)", saved.KeyLast4)
	}
	if saved.Name != c.Name {
		detail += fmt.Sprintf("; was named %q", c.Name)
	}
	if saved.Dialect != c.Dialect {
		detail += fmt.Sprintf("; dialect %s, was %s", saved.Dialect, c.Dialect)
	}
	if saved.BaseURL != c.BaseURL {
		detail += fmt.Sprintf("; base URL %s, was %s", saved.BaseURL, c.BaseURL)
	}
	s.record(ctx, p, ConnectionUpdate, saved.Name, detail)
	return saved, nil
}

// Check checks a connection's stored key against Omnisend again and
// records the brand and time. The audit entry records the outcome, a
// failed check included.
func (s *Connections) Check(ctx context.Context, p user.Principal, nameOrID string) (connection.Connection, error) {
	c, err := s.writable(ctx, p, ConnectionCheck, nameOrID)
	if err != nil {
		return c, err
	}
	checked, err := s.conns.Check(ctx, fmt.Sprint(c.ID))
	if err != nil {
		serr := connectionError(c.Name, err)
		s.record(ctx, p, ConnectionCheck, c.Name, "failed: "+serr.Error())
		return c, serr
	}
	s.record(ctx, p, ConnectionCheck, checked.Name, "ok: brand "+checked.BrandID)
	return checked, nil
}

// Remove deletes a connection and its key. The exports that use it are
// kept, detached (they stop running); detached is how many.
func (s *Connections) Remove(ctx context.Context, p user.Principal, nameOrID string) (c connection.Connection, detached int, err error) {
	if c, err = s.writable(ctx, p, ConnectionRemove, nameOrID); err != nil {
		return c, 0, err
	}
	exps, err := s.st.ExportsForConnection(ctx, c.ID)
	if err != nil {
		return c, 0, err
	}
	if _, err := s.conns.Remove(ctx, fmt.Sprint(c.ID)); err != nil {
		return c, 0, connectionError(c.Name, err)
	}
	s.record(ctx, p, ConnectionRemove, c.Name, fmt.Sprintf("brand %s; %d export(s) detached", c.BrandID, len(exps)))
	return c, len(exps), nil
}

// SyncUnsubscribes reads the unsubscribes made in the connection's brand
// since the last check and writes them onto the profiles.
func (s *Connections) SyncUnsubscribes(ctx context.Context, p user.Principal, nameOrID string) (readback.SyncResult, error) {
	c, err := s.writable(ctx, p, ConnectionSync, nameOrID)
	if err != nil {
		return readback.SyncResult{}, err
	}
	if s.sync == nil {
		return readback.SyncResult{}, errors.New("service: config: SyncUnsubscribes: not configured")
	}
	res, err := s.sync(ctx, fmt.Sprint(c.ID))
	if err != nil {
		return res, syncError(c.Name, err)
	}
	s.record(ctx, p, ConnectionSync, c.Name, fmt.Sprintf("%d statuses read (%d unsubscribed) in %d requests; %d profiles updated",
		res.Statuses, res.Unsubscribed, res.Requests, res.Profiles.Updated))
	return res, nil
}

// syncError is a failed read of Omnisend as unavailable; other errors
// are returned as they are.
func syncError(name string, err error) error {
	var (
		oe  *omnisend.Error
		api *omnisend.APIError
	)
	if errors.As(err, &oe) || errors.As(err, &api) {
		return Unavailable("connection %q: Omnisend did not give the unsubscribes: %s", name, plainOmnisend(err)).because(err)
	}
	return err
}

// plainOmnisend is an Omnisend client error without the wrapping
// prefixes of the layers it went through.
func plainOmnisend(err error) string {
	var api *omnisend.APIError
	if errors.As(err, &api) {
		return strings.TrimPrefix(api.Error(), "omnisend: ")
	}
	var oe *omnisend.Error
	if errors.As(err, &oe) && oe.Err != nil {
		return oe.Err.Error()
	}
	return err.Error()
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
