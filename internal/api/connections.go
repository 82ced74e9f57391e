package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"segbridge/internal/connection"
	"segbridge/internal/omnisend"
	"segbridge/internal/service"
	"segbridge/internal/store"
	"segbridge/internal/user"
)

// connectionJSON is a connection as the API shows it: never its key; the
// key's last 4 characters and the consent record only to admins.
type connectionJSON struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Access string `json:"access" enum:"admins,contributors" doc:"who may build exports on it"`
	// KeyLast4 is the end of the API key; admins only.
	KeyLast4   string              `json:"key_last4,omitempty"`
	Dialect    string              `json:"dialect"`
	BaseURL    string              `json:"base_url"`
	Tagging    string              `json:"tagging" enum:"upsert,endpoints" doc:"how its exports tag contacts: on the upsert, or through the tag endpoints (merchant tags survive an upsert that replaces tags)"`
	BrandID    string              `json:"brand_id"`
	BrandName  string              `json:"brand_name,omitempty"`
	CheckedAt  *time.Time          `json:"checked_at"`
	ExportUser string              `json:"export_user"`
	Consent    *connection.Consent `json:"consent,omitempty" doc:"who agreed to the privacy notice, when, and its version; admins only"`
	CreatedAt  time.Time           `json:"created_at"`
	UpdatedAt  time.Time           `json:"updated_at"`
}

func toConnectionJSON(p user.Principal, c connection.Connection) connectionJSON {
	j := connectionJSON{ID: c.ID, Name: c.Name, Access: string(c.Access), Dialect: string(c.Dialect), BaseURL: c.BaseURL,
		Tagging: string(c.Tagging), BrandID: c.BrandID, BrandName: c.BrandName, ExportUser: c.ExportUser, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
	if !c.CheckedAt.IsZero() {
		at := c.CheckedAt
		j.CheckedAt = &at
	}
	if p.IsAdmin() {
		consent := c.Consent
		j.KeyLast4, j.Consent = c.KeyLast4, &consent
	}
	return j
}

type connectionsOutput struct {
	Body []connectionJSON
}

type connectionOutput struct {
	Body connectionJSON
}

type connectionRefInput struct {
	Name string `path:"name" minLength:"1" doc:"the connection's name or id"`
}

type createConnectionInput struct {
	Body struct {
		Name   string `json:"name" minLength:"1" maxLength:"100" example:"Main shop"`
		Access string `json:"access,omitempty" enum:"admins,contributors" default:"admins" doc:"who may build exports on it"`
		// APIKey is checked against Omnisend, stored sealed and never shown again.
		APIKey     string `json:"api_key" minLength:"1" maxLength:"4096" writeOnly:"true" doc:"the Omnisend API key; never shown again"`
		Dialect    string `json:"dialect,omitempty" enum:"2026-03-15,v3" default:"2026-03-15"`
		BaseURL    string `json:"base_url,omitempty" maxLength:"2000" doc:"Omnisend's API root (set it for a sandbox)" example:"https://api.omnisend.com"`
		Tagging    string `json:"tagging,omitempty" enum:"upsert,endpoints" default:"upsert" doc:"how its exports tag contacts: on the upsert, or through the tag endpoints (2026-03-15 only)"`
		ExportUser string `json:"export_user" minLength:"3" maxLength:"320" doc:"the e-mail of the admin scheduled exports run as" example:"admin@example.com"`
		// AgreeToNotice must be true: see the notice at GET /connections/notice.
		AgreeToNotice bool `json:"agree_to_notice" enum:"true" doc:"you agree to the privacy and compliance notice (GET /connections/notice)"`
	}
}

type updateConnectionInput struct {
	Name string `path:"name" minLength:"1" doc:"the connection's name or id"`
	Body struct {
		Name       string `json:"name,omitempty" maxLength:"100"`
		Access     string `json:"access,omitempty" enum:"admins,contributors"`
		ExportUser string `json:"export_user,omitempty" maxLength:"320"`
		Tagging    string `json:"tagging,omitempty" enum:"upsert,endpoints"`
		// Dialect and BaseURL change the Omnisend API the connection talks
		// to; the key is checked there first and must name the same brand.
		Dialect string `json:"dialect,omitempty" enum:"2026-03-15,v3" doc:"the Omnisend API generation; the key is checked against it first"`
		BaseURL string `json:"base_url,omitempty" maxLength:"2000" doc:"Omnisend's API root; the key is checked there first" example:"https://api.omnisend.com"`
		// APIKey replaces the key: checked first, it must belong to the same brand.
		APIKey string `json:"api_key,omitempty" maxLength:"4096" writeOnly:"true" doc:"a new Omnisend API key for the same brand; never shown again"`
	}
}

type noticeOutput struct {
	Body struct {
		Version string `json:"version"`
		Text    string `json:"text"`
	}
}

func (s *server) registerConnections(api huma.API) {
	huma.Register(api, operation("list-connections", http.MethodGet, "/connections", "List the connections you may use (admins: all)", "connections", 200), s.listConnections)
	huma.Register(api, operation("get-connection", http.MethodGet, "/connections/{name}", "Get one connection", "connections", 200), s.getConnection)
	huma.Register(api, operation("connection-notice", http.MethodGet, "/connections/notice", "The privacy and compliance notice a new connection needs agreement to", "connections", 200), s.notice)
	create := operation("create-connection", http.MethodPost, "/connections", "Check an Omnisend API key and save it as a connection (admin)", "connections", 201)
	create.Description = "The key is checked against Omnisend first (it must read and write contacts); only then is the connection saved, " +
		"its key sealed. The key is never shown again, only its last 4 characters."
	huma.Register(api, create, s.createConnection)
	huma.Register(api, operation("update-connection", http.MethodPatch, "/connections/{name}", "Change a connection's name, access, export user, tagging, dialect, base URL or key (admin)", "connections", 200), s.updateConnection)
	huma.Register(api, operation("delete-connection", http.MethodDelete, "/connections/{name}", "Remove a connection and its key; its exports are detached (admin)", "connections", 204), s.deleteConnection)
	huma.Register(api, operation("check-connection", http.MethodPost, "/connections/{name}/check", "Check a connection's stored key against Omnisend again (admin)", "connections", 200), s.checkConnection)
}

func (s *server) listConnections(ctx context.Context, _ *noInput) (*connectionsOutput, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	conns, err := s.a.Store.ListConnections(ctx)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	out := &connectionsOutput{Body: []connectionJSON{}}
	for _, c := range conns {
		if mayUse(p, c) {
			out.Body = append(out.Body, toConnectionJSON(p, c))
		}
	}
	return out, nil
}

// findConnection looks up a connection p may see; one it may not is not
// found, so its existence does not leak.
func (s *server) findConnection(ctx context.Context, p user.Principal, name string) (connection.Connection, error) {
	c, err := s.a.Store.GetConnection(ctx, name)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !mayUse(p, c)) {
		return connection.Connection{}, huma.Error404NotFound(fmt.Sprintf("no connection named %q that you may use", name))
	}
	if err != nil {
		return c, s.problem(ctx, err)
	}
	return c, nil
}

