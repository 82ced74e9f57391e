package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"segbridge/internal/omnisend"
	"segbridge/internal/profile"
	"segbridge/internal/service"
	"segbridge/internal/source"
)

// sourceJSON is a source as the API shows it: never its secret.
type sourceJSON struct {
	ID          int64             `json:"id"`
	Name        string            `json:"name"`
	Kind        string            `json:"kind" enum:"file,url,postgres,mysql"`
	Path        string            `json:"path,omitempty"`
	URL         string            `json:"url,omitempty" doc:"the address, without user information or query"`
	Header      string            `json:"header,omitempty"`
	Format      string            `json:"format,omitempty"`
	Query       string            `json:"query,omitempty"`
	Cursor      string            `json:"cursor,omitempty"`
	IDColumn    string            `json:"id_column"`
	EmailColumn string            `json:"email_column,omitempty"`
	Types       map[string]string `json:"types,omitempty"`
	Match       string            `json:"match" enum:"email,id"`
	Priority    int               `json:"priority"`
	Optional    bool              `json:"optional"`
	Schedule    string            `json:"schedule,omitempty"`
	HasSecret   bool              `json:"has_secret" doc:"a secret is stored encrypted; it is never shown"`
	LastRead    *time.Time        `json:"last_read"`
	Status      string            `json:"status,omitempty" doc:"the last read's status: ok, unchanged, held or failed"`
	Message     string            `json:"message,omitempty"`
	Rows        int               `json:"rows" doc:"rows the last accepted full read returned"`
	CreatedAt   time.Time         `json:"created_at"`
	UpdatedAt   time.Time         `json:"updated_at"`
}

func toSourceJSON(s source.Source) sourceJSON {
	j := sourceJSON{ID: s.ID, Name: s.Name, Kind: string(s.Kind), Path: s.Path, Header: s.Header, Format: string(s.Format),
		Query: s.Query, Cursor: s.Cursor, IDColumn: s.IDColumn, EmailColumn: s.EmailColumn, Match: string(s.Match),
		Priority: s.Priority, Optional: s.Optional, Schedule: s.Schedule, HasSecret: s.HasSecret, Status: s.State.Status,
		Message: s.State.Message, Rows: s.State.Rows, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt}
	if s.URL != "" {
		j.URL = source.RedactURL(s.URL)
	}
	if len(s.Types) > 0 {
		j.Types = map[string]string{}
		for k, v := range s.Types {
			j.Types[k] = string(v)
		}
	}
	if !s.State.ReadAt.IsZero() {
		at := s.State.ReadAt
		j.LastRead = &at
	}
	return j
}

type sourcesOutput struct{ Body []sourceJSON }

type sourceOutput struct{ Body sourceJSON }

type sourceRefInput struct {
	Name string `path:"name" minLength:"1" doc:"the source's name or id"`
}

// sourceBody is a source's settings as a request gives them.
type sourceBody struct {
	Kind        string            `json:"kind,omitempty" enum:"file,url,postgres,mysql" doc:"required on create; it cannot change"`
	Name        string            `json:"name,omitempty" maxLength:"63" example:"crm"`
	Path        string            `json:"path,omitempty" maxLength:"4096" doc:"file: the file, or a glob whose newest match is read"`
	URL         string            `json:"url,omitempty" maxLength:"2000" doc:"url: the http(s) address of a CSV or JSON Lines file"`
	Header      string            `json:"header,omitempty" maxLength:"100" doc:"url: the header that carries the secret (default Authorization)"`
	Format      string            `json:"format,omitempty" enum:"csv,jsonl"`
	Query       string            `json:"query,omitempty" maxLength:"100000" doc:"postgres, mysql: the query whose columns become attributes"`
	Cursor      string            `json:"cursor,omitempty" maxLength:"63" doc:"postgres, mysql: read only the rows past this column's last value"`
	IDColumn    string            `json:"id_column,omitempty" maxLength:"200"`
	EmailColumn string            `json:"email_column,omitempty" maxLength:"200"`
	Types       map[string]string `json:"types,omitempty" doc:"pinned attribute types by name"`
	Match       string            `json:"match,omitempty" enum:"email,id"`
	Priority    *int              `json:"priority,omitempty" minimum:"-1000" maximum:"1000"`
	Optional    *bool             `json:"optional,omitempty"`
	Schedule    string            `json:"schedule,omitempty" maxLength:"200"`
	// Secret is the DSN (postgres, mysql) or the header's value (url).
	Secret string `json:"secret,omitempty" maxLength:"4096" writeOnly:"true" doc:"the DSN or the header's value; stored encrypted, never shown again"`
}

