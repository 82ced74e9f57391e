package service

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"segbridge/internal/export"
	"segbridge/internal/ingest"
	"segbridge/internal/omnisend"
	"segbridge/internal/profile"
	"segbridge/internal/source"
	"segbridge/internal/store"
	"segbridge/internal/user"
)

// Sources manages where profiles come from: files, URLs and PostgreSQL or
// MySQL queries. Every use case is for admins only (the permission table);
// a source's secret (a DSN, a header value) is sealed like an API key and
// never shown again.
type Sources struct {
	*core
	in *ingest.Ingester
}

// SourceInput is a new source, or a source's changed settings.
type SourceInput struct {
	Source source.Source
	// Secret is the DSN of a database source or the header value of a URL
	// source; it never appears in an error or a log.
	Secret omnisend.Secret
}

func (s *Sources) ready() error {
	if s.in == nil {
		return Unavailable("sources are not open in this process")
	}
	return nil
}

// Create validates and stores a new source with its sealed secret.
func (s *Sources) Create(ctx context.Context, p user.Principal, in SourceInput) (source.Source, error) {
	if err := allow(p, SourceCreate, Subject{}); err != nil {
		return source.Source{}, err
	}
	if err := s.ready(); err != nil {
		return source.Source{}, err
	}
	src := in.Source
	src.Name = strings.TrimSpace(src.Name)
	if src.Match == "" {
		src.Match = source.MatchEmail
	}
	if err := validSource(src, in.Secret); err != nil {
		return source.Source{}, err
	}
	now := s.now()
	src.CreatedAt, src.UpdatedAt, src.State = now, now, source.State{}
	var seal func(id int64) ([]byte, error)
	if !in.Secret.IsZero() {
		seal = func(id int64) ([]byte, error) { return s.in.Seal(id, in.Secret.Reveal()) }
	}
	created, err := s.st.CreateSource(ctx, src, seal)
	if errors.Is(err, store.ErrConflict) {
		return source.Source{}, Invalid("name", "a source named %q already exists", src.Name).because(err)
	}
	if err != nil {
		return source.Source{}, err
	}
	if err := s.pinTypes(ctx, created); err != nil {
		return created, err
	}
	s.record(ctx, p, SourceCreate, sourceTarget(created), fmt.Sprintf("%s source reading %s", created.Kind, created.Where()))
	return created, nil
}

// validSource checks a source's settings and that a database source has
// its DSN.
func validSource(src source.Source, sec omnisend.Secret) error {
	if err := src.Validate(); err != nil {
		var bad []FieldProblem
		var fe *source.FieldError
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				if errors.As(e, &fe) {
					bad = append(bad, FieldProblem{Field: fe.Field, Msg: fe.Msg})
				}
			}
		} else if errors.As(err, &fe) {
			bad = append(bad, FieldProblem{Field: fe.Field, Msg: fe.Msg})
		}
		if len(bad) == 0 {
			return err
		}
		return InvalidFields(bad...).because(err)
	}
	if src.Schedule != "" {
		sc := export.Schedule{Kind: export.ScheduleCron, Cron: src.Schedule}.WithDefaults()
		if err := sc.Validate(); err != nil {
			return Invalid("schedule", "want a cron expression of 5 fields, MIN HOUR DOM MON DOW (UTC)").because(err)
		}
	}
	if src.Kind.Database() && sec.IsZero() && !src.HasSecret {
		return Invalid("dsn", "give the database's DSN with --dsn-file or --dsn-env (it is stored sealed)")
	}
	if !sec.IsZero() && (src.Kind == source.KindFile) {
		return Invalid("secret", "a file source has no secret")
	}
	return nil
}

func sourceTarget(src source.Source) string { return fmt.Sprintf("source %q", src.Name) }

// get finds a source by name or id, as a not-found error in plain words.
func (s *Sources) get(ctx context.Context, nameOrID string) (source.Source, error) {
	src, err := s.st.GetSource(ctx, nameOrID)
	if errors.Is(err, store.ErrNotFound) {
		return src, NotFound("no source named %q", nameOrID).because(err)
	}
	return src, err
}