func (s *server) getConnection(ctx context.Context, in *connectionRefInput) (*connectionOutput, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	c, err := s.findConnection(ctx, p, in.Name)
	if err != nil {
		return nil, err
	}
	return &connectionOutput{Body: toConnectionJSON(p, c)}, nil
}

func (s *server) notice(ctx context.Context, _ *noInput) (*noticeOutput, error) {
	if _, err := principal(ctx); err != nil {
		return nil, err
	}
	out := &noticeOutput{}
	out.Body.Version, out.Body.Text = connection.NoticeVersion, connection.NoticeText
	return out, nil
}

func (s *server) createConnection(ctx context.Context, in *createConnectionInput) (*connectionOutput, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	b := in.Body
	c, err := s.a.Services.Connections.Create(ctx, p, service.ConnectionInput{
		Name: b.Name, Access: b.Access, APIKey: omnisend.NewSecret(strings.TrimSpace(b.APIKey)),
		Dialect: b.Dialect, BaseURL: b.BaseURL, ExportUser: b.ExportUser, Tagging: b.Tagging, Agree: b.AgreeToNotice,
	})
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	return &connectionOutput{Body: toConnectionJSON(p, c)}, nil
}

func (s *server) deleteConnection(ctx context.Context, in *connectionRefInput) (*struct{}, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	if _, _, err := s.a.Services.Connections.Remove(ctx, p, in.Name); err != nil {
		return nil, s.problem(ctx, err)
	}
	return &struct{}{}, nil
}

func (s *server) checkConnection(ctx context.Context, in *connectionRefInput) (*connectionOutput, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	checked, err := s.a.Services.Connections.Check(ctx, p, in.Name)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	return &connectionOutput{Body: toConnectionJSON(p, checked)}, nil
}

func (s *server) updateConnection(ctx context.Context, in *updateConnectionInput) (*connectionOutput, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	var ch connection.Changes
	b := in.Body
	if b.Name != "" {
		ch.Name = &b.Name
	}
	if b.Access != "" {
		a := connection.Access(b.Access)
		ch.Access = &a
	}
	if b.ExportUser != "" {
		ch.ExportUser = &b.ExportUser
	}
	if b.APIKey != "" {
		key := omnisend.NewSecret(strings.TrimSpace(b.APIKey))
		ch.APIKey = &key
	}
	if b.Tagging != "" {
		tg := connection.Tagging(b.Tagging)
		ch.Tagging = &tg
	}
	if b.Dialect != "" {
		d := omnisend.Dialect(b.Dialect)
		ch.Dialect = &d
	}
	if b.BaseURL != "" {
		ch.BaseURL = &b.BaseURL
	}
	saved, err := s.a.Services.Connections.Update(ctx, p, in.Name, ch)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	return &connectionOutput{Body: toConnectionJSON(p, saved)}, nil
}
