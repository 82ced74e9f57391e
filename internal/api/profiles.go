package api

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"segbridge/internal/profile"
	"segbridge/internal/service"
	"segbridge/internal/store"
	"segbridge/internal/user"
)

// profileJSON is a profile as the API shows it.
type profileJSON struct {
	ID         string         `json:"id"`
	Attributes map[string]any `json:"attributes"`
	CreatedAt  time.Time      `json:"created_at"`
	UpdatedAt  time.Time      `json:"updated_at"`
	// Origins says where each attribute of a profile that sources made
	// came from (absent for a profile imported by hand; only GET /profiles/{id}).
	Origins map[string]service.AttributeOrigin `json:"origins,omitempty" doc:"each attribute's source and arrival time"`
	// Segments and Exports: only GET /profiles/{id}.
	Segments []profileSegmentJSON    `json:"segments,omitempty" doc:"the segments the profile is a member of, as last refreshed"`
	Exports  []service.ProfileExport `json:"exports,omitempty" doc:"per export that sent the profile: what Omnisend holds as last confirmed"`
}

// profileSegmentJSON is a segment a profile is in.
type profileSegmentJSON struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Slug string `json:"slug"`
}

func toProfileJSON(p profile.Profile) profileJSON {
	attrs := map[string]any(p.Attrs)
	if attrs == nil {
		attrs = map[string]any{}
	}
	return profileJSON{ID: p.ID, Attributes: attrs, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
}

type listProfilesInput struct {
	After  string `query:"after" maxLength:"1000" doc:"start after this profile id (the last id of the previous page; id order, q an id prefix, no totals); cursor pages any search both ways"`
	Limit  int    `query:"limit" minimum:"1" maximum:"1000" default:"100" doc:"profiles per page; at most 200 unless after is given"`
	Q      string `query:"q" maxLength:"1000" doc:"the search: an id or e-mail prefix, or an attribute's value (see by)"`
	By     string `query:"by" enum:"id,email,value" doc:"what q matches: id (prefix), email (prefix, any case) or value (an attribute whose whole value is q, any case; slower, its total stops at 1,000). Default: email when q holds an @, else id, then email when no id matches"`
	Cursor string `query:"cursor" maxLength:"4000" doc:"next_cursor or prev_cursor of a page of the same search"`
}

type listProfilesOutput struct {
	Body struct {
		Profiles []profileJSON `json:"profiles"`
		// Next is the after value of the next page; empty on the last page.
		Next string `json:"next,omitempty" doc:"the after value of the next page (id order only)"`
		// By, the cursors and the totals: searches without after.
		By         string `json:"by,omitempty" enum:"id,email,value" doc:"what q was matched against"`
		NextCursor string `json:"next_cursor,omitempty" doc:"the cursor of the page after this one"`
		PrevCursor string `json:"prev_cursor,omitempty" doc:"the cursor of the page before this one"`
		Total      *int   `json:"total,omitempty" doc:"how many profiles match (at least, when total_more)"`
		TotalMore  bool   `json:"total_more,omitempty" doc:"counting stopped at total: more match"`
	}
}

type listImportsInput struct {
	Before int64 `query:"before" minimum:"0" doc:"only imports with ids below this (the last id of the previous page)"`
	Limit  int   `query:"limit" minimum:"1" maximum:"1000" default:"50"`
}

type listImportsOutput struct {
	Body struct {
		Imports []store.ProfileImport `json:"imports" doc:"newest first"`
	}
}

type profileIDInput struct {
	ID string `path:"id" minLength:"1" maxLength:"1000"`
}

type profileOutput struct {
	Body profileJSON
}

type importInput struct {
	Format      string   `query:"format" enum:"csv,jsonl" doc:"csv or jsonl (default: from the Content-Type: text/csv, application/x-ndjson)"`
	ID          string   `query:"id" required:"true" minLength:"1" maxLength:"256" doc:"the CSV column or JSONL field holding the profile id" example:"id"`
	Delimiter   string   `query:"delimiter" enum:"comma,semicolon,tab" doc:"CSV delimiter (default: detected from the header)"`
	Strict      bool     `query:"strict" doc:"write nothing unless every row is good (the import is one transaction)"`
	Source      string   `query:"source" maxLength:"200" doc:"the file's name, for the import history (default: an upload)"`
	Types       []string `query:"type" maxItems:"200" doc:"pin an attribute's type, ATTRIBUTE=TYPE (string, integer, decimal, boolean, date, timestamp), for this and later imports; repeatable" example:"postal_code=string"`
	ContentType string   `header:"Content-Type"`
}

// rowErrorJSON is a rejected row.
type rowErrorJSON struct {
	Line   int    `json:"line"`
	Code   string `json:"code,omitempty" enum:"field_count,duplicate_id,invalid_utf8,invalid_value" doc:"the kind of problem, when it has one"`
	Reason string `json:"reason"`
}

type importOutput struct {
	Body struct {
		Rows      int            `json:"rows"`
		Imported  int            `json:"imported"`
		Updated   int            `json:"updated"`
		Unchanged int            `json:"unchanged"`
		Rejected  int            `json:"rejected"`
		Errors    []rowErrorJSON `json:"errors" doc:"the first 100 rejected rows"`
	}
}

func (s *server) registerProfiles(api huma.API) {
	huma.Register(api, operation("list-profiles", http.MethodGet, "/profiles", "List profiles in id order, a page at a time", "profiles", 200), s.listProfiles)
	s.registerSchema(api) // before /profiles/{id}, which it is more specific than
	huma.Register(api, operation("list-profile-imports", http.MethodGet, "/profiles/imports", "The import history, newest first", "profiles", 200), s.listImports)
	huma.Register(api, operation("get-profile", http.MethodGet, "/profiles/{id}", "Get one profile", "profiles", 200), s.getProfile)
	imp := operation("import-profiles", http.MethodPost, "/profiles/import", "Import profiles from an uploaded CSV or JSON Lines file (admin, contributor)", "profiles", 200)
	imp.Description = "The request body is the file. Re-importing upserts by id: new profiles are added, changed ones updated, " +
		"unchanged ones left alone. A bad row is reported with its line number and the good rows are imported, unless strict is set."
	imp.RequestBody = &huma.RequestBody{Required: true, Content: map[string]*huma.MediaType{
		"text/csv":             {Schema: &huma.Schema{Type: "string", Format: "binary"}},
		"application/x-ndjson": {Schema: &huma.Schema{Type: "string", Format: "binary"}},
	}}
	huma.Register(api, imp, s.importProfiles)
}

func (s *server) listProfiles(ctx context.Context, in *listProfilesInput) (*listProfilesOutput, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	if in.After == "" && in.Limit <= service.MaxSearchLimit {
		return s.searchProfiles(ctx, p, in)
	}
	if in.By != "" || in.Cursor != "" {
		return nil, huma.Error422UnprocessableEntity("after pages in id order only: use cursor with by, and limit at most 200")
	}
	out := &listProfilesOutput{}
	out.Body.Profiles = []profileJSON{}
	after := in.After
	if in.Q != "" && after < in.Q {
		// The first page of a search: the id q itself, then those after it.
		if p, err := s.a.Store.GetProfile(ctx, in.Q); err == nil {
			out.Body.Profiles = append(out.Body.Profiles, toProfileJSON(p))
		} else if !errors.Is(err, store.ErrNotFound) {
			return nil, s.problem(ctx, err)
		}
		after = in.Q
	}
	ps, err := s.a.Store.ListProfiles(ctx, store.ListOptions{After: after, Limit: in.Limit - len(out.Body.Profiles)})
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	for _, p := range ps {
		if !strings.HasPrefix(p.ID, in.Q) {
			return out, nil // ids are sorted: no later one has the prefix
		}
		out.Body.Profiles = append(out.Body.Profiles, toProfileJSON(p))
	}
	if n := len(out.Body.Profiles); n == in.Limit && n > 0 {
		out.Body.Next = out.Body.Profiles[n-1].ID
	}
	return out, nil
}

// searchProfiles is a page of a search, with cursors and its total.
func (s *server) searchProfiles(ctx context.Context, p user.Principal, in *listProfilesInput) (*listProfilesOutput, error) {
	page, err := s.a.Services.Profiles.Search(ctx, p, service.ProfileQuery{By: in.By, Q: in.Q, Cursor: in.Cursor, Limit: in.Limit})
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	out := &listProfilesOutput{}
	out.Body.Profiles = make([]profileJSON, len(page.Profiles))
	for i, pr := range page.Profiles {
		out.Body.Profiles[i] = toProfileJSON(pr)
	}
	out.Body.By, out.Body.NextCursor, out.Body.PrevCursor = page.By, page.Next, page.Prev
	out.Body.Total, out.Body.TotalMore = &page.Total, page.TotalMore
	if page.By == "id" && page.Next != "" && len(page.Profiles) > 0 && in.Cursor == "" {
		out.Body.Next = page.Profiles[len(page.Profiles)-1].ID
	}
	return out, nil
}

func (s *server) listImports(ctx context.Context, in *listImportsInput) (*listImportsOutput, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	ims, err := s.a.Services.Profiles.Imports(ctx, p, in.Before, in.Limit)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	out := &listImportsOutput{}
	out.Body.Imports = ims
	return out, nil
}

func (s *server) getProfile(ctx context.Context, in *profileIDInput) (*profileOutput, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	d, err := s.a.Services.Profiles.Show(ctx, p, in.ID)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	out := &profileOutput{Body: toProfileJSON(d.Profile)}
	out.Body.Origins, out.Body.Exports = d.Origins, d.Exports
	out.Body.Segments = make([]profileSegmentJSON, len(d.Segments))
	for i, sg := range d.Segments {
		out.Body.Segments[i] = profileSegmentJSON{ID: sg.ID, Name: sg.Name, Slug: sg.Slug}
	}
	return out, nil
}

// importOptions reads the import's options from the query and headers.
func (in *importInput) readOptions() (profile.ReadOptions, error) {
	opts := profile.ReadOptions{IDColumn: in.ID, Format: profile.FormatCSV}
	mt, _, _ := mime.ParseMediaType(in.ContentType)
	switch {
	case in.Format != "":
		f, err := profile.ParseFormat(in.Format)
		if err != nil {
			return opts, huma.Error422UnprocessableEntity("format: " + err.Error())
		}
		opts.Format = f
	case mt == "application/x-ndjson" || mt == "application/jsonl" || mt == "application/json-lines" || mt == "application/json":
		opts.Format = profile.FormatJSONL
	}
	opts.Delimiter = map[string]rune{"comma": ',', "semicolon": ';', "tab": '\t'}[in.Delimiter]
	return opts, nil
}

// pins reads the type query parameters.
func (in *importInput) pins() (map[string]profile.Type, error) {
	pins := map[string]profile.Type{}
	for _, v := range in.Types {
		name, t, err := profile.ParsePin(v)
		if err != nil {
			return nil, huma.Error422UnprocessableEntity("type: "+err.Error(), &huma.ErrorDetail{Location: "query.type", Message: err.Error()})
		}
		pins[name] = t
	}
	return pins, nil
}

func (s *server) importProfiles(ctx context.Context, in *importInput) (*importOutput, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.a.Services.Profiles.CheckImport(p); err != nil {
		return nil, s.problem(ctx, err) // before the upload is read
	}
	ropts, err := in.readOptions()
	if err != nil {
		return nil, err
	}
	pins, err := in.pins()
	if err != nil {
		return nil, err
	}
	release, err := s.acquireUpload()
	if err != nil {
		return nil, err
	}
	defer release()
	up, err := s.openUpload(ctx)
	if err != nil {
		return nil, err
	}
	sum, err := s.a.Services.Profiles.Import(ctx, p, up.body, profile.ImportOptions{Read: ropts, Strict: in.Strict, Now: s.cfg.Now, Source: in.Source}, pins)
	if up.tooLarge() {
		return nil, tooLarge(s.cfg.MaxUploadBytes, sum.Committed())
	}
	if up.readFailed() {
		return nil, huma.Error400BadRequest("reading the upload failed part way; send it again (importing it again changes nothing)")
	}
	out := &importOutput{}
	out.Body.Rows, out.Body.Rejected = sum.Rows, sum.Rejected
	out.Body.Imported, out.Body.Updated, out.Body.Unchanged = sum.Inserted, sum.Updated, sum.Unchanged
	out.Body.Errors = make([]rowErrorJSON, len(sum.Errors))
	details := make([]error, 0, len(sum.Errors))
	for i, re := range sum.Errors {
		out.Body.Errors[i] = rowErrorJSON{Line: re.Line, Code: re.Code, Reason: re.Reason}
		details = append(details, &huma.ErrorDetail{Location: fmt.Sprintf("body line %d", re.Line), Message: re.Reason})
	}
	var allRejected *profile.AllRejectedError
	switch {
	case errors.As(err, &allRejected):
		return nil, huma.Error422UnprocessableEntity(err.Error(), details...)
	case errors.Is(err, profile.ErrStrictRejected):
		return nil, huma.Error422UnprocessableEntity(err.Error()+" (import without strict to write the good rows)", details...)
	}
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	return out, nil
}
