// Package server is segbridge's HTTP server: the API under /api/v1, the
// web UI under /, /healthz, /readyz and /metrics, behind the
// authentication and cross-origin middleware, with a graceful shutdown
// that lets in-flight requests finish and running export batches reach a
// checkpoint.
package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"segbridge/internal/api"
	"segbridge/internal/app"
	"segbridge/internal/httpauth"
	"segbridge/internal/jobs"
	"segbridge/internal/segment"
	"segbridge/internal/web"
)

// DefaultAddr is where serve listens unless told otherwise: loopback only.
const DefaultAddr = "127.0.0.1:8080"

// Config configures a Server.
type Config struct {
	// App is the open application. Required.
	App *app.App
	// Addr is the listen address (default 127.0.0.1:8080).
	Addr string
	// Registry is what /metrics serves (default: the App's metrics
	// registry: segbridge's collectors, Go's and the process's).
	Registry *prometheus.Registry
	// Workers makes Run also work background jobs (export runs, the
	// scheduled refresh) in this process, stopping them at shutdown.
	Workers bool
	// ShutdownTimeout bounds how long in-flight requests, then running
	// jobs, get to finish at shutdown (default 30 s each).
	ShutdownTimeout time.Duration
	// Logger receives request and lifecycle logs (default: App.Logger).
	Logger *slog.Logger
	// Now is the clock (default: App.Now).
	Now func() time.Time
	// TrustedProxies are the reverse proxies whose X-Forwarded-For and
	// X-Forwarded-Proto are believed (default: none). They decide the
	// client address that login attempts are limited by, and whether the
	// client connected over HTTPS (the __Host- session cookie, HSTS).
	TrustedProxies httpauth.TrustedProxies
	// MaxUploadBytes bounds a profile import upload (default
	// api.DefaultMaxUploadBytes, 256 MiB).
	MaxUploadBytes int64
	// MaxUploads is how many uploads are imported at once (default
	// api.DefaultMaxUploads).
	MaxUploads int
	// Previews bounds rule previews, for the API and the web UI together
	// (default: segment.PreviewConfig's defaults).
	Previews segment.PreviewConfig
}

// WithDefaults returns c with unset fields at their defaults.
func (c Config) WithDefaults() Config {
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if c.Registry == nil && c.App != nil && c.App.Metrics != nil {
		c.Registry = c.App.Metrics.Registry
	}
	if c.Registry == nil {
		c.Registry = prometheus.NewRegistry()
		c.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = 30 * time.Second
	}
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
		c.MaxUploadBytes = api.DefaultMaxUploadBytes
	}
	if c.MaxUploads == 0 {
		c.MaxUploads = api.DefaultMaxUploads
	}
	c.Previews = c.Previews.WithDefaults()
	return c
}

// Validate reports the first invalid field, by name.
func (c Config) Validate() error {
	if c.App == nil {
		return errors.New("server: Config.App is required")
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("server: Config.Addr %q: want HOST:PORT such as 127.0.0.1:8080", c.Addr)
	}
	if err := c.Previews.Validate(); err != nil {
		return err
	}
	return nil
}

// Server serves segbridge over HTTP.
type Server struct {
	cfg     Config
	log     *slog.Logger
	handler http.Handler
	ln      net.Listener
}

// New builds the server's handler; Run listens and serves.
func New(cfg Config) (*Server, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: cfg.Logger.With(slog.String("component", "http"))}
	previews, err := segment.NewPreviewer(cfg.Previews)
	if err != nil {
		return nil, err
	}
	uploads := make(chan struct{}, cfg.MaxUploads) // shared: the limit is the server's
	apiHandler, _, err := api.New(api.Config{App: cfg.App, Logger: cfg.Logger, Now: cfg.Now,
		MaxUploadBytes: cfg.MaxUploadBytes, Uploads: uploads, Previews: previews})
	if err != nil {
		return nil, err
	}
	webHandler, err := web.New(web.Config{App: cfg.App, Logger: cfg.Logger, Now: cfg.Now, Previews: previews,
		MaxUploadBytes: cfg.MaxUploadBytes, Uploads: uploads})
	if err != nil {
		return nil, err
	}
	authn := httpauth.LoggedMiddleware(cfg.App.Users, cfg.Logger)
	protect := func(h http.Handler) http.Handler { return httpauth.CrossOrigin(authn(h)) }
	mux := http.NewServeMux()
	mux.Handle(api.Prefix+"/", protect(apiHandler))
	mux.Handle("/", protect(webHandler))
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.Handle("GET /metrics", promhttp.HandlerFor(cfg.Registry, promhttp.HandlerOpts{ErrorLog: slogErrorLog{s.log}}))
	s.handler = httpauth.ClientInfo(cfg.TrustedProxies)(s.logRequests(securityHeaders(mux)))
	return s, nil
}

