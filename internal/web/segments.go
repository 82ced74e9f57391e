package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
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
	Static  bool
	IDs     string // the pasted profile ids of a static segment, kept when saving fails
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
	r.Body = http.MaxBytesReader(w, r.Body, maxIDList+1<<20)
	if err := r.ParseMultipartForm(1 << 20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		return badInput("the form could not be read (an id file over 32 MiB?); send it again")
	}
	if r.MultipartForm != nil {
		defer func() { _ = r.MultipartForm.RemoveAll() }()
	}
	ctx, p := r.Context(), principal(r)
	f := segmentForm{Name: strings.TrimSpace(r.PostFormValue("name")), Rule: r.PostFormValue("rule"), Static: r.PostFormValue("kind") == "static", IDs: r.PostFormValue("ids")}
	if f.Static {
		ids, err := s.staticIDs(r)
		if err != nil {
			return s.segmentFormError(w, r, f, err)
		}
		seg, err := s.app.Services.Segments.Create(ctx, p, service.SegmentInput{Name: f.Name, IDs: ids, Static: true})
		if err != nil {
			return s.segmentFormError(w, r, f, err)
		}
		return s.savedSegment(w, r, seg, "/segments")
	}
	if r.PostFormValue("action") == "preview" {
		if err := s.preview(ctx, &f); err != nil {
			return s.segmentFormError(w, r, f, err)
		}
		s.render(w, r, http.StatusOK, "segment_new", f)
		return nil
	}
	seg, err := s.app.Services.Segments.Create(ctx, p, service.SegmentInput{Name: f.Name, Rule: f.Rule})
	if err != nil { // a bad name or rule, a type error, an attribute no profile has, a taken name
		return s.segmentFormError(w, r, f, err)
	}
	return s.savedSegment(w, r, seg, "/segments")
}

// savedSegment refreshes a segment just saved and goes to target.
func (s *server) savedSegment(w http.ResponseWriter, r *http.Request, seg segment.Segment, target string) error {
	seg, res, err := s.app.Services.Segments.Refresh(r.Context(), principal(r), seg.Slug)
	if err != nil {
		return err
	}
	s.redirect(w, r, target, fmt.Sprintf("Segment \"%s\" saved: %d members of %d profiles.", seg.Name, len(res.Members), res.Profiles), false)
	return nil
}

// preview counts the matches of f's rule now and shows a sample; nothing
// is stored.
func (s *server) preview(ctx context.Context, f *segmentForm) error {
	if err := s.app.Services.Segments.CheckRule(ctx, f.Rule); err != nil {
		return err
	}
	rule, err := segment.Compile(f.Rule)
	if err != nil {
		return inputError(err)
	}
	ev, err := s.cfg.Previews.Preview(ctx, s.app.Store, rule)
	if err != nil {
		return err
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
	return nil
}

// maxIDList bounds a static segment's pasted or uploaded id list.
const maxIDList = 32 << 20

// staticIDs reads a static segment's profile ids: the pasted list and the
// uploaded file, one id per line (commas and tabs separate too).
func (s *server) staticIDs(r *http.Request) ([]string, error) {
	var ids []string
	add := func(text string) {
		for _, id := range strings.FieldsFunc(text, func(c rune) bool { return c == '\n' || c == '\r' || c == ',' || c == '\t' }) {
			if id = strings.TrimSpace(id); id != "" {
				ids = append(ids, id)
			}
		}
	}
	add(r.PostFormValue("ids"))
	if r.MultipartForm != nil {
		for _, fh := range r.MultipartForm.File["ids_file"] {
			f, err := fh.Open()
			if err != nil {
				return nil, badInput("the id file could not be read; send it again")
			}
			b, err := io.ReadAll(io.LimitReader(f, maxIDList+1))
			_ = f.Close()
			if err != nil {
				return nil, badInput("the id file could not be read; send it again")
			}
			if len(b) > maxIDList {
				return nil, &service.Error{Kind: service.KindInvalid, Msg: "the id file is larger than 32 MiB", Fields: []service.FieldProblem{{Field: "ids", Msg: "the id file is larger than 32 MiB"}}}
			}
			add(string(b))
		}
	}
	return ids, nil
}

// segmentView is a segment's page: what it is, which exports send it, the
// rule editor with its preview, and delete.
type segmentView struct {
	Seg      segment.Segment
	UsedBy   []string
	Hidden   int // exports p may not see that send it
	Form     segmentForm
	CanWrite bool
}

func (s *server) segmentPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderSegment(w, r, http.StatusOK, nil, "")
}

