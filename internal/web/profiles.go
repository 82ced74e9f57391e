package web

import (
	"errors"
	"fmt"
	"io"
	"math"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"segbridge/internal/profile"
	"segbridge/internal/service"
	"segbridge/internal/store"
)

// profilesView is the Profiles page: the profile schema (every attribute,
// its type and how many profiles carry it) and the import form, with the
// outcome of the import just made.
type profilesView struct {
	Schema    profile.Schema
	CanImport bool
	Form      importForm
	Result    *importResult
	MaxUpload string
	// The profile list: the search, its page (nil when the search was
	// refused) and the pages before and after.
	Search   profileSearch
	Page     *service.ProfilePage
	Rows     []profileRow
	PrevURL  string
	NextURL  string
	Imports  []store.ProfileImport
	Coverage map[string]string
	// ByText says in words what the search matched ("e-mails").
	ByText string
}

// profileSearch is what the search form was filled in with.
type profileSearch struct {
	Q, By string
}

// profileRow is one profile of the list.
type profileRow struct {
	ID, Email, Name, Updated string
}

// byText says in words what a search matched.
var byText = map[string]string{"id": "ids", "email": "e-mails", "value": "attribute values"}

// importForm is what the import form was filled in with.
type importForm struct {
	ID     string
	Format string
	Types  string
	Strict bool
}

// importResult is an import's outcome as the page shows it.
type importResult struct {
	Summary profile.ImportSummary
	Failed  bool
}

// maxFormField bounds each text field of the import form.
const maxFormField = 16 << 10

func (s *server) profilesPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderProfiles(w, r, http.StatusOK, importForm{ID: "id"}, nil, "")
}

func (s *server) renderProfiles(w http.ResponseWriter, r *http.Request, status int, f importForm, res *importResult, formErr string) error {
	return s.renderProfilesPage(w, r, status, f, res, formErr, nil)
}

// importFields are where the import form shows each field's problem.
var importFields = formFields{"id": {"import-id", "Id column"}, "format": {"import-format", "Format"},
	"types": {"import-types", "Pin types"}, "file": {"import-file", "File"}}

// importFailed shows the import form again with err's problems beside
// its fields.
func (s *server) importFailed(w http.ResponseWriter, r *http.Request, f importForm, res *importResult, err error) error {
	cat, msg := classify(err)
	if cat == catInternal {
		return err
	}
	general, ps := splitProblems(err, msg, importFields)
	return s.renderProfilesPage(w, r, cat.status(), f, res, general, ps)
}

func (s *server) renderProfilesPage(w http.ResponseWriter, r *http.Request, status int, f importForm, res *importResult, formErr string, ps []fieldProblem) error {
	ctx, p := r.Context(), principal(r)
	schema, err := s.app.Store.ProfileSchema(ctx)
	if err != nil {
		return err
	}
	v := profilesView{Schema: schema, Form: f, Result: res, MaxUpload: byteSize(s.cfg.MaxUploadBytes),
		CanImport: s.app.Services.Profiles.CheckImport(p) == nil, Coverage: map[string]string{}}
	for _, a := range schema.Attributes {
		v.Coverage[a.Name] = coverage(a.Profiles, schema.Profiles)
	}
	if r.Method == http.MethodGet {
		q := r.URL.Query()
		v.Search = profileSearch{Q: q.Get("q"), By: q.Get("by")}
		page, err := s.app.Services.Profiles.Search(ctx, p, service.ProfileQuery{By: v.Search.By, Q: v.Search.Q, Cursor: q.Get("cursor"), Limit: 25})
		if e, ok := service.AsError(err); ok && e.Kind == service.KindInvalid && formErr == "" {
			formErr, status = searchProblem(e), http.StatusBadRequest
		} else if err != nil {
			return err
		}
		if err == nil {
			v.Page = &page
		}
	} else {
		page, err := s.app.Services.Profiles.Search(ctx, p, service.ProfileQuery{Limit: 25})
		if err != nil {
			return err
		}
		v.Page = &page
	}
	if v.Page != nil {
		for _, pr := range v.Page.Profiles {
			name := strings.TrimSpace(attrText(pr.Attrs, "first_name") + " " + attrText(pr.Attrs, "last_name"))
			v.Rows = append(v.Rows, profileRow{ID: pr.ID, Email: attrText(pr.Attrs, "email"), Name: name, Updated: fmtTime(pr.UpdatedAt)})
		}
		v.PrevURL, v.NextURL = pageURL(v.Search, v.Page.Prev), pageURL(v.Search, v.Page.Next)
		v.ByText = byText[v.Page.By]
	}
	if v.Imports, err = s.app.Services.Profiles.Imports(ctx, p, 0, 10); err != nil {
		return err
	}
	s.renderPage(w, r, status, "profiles", v, formErr, ps)
	return nil
}

// searchProblem words a refused search with the search form's labels.
func searchProblem(e *service.Error) string {
	labels := map[string]string{"q": "Search", "by": "Search in", "cursor": "Page", "limit": "Page size"}
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		l, ok := labels[f.Field]
		if !ok {
			l = f.Field
		}
		parts[i] = l + ": " + f.Msg
	}
	if len(parts) == 0 {
		return e.Msg
	}
	return strings.Join(parts, "; ")
}

// pageURL is the address of a page of search q ("" without a cursor).
func pageURL(q profileSearch, cursor string) string {
	if cursor == "" {
		return ""
	}
	u := url.Values{"cursor": {cursor}}
	if q.Q != "" {
		u.Set("q", q.Q)
	}
	if q.By != "" {
		u.Set("by", q.By)
	}
	return "/profiles?" + u.Encode() + "#profile-list"
}

