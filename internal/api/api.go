// Package api is segbridge's HTTP API under /api/v1: profiles, segments,
// connections, exports and their runs, the system refresh, users, API
// tokens and the audit log. It is built with huma v2 on the standard
// ServeMux, which derives the OpenAPI 3.1 document (served at
// /api/v1/openapi.json), request validation and RFC 9457 problem+json
// errors from the Go types below.
//
// Authentication happens outside this package (internal/httpauth puts the
// user.Principal in the request context); every handler here starts by
// taking that principal and asking user.Principal whether it may act, and
// records what it changed in the audit log.
package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"segbridge/internal/app"
	"segbridge/internal/segment"
)

// Prefix is where the API is served.
const Prefix = "/api/v1"

// Version is the API's version in its OpenAPI document.
const Version = "1.0.0"

// Upload limits: the default size cap of a profile import upload and the
// default number of uploads imported at once.
const (
	DefaultMaxUploadBytes = 256 << 20
	MinMaxUploadBytes     = 1 << 10
	DefaultMaxUploads     = 2
)

// Config configures the API.
type Config struct {
	// App is the open application: its store, services and jobs. Required.
	App *app.App
	// Logger receives one line per failed request (default: App.Logger).
	Logger *slog.Logger
	// Now is the clock (default: App.Now).
	Now func() time.Time
	// MaxUploadBytes bounds a profile import upload (default 256 MiB, at
	// least 1 KiB). A larger upload is refused with 413. Uploads stream
	// into the import; nothing is spooled to disk.
	MaxUploadBytes int64
	// MaxUploads is how many uploads are imported at once (default 2); one
	// more is refused at once with 503 and Retry-After.
	MaxUploads int
	// Uploads, when set, holds the upload slots (its capacity replaces
	// MaxUploads): share one with the web UI so that the limit is the
	// server's.
	Uploads chan struct{}
	// Previews bounds rule previews (default: one made by New with
	// segment.PreviewConfig's defaults); share one with the web UI.
	Previews *segment.Previewer
}

// WithDefaults returns c with unset fields at their defaults.
func (c Config) WithDefaults() Config {
	if c.Logger == nil && c.App != nil {
		c.Logger = c.App.Logger
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.Now == nil && c.App != nil {
		c.Now = c.App.Now
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.MaxUploadBytes == 0 {
		c.MaxUploadBytes = DefaultMaxUploadBytes
	}
	if c.MaxUploads == 0 {
		c.MaxUploads = DefaultMaxUploads
	}
	if c.Uploads == nil {
		c.Uploads = make(chan struct{}, c.MaxUploads)
	}
	return c
}

// Validate reports the first invalid field, by name.
func (c Config) Validate() error {
	switch {
	case c.App == nil:
		return errors.New("api: Config.App is required")
	case c.App.Users == nil:
		return errors.New("api: Config.App.Users is required")
	case c.App.Audit == nil:
		return errors.New("api: Config.App.Audit is required")
	case c.MaxUploadBytes < MinMaxUploadBytes:
		return fmt.Errorf("api: Config.MaxUploadBytes: want at least %d, got %d", MinMaxUploadBytes, c.MaxUploadBytes)
	case c.MaxUploads < 1 || c.MaxUploads > 100:
		return fmt.Errorf("api: Config.MaxUploads: want 1 to 100, got %d", c.MaxUploads)
	}
	return nil
}

// server holds what the handlers share.
type server struct {
	cfg Config
	a   *app.App
	log *slog.Logger
	// uploads holds one slot per upload being imported.
	uploads chan struct{}
}

// New builds the API: the handler serving everything under /api/v1 and the
// huma API (for its OpenAPI document). Wrap the handler in
// httpauth.Middleware, which puts the request's principal in its context.
func New(cfg Config) (http.Handler, huma.API, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, nil, err
	}
	if cfg.Previews == nil {
		pv, err := segment.NewPreviewer(segment.PreviewConfig{})
		if err != nil {
			return nil, nil, fmt.Errorf("api: %w", err)
		}
		cfg.Previews = pv
	}
	s := &server{cfg: cfg, a: cfg.App, log: cfg.Logger.With(slog.String("component", "api")),
		uploads: cfg.Uploads}
	mux := http.NewServeMux()
	api := humago.NewWithPrefix(mux, Prefix, humaConfig())
	api.UseMiddleware(withHumaContext)
	s.register(api)
	return noStore(mux), api, nil
}

// noStore marks every API response, JSON, CSV or problem, as not to be
// stored by any cache (it holds one user's data) and not to be sniffed
// into another content type.
func noStore(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		next.ServeHTTP(w, r)
	})
}

// humaConfig is huma's configuration: OpenAPI 3.1 at /openapi.json, no
// docs page (it loads scripts from elsewhere), no schema links in bodies,
// and the two ways to authenticate.
func humaConfig() huma.Config {
	c := huma.DefaultConfig("segbridge API", Version)
	c.Info.Description = "Keep customer segments alive in Omnisend: profiles, segments, Omnisend connections, " +
		"exports and their runs, users and the audit log. Authenticate with an API token " +
		"(Authorization: Bearer ...; create one with POST /tokens) or the session cookie that POST /session sets. " +
		"Errors are RFC 9457 problem+json."
	c.DocsPath = ""
	c.SchemasPath = ""
	c.CreateHooks = nil
	c.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		"bearer": {Type: "http", Scheme: "bearer", Description: "an API token (POST /tokens)"},
		"session": {Type: "apiKey", In: "cookie", Name: "segbridge_session",
			Description: "the session cookie POST /session sets (named __Host-segbridge_session over HTTPS)"},
	}
	c.Security = []map[string][]string{{"bearer": {}}, {"session": {}}}
	c.Transformers = append(c.Transformers, withoutValues)
	return c
}

// withoutValues removes the request values huma's validation errors echo
// (a whole body when a property is missing): a body may hold an API key
// or a password, and errors never show one. The location and message say
// what is wrong.
func withoutValues(_ huma.Context, _ string, v any) (any, error) {
	if em, ok := v.(*huma.ErrorModel); ok {
		for _, d := range em.Errors {
			if d != nil {
				d.Value = nil
			}
		}
	}
	return v, nil
}

// register adds every route.
func (s *server) register(api huma.API) {
	s.registerSession(api)
	s.registerTokens(api)
	s.registerProfiles(api)
	s.registerSegments(api)
	s.registerConnections(api)
	s.registerExports(api)
	s.registerRuns(api)
	s.registerReadback(api)
	s.registerPlan(api)
	s.registerSystem(api)
	s.registerSources(api)
	s.registerUsers(api)
	s.registerNotify(api)
}

// operation describes one route.
func operation(id, method, path, summary, tag string, status int) huma.Operation {
	return huma.Operation{OperationID: id, Method: method, Path: path, Summary: summary,
		Tags: []string{tag}, DefaultStatus: status}
}

type humaContextKey struct{}

// withHumaContext puts the huma context in the request's context, for the
// few handlers that need the raw request (session cookies, uploads,
// streamed downloads).
func withHumaContext(ctx huma.Context, next func(huma.Context)) {
	next(huma.WithValue(ctx, humaContextKey{}, ctx))
}

// rawRequest returns the request and response writer of ctx.
func rawRequest(ctx context.Context) (*http.Request, http.ResponseWriter, bool) {
	hc, ok := ctx.Value(humaContextKey{}).(huma.Context)
	if !ok {
		return nil, nil, false
	}
	r, w := humago.Unwrap(hc)
	return r, w, true
}
