package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"segbridge/internal/segment"
	"segbridge/internal/service"
)

type segmentsView struct {
	Segments []segment.Segment
	Profiles int
}

func (s *server) segmentsPage(w http.ResponseWriter, r *http.Request) error {
	segs, err := s.app.Store.ListSegments(r.Context())
	if err != nil {
		return err
	}
	n, err := s.app.Store.CountProfiles(r.Context())
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "segments", segmentsView{Segments: segs, Profiles: n})
	return nil
}

// segmentForm is the new segment form, with a preview when asked for.
type segmentForm struct {
	Name    string
	Rule    string
	Preview *segmentPreview
	Snippet string // the rule error's position, under the rule
}

type segmentPreview struct {
	Members  int
	Profiles int
	Sample   []previewRow
	Warning  string
}

type previewRow struct{ ID, Email string }

const previewSample = 10

func (s *server) newSegmentPage(w http.ResponseWriter, r *http.Request) error {
	s.render(w, r, http.StatusOK, "segment_new", segmentForm{})
	return nil
}

// createSegment previews (button Preview) or saves and refreshes (Save) a
// rule segment.
func (s *server) createSegment(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return badInput("unreadable form: %v", err)
	}
	ctx, p := r.Context(), principal(r)
	f := segmentForm{Name: strings.TrimSpace(r.PostFormValue("name")), Rule: r.PostFormValue("rule")}
	if r.PostFormValue("action") == "preview" {
		rule, err := segment.Compile(f.Rule)
		if err != nil {
			return s.segmentFormError(w, r, f, inputError(err))
		}
		ev, err := s.cfg.Previews.Preview(ctx, s.app.Store, rule)
		if err != nil {
			return s.segmentFormError(w, r, f, err)
		}
		f.Preview = &segmentPreview{Members: len(ev.Members), Profiles: ev.Profiles}
		if ev.EvalErrors > 0 {
			f.Preview.Warning = fmt.Sprintf("The rule failed on %d profiles, which do not match (first: %v).", ev.EvalErrors, ev.FirstEvalError)
		}
		for _, id := range ev.Members[:min(previewSample, len(ev.Members))] {
			pr, err := s.app.Store.GetProfile(ctx, id)
			if err != nil {
				return err
			}
			email, _ := pr.Attrs["email"].(string)
			f.Preview.Sample = append(f.Preview.Sample, previewRow{ID: id, Email: email})
		}
		s.render(w, r, http.StatusOK, "segment_new", f)
		return nil
	}
	seg, err := s.app.Services.Segments.Create(ctx, p, service.SegmentInput{Name: f.Name, Rule: f.Rule})
	if err != nil { // a bad name or rule, a type error, an attribute no profile has, a taken name
		return s.segmentFormError(w, r, f, err)
	}
	seg, res, err := s.app.Services.Segments.Refresh(ctx, p, seg.Slug)
	if err != nil {
		return err
	}
	s.redirect(w, r, "/segments", fmt.Sprintf("Segment %q saved: %d members of %d profiles.", seg.Name, len(res.Members), res.Profiles), false)
	return nil
}

func (s *server) segmentFormError(w http.ResponseWriter, r *http.Request, f segmentForm, err error) error {
	cat, msg := classify(err)
	if cat == catInternal {
		return err
	}
	var re *segment.RuleError
	if errors.As(err, &re) {
		f.Snippet = re.Snippet()
	}
	s.renderForm(w, r, cat.status(), "segment_new", f, msg)
	return nil
}

func (s *server) refreshSegment(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	seg, res, err := s.app.Services.Segments.Refresh(ctx, principal(r), r.PathValue("slug"))
	if err != nil {
		return err
	}
	s.redirect(w, r, "/segments", fmt.Sprintf("Segment %q refreshed: %d members (+%d joined, -%d left).", seg.Name, len(res.Members), res.Joined, res.Left), false)
	return nil
}