// coverage is the share n of total in per cent, in words.
func coverage(n, total int) string {
	switch {
	case total <= 0:
		return "-"
	case n == total:
		return "100%"
	case n*1000/total == 0:
		return "under 0.1%"
	}
	return strconv.FormatFloat(math.Floor(float64(n)*1000/float64(total))/10, 'f', -1, 64) + "%"
}

func attrText(a profile.Attrs, key string) string {
	if v, ok := a[key]; ok {
		return store.FormatValue(v)
	}
	return ""
}

// importProfiles streams the uploaded file of the import form into the
// import: the fields come first (the form puts the file last), the file
// is read as it arrives, never held whole, and no more than
// MaxUploadBytes of it.
func (s *server) importProfiles(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	if err := s.app.Services.Profiles.CheckImport(p); err != nil {
		return err // before the upload is read
	}
	release, err := s.acquireUpload()
	if err != nil {
		return err
	}
	defer release()
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxUploadBytes+maxFormField*8)
	mr, err := r.MultipartReader()
	if err != nil {
		return badInput("the import form was not sent as a file upload; choose a file and press Import")
	}
	var f importForm
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return s.importFailed(w, r, f, nil, service.Invalid("file", "choose the CSV or JSON Lines file to import"))
		}
		if err != nil {
			return s.uploadFailed(err)
		}
		if part.FormName() == "file" {
			return s.importPart(w, r, f, part)
		}
		v, err := io.ReadAll(io.LimitReader(part, maxFormField+1))
		if err != nil {
			return s.uploadFailed(err)
		}
		if len(v) > maxFormField {
			return badInput("the form field %q is too long", part.FormName())
		}
		switch part.FormName() {
		case "id":
			f.ID = strings.TrimSpace(string(v))
		case "format":
			f.Format = string(v)
		case "types":
			f.Types = string(v)
		case "strict":
			f.Strict = string(v) == "yes"
		}
	}
}

// importPart imports the file part with the options of form f.
func (s *server) importPart(w http.ResponseWriter, r *http.Request, f importForm, file *multipart.Part) error {
	ctx, p := r.Context(), principal(r)
	ropts := profile.ReadOptions{IDColumn: f.ID, Format: profile.FormatCSV}
	switch {
	case f.Format == "jsonl", f.Format == "" && isJSONLName(file.FileName()):
		ropts.Format = profile.FormatJSONL
	case f.Format != "" && f.Format != "csv":
		return s.importFailed(w, r, f, nil, service.Invalid("format", "choose CSV or JSON Lines"))
	}
	pins, err := parsePins(f.Types)
	if err != nil {
		return s.importFailed(w, r, f, nil, service.Invalid("types", "%s", err.Error()))
	}
	counted := &countingBody{r: file}
	sum, err := s.app.Services.Profiles.Import(ctx, p, counted, profile.ImportOptions{Read: ropts, Strict: f.Strict, Now: s.cfg.Now, Source: file.FileName()}, pins)
	var mbe *http.MaxBytesError
	if errors.As(counted.err, &mbe) {
		msg := fmt.Sprintf("the file is larger than %s, the most this server takes", byteSize(s.cfg.MaxUploadBytes))
		if n := sum.Committed(); n > 0 {
			msg += fmt.Sprintf(" (the first %d rows were imported)", n)
		}
		return s.renderProfiles(w, r, http.StatusRequestEntityTooLarge, f, nil, msg)
	}
	if counted.err != nil {
		return badInput("reading the upload failed part way; send it again (importing it again changes nothing)")
	}
	if err != nil {
		var res *importResult
		if sum.Rows > 0 {
			res = &importResult{Summary: sum, Failed: true}
		}
		return s.importFailed(w, r, f, res, err)
	}
	return s.renderProfiles(w, r, http.StatusOK, f, &importResult{Summary: sum}, "")
}

func (s *server) uploadFailed(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return &webError{cat: catBadInput, msg: fmt.Sprintf("the upload is larger than %s, the most this server takes", byteSize(s.cfg.MaxUploadBytes))}
	}
	return badInput("the upload could not be read; send it again")
}

// acquireUpload takes one of the upload slots shared with the API, or
// refuses at once when all are taken.
func (s *server) acquireUpload() (func(), error) {
	select {
	case s.cfg.Uploads <- struct{}{}:
		return func() { <-s.cfg.Uploads }, nil
	default:
		return nil, &webError{cat: catBusy, msg: fmt.Sprintf("%d uploads are being imported already, the most this server takes at once; try again when one has finished", cap(s.cfg.Uploads))}
	}
}

// parsePins reads "name=type" pairs separated by commas or new lines.
func parsePins(text string) (map[string]profile.Type, error) {
	pins := map[string]profile.Type{}
	for _, field := range strings.FieldsFunc(text, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' }) {
		if strings.TrimSpace(field) == "" {
			continue
		}
		name, t, err := profile.ParsePin(strings.TrimSpace(field))
		if err != nil {
			return nil, fmt.Errorf("pin types: %w", err)
		}
		pins[name] = t
	}
	return pins, nil
}

func isJSONLName(name string) bool {
	name = strings.ToLower(name)
	return strings.HasSuffix(name, ".jsonl") || strings.HasSuffix(name, ".ndjson")
}

// countingBody keeps the first read error of the upload other than EOF.
type countingBody struct {
	r   io.Reader
	err error
}

func (c *countingBody) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) && c.err == nil {
		c.err = err
	}
	return n, err
}

// byteSize is n in the largest whole unit.
func byteSize(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
