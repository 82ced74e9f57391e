// Package web is segbridge's browser interface: server-rendered pages
// (html/template, parsed once from embedded files) for the reference flows —
// Admin → Connections, Data → Exports with their runs, Segments, Settings →
// System, Users, the audit log and personal API tokens. Forms work without
// JavaScript (POST, then redirect); a little vanilla JavaScript adds live run
// progress and the "Add attribute" control.
//
// Handlers return an error; one adapter maps its category (not found,
// forbidden, bad input, conflict) to the HTTP status and an error page. Every
// page asks user.Principal what the signed-in user may do: pages hide what
// a role cannot do and the POST handlers refuse it with 403 anyway.
// Authentication (the session cookie) and cross-origin protection are the
// job of internal/httpauth, which wraps this handler.
package web

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"segbridge/internal/app"
	"segbridge/internal/segment"
)

// Config is what the web UI needs.
type Config struct {
	// App is the open application: store, services, jobs.
	App *app.App
	// Logger receives one line per failed request (default: discard).
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
	// FlashKey signs the flash messages a form leaves for the next page
	// (at least 32 bytes; default: random, made by New, so a message set
	// by one process and read by another is dropped).
	FlashKey []byte
	// Previews bounds rule previews (default: one made by New with
	// segment.PreviewConfig's defaults); share one between the API and the
	// web UI.
	Previews *segment.Previewer
	// MaxUploadBytes bounds a profile import upload (default
	// DefaultMaxUploadBytes). A larger one is refused; nothing is
	// spooled to disk.
	MaxUploadBytes int64
	// Uploads holds one slot per upload being imported (default: 2
	// slots); share one with the API so that the limit is the server's.
	Uploads chan struct{}
}

// DefaultMaxUploadBytes is the default bound of an import upload, as the
// API's.
const DefaultMaxUploadBytes = 256 << 20

// WithDefaults returns c with the logger and clock set. The flash key and
// the previewer are made by New.
func (c Config) WithDefaults() Config {
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.MaxUploadBytes == 0 {
		c.MaxUploadBytes = DefaultMaxUploadBytes
	}
	if c.Uploads == nil {
		c.Uploads = make(chan struct{}, 2)
	}
	return c
}

// Validate reports the first missing field.
func (c Config) Validate() error {
	switch {
	case c.App == nil:
		return errors.New("web: Config.App is required")
	case c.App.Store == nil:
		return errors.New("web: Config.App.Store is required")
	case c.App.Users == nil:
		return errors.New("web: Config.App.Users is required")
	case c.App.Audit == nil:
		return errors.New("web: Config.App.Audit is required")
	case c.FlashKey != nil && len(c.FlashKey) < flashKeyLen:
		return fmt.Errorf("web: Config.FlashKey: want at least %d bytes, got %d", flashKeyLen, len(c.FlashKey))
	}
	return nil
}

// server holds the parsed templates and the application.
type server struct {
	cfg   Config
	app   *app.App
	log   *slog.Logger
	pages *pages
	mux   *http.ServeMux
	// totals keeps the result totals of ended runs (see resultTotals).
	totals resultTotals
}

// New returns the web UI's handler. Wrap it in httpauth.Middleware (which
// puts the signed-in user in the request context) and httpauth.CrossOrigin.
func New(cfg Config) (http.Handler, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.FlashKey == nil {
		cfg.FlashKey = make([]byte, flashKeyLen)
		if _, err := rand.Read(cfg.FlashKey); err != nil {
			return nil, fmt.Errorf("web: flash key: %w", err)
		}
	}
	if cfg.Previews == nil {
		pv, err := segment.NewPreviewer(segment.PreviewConfig{})
		if err != nil {
			return nil, fmt.Errorf("web: %w", err)
		}
		cfg.Previews = pv
	}
	p, err := parsePages()
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	s := &server{cfg: cfg, app: cfg.App, log: cfg.Logger.With(slog.String("component", "web")), pages: p, mux: http.NewServeMux()}
	s.routes()
	return noSniff(s.mux), nil
}

