package web

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"segbridge/internal/profile"
	"segbridge/internal/run"
	"segbridge/internal/user"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// pages are the parsed page templates by name ("exports" for
// templates/exports.html), each with the layout and the shared partials.
type pages struct {
	byName map[string]*template.Template
}

// parsePages parses every template once: the layout and partials, then each
// page on a clone of them.
func parsePages() (*pages, error) {
	base, err := template.New("").Funcs(funcs()).ParseFS(templateFS, "templates/layout.html", "templates/partials.html")
	if err != nil {
		return nil, fmt.Errorf("parse layout: %w", err)
	}
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	p := &pages{byName: map[string]*template.Template{}}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		if name == "layout" || name == "partials" {
			continue
		}
		t, err := template.Must(base.Clone()).ParseFS(templateFS, f)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", f, err)
		}
		p.byName[name] = t
	}
	return p, nil
}

// staticHandler serves the embedded CSS and JavaScript files, and nothing
// else: /static/ and any directory are 404, never a listing.
func staticHandler() http.Handler {
	sub, _ := fs.Sub(staticFS, "static") // the directory is embedded
	files := http.FileServerFS(sub)
	return http.StripPrefix("/static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := r.URL.Path
		if fi, err := fs.Stat(sub, name); err != nil || fi.IsDir() || strings.HasSuffix(name, "/") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=300")
		files.ServeHTTP(w, r)
	}))
}

// view is what every page template gets: the signed-in user, the flash
// message of the previous POST, a form error and the page's own data (D).
type view struct {
	User     user.Principal
	SignedIn bool
	Section  string
	Flash    string
	FlashErr bool
	Error    string
	// Problems are the invalid fields of a failed POST, each shown
	// beside its field and in the summary at the top (forms.go).
	Problems []fieldProblem
	D        any
}

// sections put pages under a navigation entry.
var sections = map[string]string{
	"connections": "connections", "connection": "connections", "connection_new": "connections",
	"exports": "exports", "export": "exports", "export_new": "exports", "run": "exports",
	"export_verify": "exports", "export_plan": "exports", "explain": "exports",
	"segments": "segments", "segment_new": "segments", "segment": "segments",
	"system": "system", "users": "users", "audit": "audit", "tokens": "tokens",
	"notifications": "notifications", "profiles": "profiles", "account": "account",
	"sources": "sources", "source": "sources", "source_new": "sources", "profile": "profiles",
}

// render writes page name with status and data d.
func (s *server) render(w http.ResponseWriter, r *http.Request, status int, name string, d any) {
	s.renderForm(w, r, status, name, d, "")
}

// renderForm writes page name with a form error message shown above it.
func (s *server) renderForm(w http.ResponseWriter, r *http.Request, status int, name string, d any, formErr string) {
	s.renderPage(w, r, status, name, d, formErr, nil)
}

// renderPage writes page name with a form error message and the invalid
// fields' problems.
func (s *server) renderPage(w http.ResponseWriter, r *http.Request, status int, name string, d any, formErr string, ps []fieldProblem) {
	t, ok := s.pages.byName[name]
	if !ok {
		s.log.Error("no template", "name", name)
		http.Error(w, "internal error: no page "+name, http.StatusInternalServerError)
		return
	}
	v := view{Section: sections[name], Error: sentence(formErr), Problems: ps, D: d}
	v.User, v.SignedIn = user.FromContext(r.Context())
	v.Flash, v.FlashErr = s.takeFlash(w, r)
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		s.log.Error("render page", "name", name, "error", err)
		http.Error(w, "internal error: rendering the page failed", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// sentence starts msg with a capital letter (errors of the domain
// packages start in lower case).
func sentence(msg string) string {
	r, n := utf8.DecodeRuneInString(msg)
	if n == 0 {
		return msg
	}
	return string(unicode.ToUpper(r)) + msg[n:]
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// funcs are the template helpers.
func funcs() template.FuncMap {
	return template.FuncMap{
		"when":     fmtTime,
		"sentence": sentence,
		"duration": runDuration,
		"final":    func(s run.Status) bool { return s.Final() },
		"settled":  func(s run.Status) bool { return !s.Executable() }, // final, or held
		"join":     strings.Join,
		"add":      func(a, b int) int { return a + b },
		"pct": func(n, of int) int {
			if of <= 0 {
				return 0
			}
			return min(100, n*100/of)
		},
		"last4": func(s string) string { return "••••" + s },
		"list":  func(v ...string) []string { return v },
		"attrs": func(a profile.Attrs) string {
			b, err := profile.EncodeAttrs(a)
			if err != nil {
				return ""
			}
			return string(b)
		},
		"took": func(a, b time.Time) string { return b.Sub(a).Round(time.Millisecond).String() },
	}
}

// fmtTime shows a time in UTC to the second ("-" when zero).
func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// runDuration is how long a run took, or has been running ("-" if not
// started).
func runDuration(r run.Run) string {
	if r.StartedAt.IsZero() {
		return "-"
	}
	end := r.FinishedAt
	if end.IsZero() {
		return "running"
	}
	return end.Sub(r.StartedAt).Round(time.Millisecond).String()
}
