package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"segbridge/internal/segment"
	"segbridge/internal/service"
	"segbridge/internal/store"
)

// segmentJSON is a segment as the API shows it.
type segmentJSON struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Slug string `json:"slug"`
	Kind string `json:"kind" enum:"rule,static"`
	Rule string `json:"rule,omitempty"`
	// StaticIDs is the number of ids a static segment lists.
	StaticIDs int `json:"static_ids,omitempty"`
	// Members is null before the first refresh.
	Members     *int       `json:"members"`
	RefreshedAt *time.Time `json:"refreshed_at"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
}

func toSegmentJSON(s segment.Segment) segmentJSON {
	j := segmentJSON{ID: s.ID, Name: s.Name, Slug: s.Slug, Kind: string(s.Kind), Rule: s.Rule,
		StaticIDs: s.StaticCount, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt}
	if !s.RefreshedAt.IsZero() {
		n, at := s.MemberCount, s.RefreshedAt
		j.Members, j.RefreshedAt = &n, &at
	}
	return j
}

type segmentsOutput struct {
	Body []segmentJSON
}

type segmentOutput struct {
	Body segmentJSON
}

type segmentRefInput struct {
	Name string `path:"name" minLength:"1" doc:"the segment's name or slug"`
}

type updateSegmentInput struct {
	Name string `path:"name" minLength:"1" doc:"the segment's name or slug"`
	Body struct {
		Rule string `json:"rule" minLength:"1" maxLength:"10000" doc:"the new CEL rule over the profile p; members change at the next refresh" example:"p.orders > 12"`
	}
}

type createSegmentInput struct {
	Body struct {
		Name string `json:"name" minLength:"1" maxLength:"200" example:"VIP buyers"`
		// Rule and IDs: exactly one.
		Rule string   `json:"rule,omitempty" maxLength:"10000" doc:"a CEL rule over the profile p (a rule segment)" example:"p.orders > 10"`
		IDs  []string `json:"ids,omitempty" maxItems:"1000000" doc:"profile ids (a static segment)"`
	}
}

type previewInput struct {
	Body struct {
		Rule string `json:"rule" minLength:"1" maxLength:"10000" doc:"a CEL rule over the profile p" example:"p.country_code == \"CZ\""`
		// Sample is how many matching profiles to return.
		Sample int `json:"sample,omitempty" minimum:"0" maximum:"100" default:"10"`
	}
}

type previewOutput struct {
	Body struct {
		Matches  int           `json:"matches"`
		Profiles int           `json:"profiles" doc:"profiles looked at"`
		Sample   []profileJSON `json:"sample"`
		// EvalErrors counts profiles on which the rule failed (they do not match).
		EvalErrors     int    `json:"eval_errors"`
		FirstEvalError string `json:"first_eval_error,omitempty"`
	}
}

type refreshOutput struct {
	Body struct {
		Segment       segmentJSON `json:"segment"`
		Members       int         `json:"members"`
		Profiles      int         `json:"profiles"`
		Joined        int         `json:"joined"`
		Left          int         `json:"left"`
		EvalErrors    int         `json:"eval_errors"`
		MissingStatic int         `json:"missing_static" doc:"listed ids that match no profile"`
	}
}

// Segments cannot be changed once created (the store has no update): to
// change a rule, create a new segment and point the exports at it.
func (s *server) registerSegments(api huma.API) {
	huma.Register(api, operation("list-segments", http.MethodGet, "/segments", "List segments with member counts", "segments", 200), s.listSegments)
	huma.Register(api, operation("get-segment", http.MethodGet, "/segments/{name}", "Get one segment", "segments", 200), s.getSegment)
	huma.Register(api, operation("create-segment", http.MethodPost, "/segments", "Create a rule or static segment (admin, contributor)", "segments", 201), s.createSegment)
	huma.Register(api, operation("update-segment", http.MethodPatch, "/segments/{name}", "Change a rule segment's rule; its name and slug (its tags) stay (admin, contributor)", "segments", 200), s.updateSegment)
	huma.Register(api, operation("delete-segment", http.MethodDelete, "/segments/{name}", "Delete a segment no export uses (admin, contributor)", "segments", 204), s.deleteSegment)
	huma.Register(api, operation("refresh-segment", http.MethodPost, "/segments/{name}/refresh", "Evaluate a segment and store its members (admin, contributor)", "segments", 200), s.refreshSegment)
	preview := operation("preview-segment", http.MethodPost, "/segments/preview", "Count a rule's matches now and show a sample; nothing is stored", "segments", 200)
	preview.Description = "A rule whose estimated cost per profile is too high is refused (422), as when saving it. " +
		"A few previews run at a time (more: 503 with Retry-After), each within a deadline (past it: 422)."
	huma.Register(api, preview, s.previewSegment)
}

func (s *server) listSegments(ctx context.Context, _ *noInput) (*segmentsOutput, error) {
	if _, err := principal(ctx); err != nil {
		return nil, err
	}
	segs, err := s.a.Store.ListSegments(ctx)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	out := &segmentsOutput{Body: make([]segmentJSON, len(segs))}
	for i, seg := range segs {
		out.Body[i] = toSegmentJSON(seg)
	}
	return out, nil
}

// findSegment looks a segment up by name or slug.
func (s *server) findSegment(ctx context.Context, name string) (segment.Segment, error) {
	seg, err := s.a.Store.GetSegment(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return seg, huma.Error404NotFound(fmt.Sprintf("no segment named %q", name))
	}
	if err != nil {
		return seg, s.problem(ctx, err)
	}
	return seg, nil
}

func (s *server) getSegment(ctx context.Context, in *segmentRefInput) (*segmentOutput, error) {
	if _, err := principal(ctx); err != nil {
		return nil, err
	}
	seg, err := s.findSegment(ctx, in.Name)
	if err != nil {
		return nil, err
	}
	return &segmentOutput{Body: toSegmentJSON(seg)}, nil
}

func (s *server) createSegment(ctx context.Context, in *createSegmentInput) (*segmentOutput, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	b := in.Body
	if b.Rule != "" && len(b.IDs) > 0 {
		return nil, invalid("rule", "give either rule (a rule segment) or ids (a static segment), not both")
	}
	seg, err := s.a.Services.Segments.Create(ctx, p, service.SegmentInput{Name: b.Name, Rule: b.Rule, IDs: b.IDs, Static: b.IDs != nil && b.Rule == ""})
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	return &segmentOutput{Body: toSegmentJSON(seg)}, nil
}

func (s *server) updateSegment(ctx context.Context, in *updateSegmentInput) (*segmentOutput, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	seg, err := s.a.Services.Segments.UpdateRule(ctx, p, in.Name, in.Body.Rule)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	return &segmentOutput{Body: toSegmentJSON(seg)}, nil
}

func (s *server) deleteSegment(ctx context.Context, in *segmentRefInput) (*struct{}, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := s.a.Services.Segments.Delete(ctx, p, in.Name); err != nil {
		return nil, s.problem(ctx, err)
	}
	return &struct{}{}, nil
}

func (s *server) refreshSegment(ctx context.Context, in *segmentRefInput) (*refreshOutput, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	seg, res, err := s.a.Services.Segments.Refresh(ctx, p, in.Name)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	out := &refreshOutput{}
	b := &out.Body
	b.Segment, b.Members, b.Profiles, b.Joined, b.Left = toSegmentJSON(seg), len(res.Members), res.Profiles, res.Joined, res.Left
	b.EvalErrors, b.MissingStatic = res.EvalErrors, res.MissingStatic
	return out, nil
}

func (s *server) previewSegment(ctx context.Context, in *previewInput) (*previewOutput, error) {
	if _, err := principal(ctx); err != nil {
		return nil, err
	}
	rule, err := segment.Compile(in.Body.Rule)
	if err != nil {
		return nil, huma.Error422UnprocessableEntity(err.Error(), &huma.ErrorDetail{Location: "body.rule", Message: err.Error()})
	}
	ev, err := s.cfg.Previews.Preview(ctx, s.a.Store, rule)
	if errors.Is(err, segment.ErrRuleTooSlow) {
		return nil, huma.Error422UnprocessableEntity(err.Error(), &huma.ErrorDetail{Location: "body.rule", Message: err.Error()})
	}
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	out := &previewOutput{}
	b := &out.Body
	b.Matches, b.Profiles, b.EvalErrors, b.Sample = len(ev.Members), ev.Profiles, ev.EvalErrors, []profileJSON{}
	if ev.FirstEvalError != nil {
		b.FirstEvalError = ev.FirstEvalError.Error()
	}
	for _, id := range ev.Members[:min(in.Body.Sample, len(ev.Members))] {
		pr, err := s.a.Store.GetProfile(ctx, id)
		if err != nil {
			return nil, s.problem(ctx, err)
		}
		b.Sample = append(b.Sample, toProfileJSON(pr))
	}
	return out, nil
}