// securityHeaders marks every response nosniff and, when the client
// connected over HTTPS (directly or through a trusted proxy), tells the
// browser to use HTTPS only from now on (HSTS, a year). Plain HTTP never
// gets HSTS: a local http://localhost install must keep working.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		if httpauth.IsTLS(r) {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

// Handler is everything the server serves (for tests that bring their own
// listener).
func (s *Server) Handler() http.Handler { return s.handler }

// Listen opens the listening socket (Run calls it if needed) and returns
// its address, so a caller that asked for port 0 learns the port.
func (s *Server) Listen() (net.Addr, error) {
	if s.ln != nil {
		return s.ln.Addr(), nil
	}
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return nil, listenError(s.cfg.Addr, err)
	}
	s.ln = ln
	return ln.Addr(), nil
}

// Close closes the listening socket Listen opened, for a caller that
// gives up before Run (Run closes it itself).
func (s *Server) Close() error {
	if s.ln == nil {
		return nil
	}
	err := s.ln.Close()
	s.ln = nil
	return err
}

// Run serves until ctx ends, then shuts down gracefully: it stops
// accepting connections, lets in-flight requests finish (up to
// ShutdownTimeout), then stops the workers, whose running exports stop at
// their next checkpoint (a batch in flight is confirmed or resent later).
func (s *Server) Run(ctx context.Context) error {
	addr, err := s.Listen()
	if err != nil {
		return err
	}
	if s.cfg.Workers {
		if err := s.cfg.App.Jobs.Start(ctx, jobs.StartOptions{Periodic: true}); err != nil {
			s.ln.Close()
			return err
		}
	}
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(s.ln) }()
	s.log.Info("serving", "addr", addr.String(), "workers", s.cfg.Workers)
	select {
	case err = <-served:
	case <-ctx.Done():
	}
	s.log.Info("shutting down: finishing in-flight requests", "timeout", s.cfg.ShutdownTimeout)
	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownTimeout)
	defer cancel()
	serr := srv.Shutdown(shutCtx)
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	jerr := s.stopWorkers(ctx)
	return errors.Join(err, serr, jerr)
}

// stopWorkers stops the jobs this server started.
func (s *Server) stopWorkers(ctx context.Context) error {
	if !s.cfg.Workers {
		return nil
	}
	s.log.Info("stopping workers: running exports stop at their next checkpoint", "timeout", s.cfg.ShutdownTimeout)
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownTimeout)
	defer cancel()
	return s.cfg.App.Jobs.Stop(stopCtx)
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, "ok\n")
}

// readyz answers 200 when the store answers a cheap query within 2 s.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if _, err := s.cfg.App.Store.ListRefreshes(ctx, 1); err != nil {
		s.log.WarnContext(ctx, "not ready: the store does not answer", "engine", s.cfg.App.Store.Engine(), "error", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = fmt.Fprintf(w, "not ready: the %s store does not answer\n", s.cfg.App.Store.Engine())
		return
	}
	_, _ = io.WriteString(w, "ok\n")
}

// slogErrorLog adapts slog to promhttp's error log.
type slogErrorLog struct{ log *slog.Logger }

func (l slogErrorLog) Println(v ...any) { l.log.Error(fmt.Sprint(v...)) }

// listenError says in plain words why addr cannot be listened on.
func listenError(addr string, err error) error {
	var errno syscall.Errno
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return fmt.Errorf("cannot listen on %s: the address is already in use (another segbridge serve, or another program, "+
			"listens there; stop it or choose another --addr)", addr)
	case errors.Is(err, syscall.EACCES):
		return fmt.Errorf("cannot listen on %s: permission denied (ports below 1024 need privileges; choose another --addr)", addr)
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return fmt.Errorf("cannot listen on %s: this machine has no such address (choose another --addr)", addr)
	case errors.As(err, &errno):
		return fmt.Errorf("cannot listen on %s: %s", addr, errno.Error())
	}
	return fmt.Errorf("cannot listen on %s: %w", addr, err)
}