type createSourceInput struct {
	Body sourceBody
}

type updateSourceInput struct {
	Name string `path:"name" minLength:"1" doc:"the source's name or id"`
	Body sourceBody
}

type sourceTestOutput struct {
	Body struct {
		OK       bool             `json:"ok"`
		Problem  string           `json:"problem,omitempty"`
		Columns  []string         `json:"columns,omitempty"`
		Rows     []map[string]any `json:"rows" doc:"the first rows' attributes"`
		Rejected []string         `json:"rejected,omitempty"`
	}
}

type sourceRunOutput struct {
	Body struct {
		Source   sourceJSON `json:"source"`
		Rows     int        `json:"rows"`
		New      int        `json:"new"`
		Changed  int        `json:"changed"`
		Removed  int        `json:"removed"`
		Rejected int        `json:"rejected"`
		Held     bool       `json:"held"`
		Profiles struct {
			New       int `json:"new"`
			Updated   int `json:"updated"`
			Unchanged int `json:"unchanged"`
			Removed   int `json:"removed"`
		} `json:"profiles"`
	}
}

func (s *server) registerSources(api huma.API) {
	huma.Register(api, operation("list-sources", http.MethodGet, "/sources", "List the sources profiles come from", "sources", 200), s.listSources)
	huma.Register(api, operation("get-source", http.MethodGet, "/sources/{name}", "Get one source (never its secret)", "sources", 200), s.getSource)
	huma.Register(api, operation("create-source", http.MethodPost, "/sources", "Add a source: a file, a URL, a PostgreSQL or MySQL query (admin)", "sources", 201), s.createSource)
	huma.Register(api, operation("update-source", http.MethodPatch, "/sources/{name}", "Change a source's settings or secret (admin)", "sources", 200), s.updateSource)
	huma.Register(api, operation("delete-source", http.MethodDelete, "/sources/{name}", "Remove a source and its rows (admin)", "sources", 204), s.deleteSource)
	huma.Register(api, operation("test-source", http.MethodPost, "/sources/{name}/test", "Read a source's first rows without storing anything (admin)", "sources", 200), s.testSource)
	huma.Register(api, operation("run-source", http.MethodPost, "/sources/{name}/run", "Read one source now and unify its rows into the profiles (admin)", "sources", 200), s.runSource)
}

func (s *server) listSources(ctx context.Context, _ *noInput) (*sourcesOutput, error) {
	if _, err := principal(ctx); err != nil {
		return nil, err
	}
	list, err := s.a.Store.ListSources(ctx)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	out := &sourcesOutput{Body: make([]sourceJSON, len(list))}
	for i, src := range list {
		out.Body[i] = toSourceJSON(src)
	}
	return out, nil
}

func (s *server) getSource(ctx context.Context, in *sourceRefInput) (*sourceOutput, error) {
	if _, err := principal(ctx); err != nil {
		return nil, err
	}
	src, err := s.a.Services.Sources.Get(ctx, in.Name)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	return &sourceOutput{Body: toSourceJSON(src)}, nil
}

func (b sourceBody) types() map[string]profile.Type {
	if len(b.Types) == 0 {
		return nil
	}
	out := map[string]profile.Type{}
	for k, v := range b.Types {
		out[k] = profile.Type(v)
	}
	return out
}