// renderSegment shows the segment page; f, when set, is the rule form as
// posted (with its preview or error).
func (s *server) renderSegment(w http.ResponseWriter, r *http.Request, status int, f *segmentForm, formErr string) error {
	return s.renderSegmentPage(w, r, status, f, formErr, nil)
}

// renderSegmentInvalid shows the segment page after its rule form failed
// with err: the rule's problem beside it.
func (s *server) renderSegmentInvalid(w http.ResponseWriter, r *http.Request, f *segmentForm, err error, msg string) error {
	cat, _ := classify(err)
	general, ps := splitProblems(err, msg, segmentFields)
	return s.renderSegmentPage(w, r, cat.status(), f, general, ps)
}

func (s *server) renderSegmentPage(w http.ResponseWriter, r *http.Request, status int, f *segmentForm, formErr string, ps []fieldProblem) error {
	ctx, p := r.Context(), principal(r)
	seg, err := s.app.Services.Segments.Get(ctx, r.PathValue("slug"))
	if err != nil {
		return err
	}
	v := segmentView{Seg: seg, CanWrite: p.CanWrite(), Form: segmentForm{Name: seg.Name, Rule: seg.Rule}}
	if f != nil {
		v.Form = *f
	}
	all, err := s.app.Store.ListExports(ctx)
	if err != nil {
		return err
	}
	conns, err := s.connectionsByID(ctx)
	if err != nil {
		return err
	}
	for _, e := range all {
		if !slices.Contains(e.Segments, seg.ID) {
			continue
		}
		if exportVisible(p, e, conns) {
			v.UsedBy = append(v.UsedBy, e.Name)
		} else {
			v.Hidden++
		}
	}
	s.renderPage(w, r, status, "segment", v, formErr, ps)
	return nil
}

// updateSegment previews (button Preview) or saves and refreshes (Save) a
// rule segment's new rule.
func (s *server) updateSegment(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return badInput("unreadable form: %v", err)
	}
	ctx, p := r.Context(), principal(r)
	f := segmentForm{Rule: r.PostFormValue("rule")}
	fail := func(err error) error {
		_, msg, ferr := formFailure(err, &f)
		if ferr != nil {
			return ferr
		}
		return s.renderSegmentInvalid(w, r, &f, err, msg)
	}
	if r.PostFormValue("action") == "preview" {
		if err := s.preview(ctx, &f); err != nil {
			return fail(err)
		}
		return s.renderSegment(w, r, http.StatusOK, &f, "")
	}
	seg, err := s.app.Services.Segments.UpdateRule(ctx, p, r.PathValue("slug"), f.Rule)
	if err != nil {
		return fail(err)
	}
	return s.savedSegment(w, r, seg, "/segments/"+seg.Slug)
}

// deleteSegment deletes a segment no export sends; otherwise the page says
// which exports send it.
func (s *server) deleteSegment(w http.ResponseWriter, r *http.Request) error {
	seg, err := s.app.Services.Segments.Delete(r.Context(), principal(r), r.PathValue("slug"))
	if err != nil {
		cat, msg := classify(err)
		if cat == catConflict {
			s.redirect(w, r, "/segments/"+r.PathValue("slug"), msg, true)
			return nil
		}
		return err
	}
	s.redirect(w, r, "/segments", fmt.Sprintf("Segment \"%s\" deleted.", seg.Name), false)
	return nil
}

func (s *server) segmentFormError(w http.ResponseWriter, r *http.Request, f segmentForm, err error) error {
	_, msg, ferr := formFailure(err, &f)
	if ferr != nil {
		return ferr
	}
	cat, _ := classify(err)
	return s.renderInvalidMsg(w, r, cat, "segment_new", f, err, msg, segmentFields)
}

// segmentFields are where the segment forms show each field's problem.
var segmentFields = formFields{"name": {"name", "Name"}, "rule": {"rule", "Rule"}, "ids": {"ids", "Profile ids"}}

func (s *server) refreshSegment(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	seg, res, err := s.app.Services.Segments.Refresh(ctx, principal(r), r.PathValue("slug"))
	if err != nil {
		return err
	}
	s.redirect(w, r, "/segments", fmt.Sprintf("Segment \"%s\" refreshed: %d members (+%d joined, -%d left).", seg.Name, len(res.Members), res.Joined, res.Left), false)
	return nil
}

// formFailure is how a segment form shows err: its status and message,
// with the rule error's position under the rule (f.Snippet), or err
// itself when it is internal (the error page).
func formFailure(err error, f *segmentForm) (int, string, error) {
	cat, msg := classify(err)
	if cat == catInternal {
		return 0, "", err
	}
	var re *segment.RuleError
	if errors.As(err, &re) {
		f.Snippet = re.Snippet()
	}
	return cat.status(), msg, nil
}
