package cli

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/spf13/cobra"

	"segbridge/internal/api"
	"segbridge/internal/app"
	"segbridge/internal/httpauth"
	"segbridge/internal/jobs"
	"segbridge/internal/server"
)

// serveFlags are the flags of `segbridge serve`.
type serveFlags struct {
	addr           string
	workers        int
	worker         workerFlags
	trustedProxies []string
	maxUpload      string

	// Set by validate.
	proxies        httpauth.TrustedProxies
	maxUploadBytes int64
}

// validate checks the flags, names the one that is wrong, and parses
// the trusted proxies and the upload cap.
func (f *serveFlags) validate() error {
	if _, _, err := net.SplitHostPort(f.addr); err != nil {
		return fmt.Errorf("--addr %q: want HOST:PORT, such as 127.0.0.1:8080 or :8080 (all interfaces)", f.addr)
	}
	if f.workers < 0 || f.workers > 100 {
		return fmt.Errorf("--workers %d: want 0 (no workers in this process) to 100", f.workers)
	}
	p, err := httpauth.ParseTrustedProxies(f.trustedProxies)
	if err != nil {
		return fmt.Errorf("--trusted-proxy: %w", err)
	}
	f.proxies = p
	n, err := parseSize(f.maxUpload)
	if err != nil {
		return fmt.Errorf("--max-upload: %w", err)
	}
	if n < api.MinMaxUploadBytes {
		return fmt.Errorf("--max-upload %s: want at least %s", f.maxUpload, formatSize(api.MinMaxUploadBytes))
	}
	f.maxUploadBytes = n
	w := f.worker
	w.concurrency = max(f.workers, 1)
	return w.validate()
}

func newServeCmd(g *globals) *cobra.Command {
	f := serveFlags{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the web UI and the HTTP API, and work background jobs",
		Long: `Serve segbridge until interrupted (SIGINT or SIGTERM):

  - the web UI at / and the HTTP API at /api/v1 (OpenAPI document at
    /api/v1/openapi.json; authenticate with a session or an API token);
  - /healthz (the process is up), /readyz (the database answers) and
    /metrics (Prometheus);
  - with --workers N > 0, the background jobs as "segbridge worker" works
    them: export runs, the system refresh on its stored schedule
    (segbridge system refresh-schedule; until one is stored,
    --refresh-schedule), cron exports. --workers 0 leaves them to separate "segbridge worker"
    processes (PostgreSQL).

On the first start with no users, an admin is created: SEGBRIDGE_ADMIN_EMAIL
(default admin@localhost) with SEGBRIDGE_ADMIN_PASSWORD, or with a generated
one-time password that is printed once. Add more with "segbridge user add".

It listens on 127.0.0.1:8080 by default (this machine only), and checks that
it can before it creates the first admin. To serve other machines, put it
behind a TLS-terminating proxy and pass --addr :8080; session cookies are
marked Secure for any host but localhost. Name the proxy with
--trusted-proxy: only then are its X-Forwarded-For (the client address that
sign-in attempts are limited by) and X-Forwarded-Proto (HTTPS: the
__Host-segbridge_session cookie and HSTS) believed. Without it every client
is the proxy's address.

Profile uploads (POST /api/v1/profiles/import) stream into the database, at
most --max-upload each and two at a time.

On interrupt it stops accepting connections, lets in-flight requests finish,
and stops running exports at their next checkpoint (they continue later).`,
		Example: `  segbridge serve
  SEGBRIDGE_ADMIN_EMAIL=me@example.com SEGBRIDGE_ADMIN_PASSWORD=... segbridge serve --addr :8080
  segbridge serve --db postgres://segbridge@db/segbridge --workers 4 --refresh-schedule "30 1 * * *" --time-zone Europe/Prague
  segbridge serve --addr :8080 --trusted-proxy 10.0.0.0/8 --max-upload 1GiB`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := f.validate(); err != nil {
				return err
			}
			if _, err := g.limitMemory(0); err != nil {
				return err
			}
			if !cmd.Root().PersistentFlags().Changed("log-level") {
				g.logLevel = "info" // a server says what it does
			}
			cfg, err := g.config()
			if err != nil {
				return err
			}
			f.worker.concurrency = max(f.workers, 1)
			cfg.Worker = f.worker.config()
			if cfg.Notifications.PublicURL, err = g.publicURL(f.worker.publicURL); err != nil {
				return err
			}
			a, err := app.Open(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer a.Close()
			return runServe(cmd.Context(), g, a, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.addr, "addr", server.DefaultAddr, "listen address HOST:PORT (:8080 listens on every interface)")
	fl.IntVar(&f.workers, "workers", jobs.DefaultConcurrency, "jobs worked at once in this process (0: none; leave them to segbridge worker)")
	fl.StringSliceVar(&f.trustedProxies, "trusted-proxy", nil,
		"network (CIDR) or address of a reverse proxy whose X-Forwarded-For and X-Forwarded-Proto are believed; repeat or comma-separate (default: none)")
	fl.StringVar(&f.maxUpload, "max-upload", formatSize(api.DefaultMaxUploadBytes), "largest profile upload accepted, such as 256MiB or 1GiB")
	f.worker.register(fl)
	return cmd
}

// runServe listens, bootstraps the first admin, then serves until ctx
// ends. It listens first: an address in use must not leave behind an
// admin whose one-time password went to a process that then exited.
func runServe(ctx context.Context, g *globals, a *app.App, f serveFlags) error {
	srv, err := server.New(server.Config{App: a, Addr: f.addr, Workers: f.workers > 0,
		TrustedProxies: f.proxies, MaxUploadBytes: f.maxUploadBytes})
	if err != nil {
		return err
	}
	addr, err := srv.Listen()
	if err != nil {
		return err
	}
	if err := bootstrapAdmin(ctx, g, a); err != nil {
		return errors.Join(err, srv.Close())
	}
	fmt.Fprintf(g.errOut, "segbridge serve: http://%s/ on %s (Ctrl-C to stop)\n", addr, a.Store.Engine())
	stopNotify := a.Notify.Start(ctx) // deliver notifications
	defer stopNotify()
	if err := srv.Run(ctx); err != nil {
		return err
	}
	fmt.Fprintln(g.errOut, "segbridge serve: stopped")
	return nil
}

// bootstrapAdmin creates the first admin when there are no users, and
// prints a generated password once.
func bootstrapAdmin(ctx context.Context, g *globals, a *app.App) error {
	u, generated, err := a.Users.Bootstrap(ctx, g.getenv("SEGBRIDGE_ADMIN_EMAIL"), g.getenv("SEGBRIDGE_ADMIN_PASSWORD"))
	if err != nil {
		return fmt.Errorf("create the first admin: %w", err)
	}
	switch {
	case u.ID == 0:
	case generated != "":
		fmt.Fprintf(g.errOut, "segbridge serve: created the first admin %s with the one-time password\n\n    %s\n\n"+
			"Sign in and change it (segbridge user set-password %s); it is not shown again.\n", u.Email, generated, u.Email)
	default:
		fmt.Fprintf(g.errOut, "segbridge serve: created the first admin %s (password from SEGBRIDGE_ADMIN_PASSWORD)\n", u.Email)
	}
	return nil
}