// SourceChange is what an update changes; nil fields are kept.
type SourceChange struct {
	Name        *string
	Path        *string
	URL         *string
	Header      *string
	Format      *profile.Format
	Query       *string
	Cursor      *string
	IDColumn    *string
	EmailColumn *string
	Types       map[string]profile.Type
	Match       *source.Match
	Priority    *int
	Optional    *bool
	Schedule    *string
	// Secret replaces the stored secret; ClearSecret removes it.
	Secret      omnisend.Secret
	ClearSecret bool
}

// Update changes a source's settings (and secret).
func (s *Sources) Update(ctx context.Context, p user.Principal, nameOrID string, ch SourceChange) (source.Source, error) {
	if err := allow(p, SourceUpdate, Subject{}); err != nil {
		return source.Source{}, err
	}
	if err := s.ready(); err != nil {
		return source.Source{}, err
	}
	src, err := s.get(ctx, nameOrID)
	if err != nil {
		return src, err
	}
	apply(&src.Name, ch.Name)
	apply(&src.Path, ch.Path)
	apply(&src.URL, ch.URL)
	apply(&src.Header, ch.Header)
	apply(&src.Format, ch.Format)
	apply(&src.Query, ch.Query)
	apply(&src.Cursor, ch.Cursor)
	apply(&src.IDColumn, ch.IDColumn)
	apply(&src.EmailColumn, ch.EmailColumn)
	apply(&src.Match, ch.Match)
	apply(&src.Priority, ch.Priority)
	apply(&src.Optional, ch.Optional)
	apply(&src.Schedule, ch.Schedule)
	for k, v := range ch.Types {
		if src.Types == nil {
			src.Types = map[string]profile.Type{}
		}
		src.Types[k] = v
	}
	src.Name = strings.TrimSpace(src.Name)
	if ch.ClearSecret {
		src.HasSecret = false
	}
	if err := validSource(src, ch.Secret); err != nil {
		return src, err
	}
	src.UpdatedAt = s.now()
	var seal func(id int64) ([]byte, error)
	switch {
	case !ch.Secret.IsZero():
		seal = func(id int64) ([]byte, error) { return s.in.Seal(id, ch.Secret.Reveal()) }
	case ch.ClearSecret:
		seal = func(int64) ([]byte, error) { return nil, nil }
	}
	updated, err := s.st.UpdateSource(ctx, src, seal)
	if errors.Is(err, store.ErrConflict) {
		return src, Invalid("name", "a source named %q already exists", src.Name).because(err)
	}
	if err != nil {
		return src, err
	}
	if err := s.pinTypes(ctx, updated); err != nil {
		return updated, err
	}
	detail := "settings changed"
	if seal != nil {
		detail += "; secret replaced"
	}
	s.record(ctx, p, SourceUpdate, sourceTarget(updated), detail)
	return updated, nil
}