func (s *server) createSource(ctx context.Context, in *createSourceInput) (*sourceOutput, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	b := in.Body
	src := source.Source{Name: b.Name, Kind: source.Kind(b.Kind), Path: b.Path, URL: b.URL, Header: b.Header,
		Format: profile.Format(b.Format), Query: b.Query, Cursor: b.Cursor, IDColumn: b.IDColumn, EmailColumn: b.EmailColumn,
		Types: b.types(), Match: source.Match(b.Match), Schedule: b.Schedule}
	if b.Priority != nil {
		src.Priority = *b.Priority
	}
	if b.Optional != nil {
		src.Optional = *b.Optional
	}
	created, err := s.a.Services.Sources.Create(ctx, p, service.SourceInput{Source: src, Secret: omnisend.NewSecret(b.Secret)})
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	return &sourceOutput{Body: toSourceJSON(created)}, nil
}

func (s *server) updateSource(ctx context.Context, in *updateSourceInput) (*sourceOutput, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	b := in.Body
	if b.Kind != "" {
		cur, err := s.a.Services.Sources.Get(ctx, in.Name)
		if err != nil {
			return nil, s.problem(ctx, err)
		}
		if string(cur.Kind) != b.Kind {
			return nil, s.problem(ctx, service.Invalid("kind", "a source's kind cannot change: add a new source instead"))
		}
	}
	ch := service.SourceChange{Types: b.types(), Priority: b.Priority, Optional: b.Optional, Secret: omnisend.NewSecret(b.Secret)}
	str := func(v string) *string {
		if v == "" {
			return nil
		}
		return &v
	}
	ch.Name, ch.Path, ch.URL, ch.Header, ch.Query = str(b.Name), str(b.Path), str(b.URL), str(b.Header), str(b.Query)
	ch.Cursor, ch.IDColumn, ch.EmailColumn, ch.Schedule = str(b.Cursor), str(b.IDColumn), str(b.EmailColumn), str(b.Schedule)
	if b.Format != "" {
		f := profile.Format(b.Format)
		ch.Format = &f
	}
	if b.Match != "" {
		m := source.Match(b.Match)
		ch.Match = &m
	}
	up, err := s.a.Services.Sources.Update(ctx, p, in.Name, ch)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	return &sourceOutput{Body: toSourceJSON(up)}, nil
}

func (s *server) deleteSource(ctx context.Context, in *sourceRefInput) (*struct{}, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := s.a.Services.Sources.Remove(ctx, p, in.Name); err != nil {
		return nil, s.problem(ctx, err)
	}
	return nil, nil
}

func (s *server) testSource(ctx context.Context, in *sourceRefInput) (*sourceTestOutput, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	res, err := s.a.Services.Sources.Test(ctx, p, in.Name)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	out := &sourceTestOutput{}
	out.Body.OK, out.Body.Problem, out.Body.Columns, out.Body.Rejected = res.Problem == "", res.Problem, res.Read.Columns, res.Read.Problems
	out.Body.Rows = make([]map[string]any, len(res.Rows))
	for i, r := range res.Rows {
		out.Body.Rows[i] = r.Attrs
	}
	return out, nil
}

func (s *server) runSource(ctx context.Context, in *sourceRefInput) (*sourceRunOutput, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	res, err := s.a.Services.Sources.Run(ctx, p, in.Name)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	out := &sourceRunOutput{}
	b, rep := &out.Body, res.Report
	b.Source = toSourceJSON(rep.Source)
	b.Rows, b.New, b.Changed, b.Removed, b.Rejected, b.Held = rep.Read.Rows, rep.Staged.Inserted, rep.Staged.Updated, rep.Removed, rep.Read.Rejected, rep.Held != nil
	b.Profiles.New, b.Profiles.Updated, b.Profiles.Unchanged, b.Profiles.Removed = res.Unify.Inserted, res.Unify.Updated, res.Unify.Unchanged, res.Unify.Removed
	return out, nil
}