// noSniff marks every response nosniff and, unless the handler says
// otherwise (the static files do), not to be stored: pages, CSV downloads
// and run progress hold data for the signed-in user only.
func noSniff(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// routes registers every page. The access level is checked before the
// handler runs. The changes to connections and users need only a
// signed-in user here: the services' permission table decides who may
// make them.
func (s *server) routes() {
	s.mux.Handle("GET /static/", staticHandler())
	s.handle("GET /{$}", signedIn, s.home)
	s.handle("GET /login", public, s.loginPage)
	s.handle("POST /login", public, s.login)
	s.handle("POST /logout", signedIn, s.logout)

	s.handle("GET /admin/connections", admin, s.connectionsPage)
	s.handle("GET /admin/connections/new", admin, s.newConnectionPage)
	s.handle("POST /admin/connections", signedIn, s.createConnection)
	s.handle("POST /admin/connections/connect.json", signedIn, s.connectJSON)
	s.handle("GET /admin/connections/{id}", admin, s.connectionPage)
	s.handle("POST /admin/connections/{id}", signedIn, s.updateConnection)
	s.handle("POST /admin/connections/{id}/check", signedIn, s.checkConnection)
	s.handle("POST /admin/connections/{id}/sync-unsubscribes", signedIn, s.syncUnsubscribes)
	s.handle("POST /admin/connections/{id}/remove", signedIn, s.removeConnection)

	s.handle("GET /admin/sources", admin, s.sourcesPage)
	s.handle("GET /admin/sources/new", admin, s.newSourcePage)
	s.handle("POST /admin/sources", signedIn, s.createSource)
	s.handle("GET /admin/sources/{id}", admin, s.sourcePage)
	s.handle("POST /admin/sources/{id}", signedIn, s.updateSource)
	s.handle("POST /admin/sources/{id}/test", signedIn, s.testSource)
	s.handle("POST /admin/sources/{id}/run", signedIn, s.runSource)
	s.handle("POST /admin/sources/{id}/remove", signedIn, s.removeSource)

	s.handle("GET /exports", signedIn, s.exportsPage)
	s.handle("GET /exports/new", writer, s.newExportPage)
	s.handle("POST /exports", writer, s.createExport)
	s.handle("GET /exports/{id}", signedIn, s.exportPage)
	s.handle("GET /exports/{id}/edit", writer, s.editExportPage)
	s.handle("POST /exports/{id}/edit", signedIn, s.updateExport)
	s.handle("POST /exports/{id}/run", writer, s.runExport)
	s.handle("POST /exports/{id}/cancel", writer, s.cancelExport)
	s.handle("POST /runs/{id}/approve", writer, s.approveRun)
	s.handle("POST /runs/{id}/discard", writer, s.discardRun)
	s.handle("POST /runs/{id}/retry", writer, s.retryRun)
	s.handle("POST /exports/{id}/remove", writer, s.removeExport)
	s.handle("GET /exports/{id}/verify", writer, s.verifyPage)
	s.handle("POST /exports/{id}/verify", writer, s.verifyExport)
	s.handle("GET /exports/{id}/plan", writer, s.planPage)
	s.handle("GET /exports/{id}/plan/diff.csv", writer, s.planDiffCSV)
	s.handle("GET /exports/{id}/plan/diff.jsonl", writer, s.planDiffJSONL)
	s.handle("GET /explain", signedIn, s.explainPage)

	s.handle("GET /runs/{id}", signedIn, s.runPage)
	s.handle("GET /runs/{id}/progress.json", signedIn, s.runProgress)
	s.handle("GET /runs/{id}/results.csv", signedIn, s.runResultsCSV)

	s.handle("GET /profiles/{id}", signedIn, s.profilePage)

	s.handle("GET /segments", signedIn, s.segmentsPage)
	s.handle("GET /segments/new", writer, s.newSegmentPage)
	s.handle("POST /segments", writer, s.createSegment)
	s.handle("GET /segments/{slug}", signedIn, s.segmentPage)
	s.handle("POST /segments/{slug}", signedIn, s.updateSegment)
	s.handle("POST /segments/{slug}/delete", signedIn, s.deleteSegment)
	s.handle("POST /segments/{slug}/refresh", writer, s.refreshSegment)

	s.handle("GET /profiles", signedIn, s.profilesPage)
	s.handle("POST /profiles/import", signedIn, s.importProfiles)

	s.handle("GET /settings/system", signedIn, s.systemPage)
	s.handle("POST /settings/system/refresh", signedIn, s.refreshNow)
	s.handle("POST /settings/system/schedule", signedIn, s.setSchedule)
	s.handle("POST /settings/system/refreshes/{id}/release", signedIn, s.settleRefresh(true))
	s.handle("POST /settings/system/refreshes/{id}/discard", signedIn, s.settleRefresh(false))
	s.notificationRoutes()

	s.handle("GET /admin/users", admin, s.usersPage)
	s.handle("POST /admin/users", signedIn, s.addUser)
	s.handle("POST /admin/users/{id}/role", signedIn, s.setUserRole)
	s.handle("POST /admin/users/{id}/remove", signedIn, s.removeUser)
	s.handle("POST /admin/users/{id}/password", signedIn, s.setUserPassword)
	s.handle("GET /account", signedIn, s.accountPage)
	s.handle("POST /account/password", signedIn, s.changeOwnPassword)
	s.handle("GET /admin/audit", admin, s.auditPage)

	s.handle("GET /tokens", signedIn, s.tokensPage)
	s.handle("POST /tokens", signedIn, s.createToken)
	s.handle("POST /tokens/{id}/revoke", signedIn, s.revokeToken)

	s.handle("/", public, func(http.ResponseWriter, *http.Request) error {
		return notFound("no such page")
	})
}

// home sends the user to the export list, the page most work starts from.
func (s *server) home(w http.ResponseWriter, r *http.Request) error {
	http.Redirect(w, r, "/exports", http.StatusSeeOther)
	return nil
}
