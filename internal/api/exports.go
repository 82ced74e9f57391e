package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"segbridge/internal/connection"
	"segbridge/internal/export"
	"segbridge/internal/segment"
	"segbridge/internal/service"
	"segbridge/internal/store"
	"segbridge/internal/user"
)

// exportJSON is an export as the API shows it.
type exportJSON struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	// Connection is null when the export is detached.
	Connection *exportConnectionJSON `json:"connection"`
	Detached   string                `json:"detached,omitempty" doc:"why the export stopped, when its connection was removed"`
	Segments   []exportSegmentJSON   `json:"segments"`
	Mapping    export.Mapping        `json:"mapping"`
	TagPrefix  string                `json:"tag_prefix"`
	Tags       []string              `json:"tags" doc:"the tags a member of every segment gets"`
	Leave      string                `json:"leave" enum:"untag,keep"`
	Schedule   export.Schedule       `json:"schedule"`
	NextRun    *time.Time            `json:"next_run,omitempty"`
	ProfileCap int                   `json:"profile_cap"`
	Brake      export.Brake          `json:"brake" doc:"the removal brake's thresholds (percentages of 100 are off)"`
	Active     bool                  `json:"active"`
	CreatedAt  time.Time             `json:"created_at"`
	UpdatedAt  time.Time             `json:"updated_at"`

	ConsentPolicy string `json:"consent_policy" enum:"keep,opt-ins,mirror" doc:"which e-mail statuses are sent: keep (never one), opt-ins (mapped subscribed with its date), mirror (mapped subscribed or unsubscribed with its date)"`
}

type exportConnectionJSON struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Brand  string `json:"brand"`
	Access string `json:"access"`
}

type exportSegmentJSON struct {
	ID      int64  `json:"id"`
	Name    string `json:"name"`
	Slug    string `json:"slug"`
	Members *int   `json:"members" doc:"null before the segment's first refresh"`
}

// exportView joins exports with their connections and segments.
type exportView struct {
	conns map[int64]connection.Connection
	segs  map[int64]segment.Segment
	now   time.Time
}

func (s *server) loadExportView(ctx context.Context) (exportView, error) {
	v := exportView{conns: map[int64]connection.Connection{}, segs: map[int64]segment.Segment{}, now: s.cfg.Now()}
	conns, err := s.a.Store.ListConnections(ctx)
	if err != nil {
		return v, err
	}
	for _, c := range conns {
		v.conns[c.ID] = c
	}
	segs, err := s.a.Store.ListSegments(ctx)
	if err != nil {
		return v, err
	}
	for _, sg := range segs {
		v.segs[sg.ID] = sg
	}
	return v, nil
}

// visible reports whether p may see and use export e: admins see all;
// others those on a connection that allows contributors.
func (v exportView) visible(p user.Principal, e export.Export) bool {
	if p.IsAdmin() {
		return true
	}
	c, ok := v.conns[e.ConnectionID]
	return ok && !e.Detached() && mayUse(p, c)
}

func (v exportView) json(e export.Export) exportJSON {
	j := exportJSON{ID: e.ID, Name: e.Name, Detached: e.DetachedText(), Mapping: e.Mapping, TagPrefix: e.TagPrefix,
		Leave: string(e.Leave), Schedule: e.Schedule, ProfileCap: e.ProfileCap, Brake: e.Brake, Active: e.Active,
		CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt, Segments: []exportSegmentJSON{}}
	j.ConsentPolicy = string(e.ConsentPolicy)
	if c, ok := v.conns[e.ConnectionID]; ok && !e.Detached() {
		j.Connection = &exportConnectionJSON{ID: c.ID, Name: c.Name, Brand: connection.Brand{ID: c.BrandID, Name: c.BrandName}.Label(), Access: string(c.Access)}
	}
	slugs := make([]string, 0, len(e.Segments))
	for _, id := range e.Segments {
		sg := v.segs[id]
		sj := exportSegmentJSON{ID: id, Name: sg.Name, Slug: sg.Slug}
		if !sg.RefreshedAt.IsZero() {
			n := sg.MemberCount
			sj.Members = &n
		}
		j.Segments = append(j.Segments, sj)
		slugs = append(slugs, sg.Slug)
	}
	j.Tags = export.Tags(e.TagPrefix, slugs)
	if next := e.Schedule.NextRun(v.now); !next.IsZero() && e.Active && !e.Detached() {
		j.NextRun = &next
	}
	return j
}

type exportsOutput struct {
	Body []exportJSON
}

type exportOutput struct {
	Body exportJSON
}

type exportRefInput struct {
	Name string `path:"name" minLength:"1" doc:"the export's name or id"`
}