func apply[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// Remove removes a source, its secret and its rows; the profiles made
// only of its rows go at the next refresh.
func (s *Sources) Remove(ctx context.Context, p user.Principal, nameOrID string) (source.Source, error) {
	if err := allow(p, SourceRemove, Subject{}); err != nil {
		return source.Source{}, err
	}
	src, err := s.get(ctx, nameOrID)
	if err != nil {
		return src, err
	}
	if err := s.st.DeleteSource(ctx, src.ID); err != nil {
		return src, err
	}
	s.record(ctx, p, SourceRemove, sourceTarget(src), "removed with its rows")
	return src, nil
}

// SourceTestResult is what testing a source found.
type SourceTestResult struct {
	Source  source.Source
	Read    source.ReadResult
	Rows    []source.Row
	Problem string
}

// Test reads the first rows of a source without storing anything. A
// source that cannot be read is reported in Problem (plain words), not
// as an error.
func (s *Sources) Test(ctx context.Context, p user.Principal, nameOrID string) (SourceTestResult, error) {
	if err := allow(p, SourceTest, Subject{}); err != nil {
		return SourceTestResult{}, err
	}
	if err := s.ready(); err != nil {
		return SourceTestResult{}, err
	}
	src, err := s.get(ctx, nameOrID)
	if err != nil {
		return SourceTestResult{}, err
	}
	res, rows, err := s.in.Test(ctx, src, 5)
	t := SourceTestResult{Source: src, Read: res, Rows: rows}
	detail := fmt.Sprintf("read %d rows", len(rows))
	if err != nil {
		var se *source.Error
		if !errors.As(err, &se) {
			return t, err
		}
		t.Problem, detail = se.Error(), "failed: "+se.Msg
	}
	s.record(ctx, p, SourceTest, sourceTarget(src), detail)
	return t, nil
}

// SourceRunResult is what reading one source now did.
type SourceRunResult struct {
	Report ingest.Report
	Unify  store.UnifyResult
}

// Run reads one source now and unifies its rows into the profiles (the
// segments and exports follow at their next refresh or run). When the
// removal guard holds the read, nothing is removed and Report.Held says
// so; the next refresh reads the source again.
func (s *Sources) Run(ctx context.Context, p user.Principal, nameOrID string) (SourceRunResult, error) {
	if err := allow(p, SourceRun, Subject{}); err != nil {
		return SourceRunResult{}, err
	}
	if err := s.ready(); err != nil {
		return SourceRunResult{}, err
	}
	src, err := s.get(ctx, nameOrID)
	if err != nil {
		return SourceRunResult{}, err
	}
	rep, err := s.in.ReadSource(ctx, src)
	out := SourceRunResult{Report: rep}
	if err != nil {
		s.record(context.WithoutCancel(ctx), p, SourceRun, sourceTarget(src), "failed: "+err.Error())
		return out, sourceError(err)
	}
	if rep.Held == nil {
		out.Unify, err = s.in.Unify(ctx)
		if err != nil {
			return out, err
		}
	}
	s.record(ctx, p, SourceRun, sourceTarget(src), rep.Source.State.Message)
	return out, nil
}

// sourceError words a source's read failure for the interfaces.
func sourceError(err error) error {
	var se *source.Error
	if errors.As(err, &se) {
		return Unavailable("%s", se.Error()).because(err)
	}
	return err
}

// Get returns a source by name or id (a read: every role may see sources'
// settings, never their secrets).
func (s *Sources) Get(ctx context.Context, nameOrID string) (source.Source, error) {
	return s.get(ctx, nameOrID)
}

// AttributeOrigin is where a unified profile's attribute came from.
type AttributeOrigin struct {
	// Source names the source ("imported by hand" for a profile imported
	// by hand that a source's rows joined; "a removed source").
	Source   string    `json:"source"`
	SourceID int64     `json:"source_id"`
	At       time.Time `json:"arrived_at"`
}

// Origins returns the origin of each attribute of profile id, by
// attribute name; nil for a profile that no source made (imported by
// hand). It is a read: every role may see it.
func (s *Sources) Origins(ctx context.Context, id string) (map[string]AttributeOrigin, error) {
	o, err := s.st.GetProfileOrigins(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	list, err := s.st.ListSources(ctx)
	if err != nil {
		return nil, err
	}
	names := map[int64]string{0: "imported by hand"}
	for _, src := range list {
		names[src.ID] = "source " + src.Name
	}
	out := make(map[string]AttributeOrigin, len(o))
	for k, v := range o {
		n, ok := names[v.Source]
		if !ok {
			n = "a removed source"
		}
		out[k] = AttributeOrigin{Source: n, SourceID: v.Source, At: v.At}
	}
	return out, nil
}

// pinTypes records a source's attribute types in the profile schema, as
// import --type does: segment rules and mappings are checked against them.
func (s *Sources) pinTypes(ctx context.Context, src source.Source) error {
	if len(src.Types) == 0 {
		return nil
	}
	if err := s.st.PinAttributeTypes(ctx, src.Types, s.now()); err != nil {
		return fmt.Errorf("source %q is saved, but its attribute types are not pinned in the profile schema: %w", src.Name, err)
	}
	return nil
}