// exportFields are the settable fields of an export. On create, name,
// connection, segments and mapping are required; on update only the
// fields sent change.
type exportFields struct {
	Name          string             `json:"name,omitempty" maxLength:"100" example:"VIP buyers to Omnisend"`
	Connection    string             `json:"connection,omitempty" doc:"the connection's name or id" example:"Main shop"`
	Segments      []string           `json:"segments,omitempty" maxItems:"99" doc:"segment names or slugs, in order; replaces the list" example:"[\"VIP buyers\"]"`
	Mapping       *export.Mapping    `json:"mapping,omitempty" doc:"profile attribute per Omnisend field; e-mail is required; replaces the mapping"`
	TagPrefix     string             `json:"tag_prefix,omitempty" maxLength:"100" doc:"segment tags are \"PREFIX: slug\" (default segbridge)"`
	Leave         string             `json:"leave,omitempty" enum:"untag,keep" doc:"what happens to people who leave every segment (default untag)"`
	Schedule      *export.Schedule   `json:"schedule,omitempty" doc:"refresh (after each system refresh, the default), manual, or cron with its time zone"`
	ProfileCap    int                `json:"profile_cap,omitempty" minimum:"1" doc:"the most profiles a run may send (default 1,000,000)"`
	Active        *bool              `json:"active,omitempty" doc:"false pauses scheduled runs (default true)"`
	Brake         *export.BrakePatch `json:"brake,omitempty" doc:"the removal brake: a run past a threshold sends its adds and updates but holds its untags for approval; only the thresholds sent change"`
	ConsentPolicy string             `json:"consent_policy,omitempty" enum:"keep,opt-ins,mirror" doc:"which e-mail statuses are sent (default keep: never one); opt-ins (mapped subscribed with its date) and mirror (mapped subscribed or unsubscribed with its date) need mapping.consent with its date_attribute; nonSubscribed and future dates are never sent"`
}

type createExportInput struct {
	Body exportFields
}

type updateExportInput struct {
	Name string `path:"name" minLength:"1" doc:"the export's name or id"`
	Body exportFields
}

func (s *server) registerExports(api huma.API) {
	huma.Register(api, operation("list-exports", http.MethodGet, "/exports", "List the exports you may see, with connection, segments and next run", "exports", 200), s.listExports)
	huma.Register(api, operation("get-export", http.MethodGet, "/exports/{name}", "Get one export", "exports", 200), s.getExport)
	create := operation("create-export", http.MethodPost, "/exports", "Define an export; saving never runs it (admin; contributor on a connection that allows contributors)", "exports", 201)
	huma.Register(api, create, s.createExport)
	huma.Register(api, operation("update-export", http.MethodPatch, "/exports/{name}", "Change an export; only the fields sent change (saving never runs it)", "exports", 200), s.updateExport)
	huma.Register(api, operation("delete-export", http.MethodDelete, "/exports/{name}", "Remove an export definition; its contacts stay in Omnisend", "exports", 204), s.deleteExport)
}

func (s *server) listExports(ctx context.Context, _ *noInput) (*exportsOutput, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	exports, err := s.a.Store.ListExports(ctx)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	v, err := s.loadExportView(ctx)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	out := &exportsOutput{Body: []exportJSON{}}
	for _, e := range exports {
		if v.visible(p, e) {
			out.Body = append(out.Body, v.json(e))
		}
	}
	return out, nil
}

// findExport looks up an export p may see (one it may not is not found)
// and the view it is shown with.
func (s *server) findExport(ctx context.Context, p user.Principal, name string) (export.Export, exportView, error) {
	e, err := s.a.Store.GetExport(ctx, name)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return e, exportView{}, s.problem(ctx, err)
	}
	v, verr := s.loadExportView(ctx)
	if verr != nil {
		return e, v, s.problem(ctx, verr)
	}
	if err != nil || !v.visible(p, e) {
		return e, v, huma.Error404NotFound(fmt.Sprintf("no export named %q that you may see", name))
	}
	return e, v, nil
}

func (s *server) getExport(ctx context.Context, in *exportRefInput) (*exportOutput, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	e, v, err := s.findExport(ctx, p, in.Name)
	if err != nil {
		return nil, err
	}
	return &exportOutput{Body: v.json(e)}, nil
}

// input is the service's view of the body's fields.
func (b exportFields) input() service.ExportInput {
	in := service.ExportInput{Name: b.Name, Connection: b.Connection, Segments: b.Segments, Mapping: b.Mapping,
		TagPrefix: b.TagPrefix, Leave: b.Leave, Schedule: b.Schedule, ProfileCap: b.ProfileCap, Active: b.Active,
		ConsentPolicy: b.ConsentPolicy}
	return withBrake(in, b.Brake)
}

func (s *server) createExport(ctx context.Context, in *createExportInput) (*exportOutput, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	saved, err := s.a.Services.Exports.Create(ctx, p, in.Body.input())
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	return s.exportOutput(ctx, saved)
}

func (s *server) updateExport(ctx context.Context, in *updateExportInput) (*exportOutput, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	saved, err := s.a.Services.Exports.Update(ctx, p, in.Name, in.Body.input())
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	return s.exportOutput(ctx, saved)
}

// exportOutput shows a saved export.
func (s *server) exportOutput(ctx context.Context, e export.Export) (*exportOutput, error) {
	v, err := s.loadExportView(ctx)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	return &exportOutput{Body: v.json(e)}, nil
}

func (s *server) deleteExport(ctx context.Context, in *exportRefInput) (*struct{}, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := s.a.Services.Exports.Delete(ctx, p, in.Name); err != nil {
		return nil, s.problem(ctx, err)
	}
	return &struct{}{}, nil
}
