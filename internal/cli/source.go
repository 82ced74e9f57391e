package cli

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"segbridge/internal/app"
	"segbridge/internal/omnisend"
	"segbridge/internal/profile"
	"segbridge/internal/service"
	"segbridge/internal/source"
)

func newSourceCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "source",
		Aliases: []string{"sources"},
		Short:   "Manage where profiles come from: files, URLs, PostgreSQL and MySQL (admin)",
		Long: `A source is where profiles come from. Every system refresh (segbridge refresh,
or the schedule) reads every source, unifies their rows into one profile per
person, re-evaluates the segments and only then runs the exports.

Kinds:
  file      a CSV or JSON Lines file, as "import profiles" reads it; a glob
            (--path '/data/loyalty-*.csv') reads the newest match
  url       an HTTP(S) GET of CSV or JSON Lines; an optional secret header
            (--header, --secret-file/--secret-env); ETag and Last-Modified are
            kept so an unchanged file is not read again
  postgres  a query on PostgreSQL; --dsn-file or --dsn-env gives the DSN,
            postgres://USER:PASSWORD@HOST:PORT/DATABASE
  mysql     a query on MySQL or MariaDB; the DSN is
            USER:PASSWORD@tcp(HOST:PORT)/DATABASE

The query's columns become attributes. Queries run in a read-only
transaction and are streamed. With --cursor COLUMN only the rows whose
cursor is past the last value seen are read (such a source never removes
profiles).

Every source names its id column (--id) and, optionally, its e-mail column
(--email). Rows are unified by the normalised e-mail (trimmed, lower-cased)
or, without one or with --match id, by the id. Conflicting attributes go to
the source with the higher --priority.

A source that returns all its rows (no cursor) removes the profiles it no
longer returns, guarded: when it returns no rows or fewer than half of last
time's, nothing is removed and the refresh is held until an admin releases
or discards it (segbridge refresh release|discard).

Secrets (DSNs, header values) are stored encrypted under the master key and
never shown again.`,
	}
	cmd.AddCommand(newSourceCreateCmd(g), newSourceListCmd(g), newSourceShowCmd(g), newSourceUpdateCmd(g),
		newSourceRemoveCmd(g), newSourceTestCmd(g), newSourceRunCmd(g))
	return cmd
}

// sourceFlags are the settings flags of `source create` and `source update`.
type sourceFlags struct {
	kind, path, url, header, format, query, cursor string
	id, email, match, schedule                     string
	types                                          []string
	priority                                       int
	optional                                       bool
	dsnFile, dsnEnv, secretFile, secretEnv         string
	noSecret                                       bool
}

func (f *sourceFlags) add(cmd *cobra.Command, create bool) {
	fl := cmd.Flags()
	if create {
		fl.StringVar(&f.kind, "kind", "", "file, url, postgres or mysql (required)")
	}
	fl.StringVar(&f.path, "path", "", "file: the CSV or JSON Lines file, or a glob whose newest match is read")
	fl.StringVar(&f.url, "url", "", "url: the http(s) address of a CSV or JSON Lines file")
	fl.StringVar(&f.header, "header", "", "url: the header that carries the secret (default Authorization)")
	fl.StringVar(&f.format, "format", "", "file, url: csv or jsonl (default: from the file name)")
	fl.StringVar(&f.query, "query", "", "postgres, mysql: the SQL query whose columns become attributes")
	fl.StringVar(&f.cursor, "cursor", "", "postgres, mysql: a column (such as updated_at) past whose last value the next read starts")
	fl.StringVar(&f.id, "id", "", "the column that holds each row's id (required)")
	fl.StringVar(&f.email, "email", "", "the column that holds each row's e-mail address")
	fl.StringVar(&f.match, "match", "", "how rows become profiles: email (by the normalised e-mail, else the id; the default) or id")
	fl.StringArrayVar(&f.types, "type", nil, "pin an attribute's type, NAME=TYPE (string, integer, decimal, boolean, date, timestamp); repeatable")
	fl.IntVar(&f.priority, "priority", 0, "conflicting attributes go to the source with the higher priority")
	fl.BoolVar(&f.optional, "optional", false, "a failure of this source does not stop the refresh")
	fl.StringVar(&f.schedule, "schedule", "", `the source's own cron, "MIN HOUR DOM MON DOW" (default: read with every refresh only)`)
	fl.StringVar(&f.dsnFile, "dsn-file", "", "postgres, mysql: read the DSN from this file (stored encrypted)")
	fl.StringVar(&f.dsnEnv, "dsn-env", "", "postgres, mysql: read the DSN from this environment variable (stored encrypted)")
	fl.StringVar(&f.secretFile, "secret-file", "", "url: read the header's value from this file (stored encrypted)")
	fl.StringVar(&f.secretEnv, "secret-env", "", "url: read the header's value from this environment variable (stored encrypted)")
	if !create {
		fl.BoolVar(&f.noSecret, "no-secret", false, "url: remove the stored secret")
	}
	cmd.MarkFlagsMutuallyExclusive("dsn-file", "dsn-env", "secret-file", "secret-env")
}

// secret reads the one secret flag given ("" for none). Errors never show it.
func (f *sourceFlags) secret(g *globals) (omnisend.Secret, error) {
	read := func(flag, file, env string) (omnisend.Secret, error) {
		if env != "" {
			v := g.getenv(env)
			if strings.TrimSpace(v) == "" {
				return omnisend.Secret{}, fmt.Errorf("%s: environment variable %s is empty or not set", flag, env)
			}
			return omnisend.NewSecret(strings.TrimSpace(v)), nil
		}
		fh, err := os.Open(file)
		if err != nil {
			return omnisend.Secret{}, fmt.Errorf("%s: cannot open %s", flag, file)
		}
		defer fh.Close()
		k, err := readKeyFrom(fh, flag+" "+file)
		if err != nil {
			return omnisend.Secret{}, fmt.Errorf("%s %s: no secret in it, or more than %d bytes", flag, file, maxKeyBytes)
		}
		return omnisend.NewSecret(k), nil
	}
	switch {
	case f.dsnFile != "":
		return read("--dsn-file", f.dsnFile, "")
	case f.dsnEnv != "":
		return read("--dsn-env", "", f.dsnEnv)
	case f.secretFile != "":
		return read("--secret-file", f.secretFile, "")
	case f.secretEnv != "":
		return read("--secret-env", "", f.secretEnv)
	}
	return omnisend.Secret{}, nil
}

func (f *sourceFlags) parseTypes() (map[string]profile.Type, error) {
	if len(f.types) == 0 {
		return nil, nil
	}
	out := map[string]profile.Type{}
	for _, t := range f.types {
		name, typ, err := profile.ParsePin(t)
		if err != nil {
			return nil, fmt.Errorf("--type %q: %w", t, err)
		}
		out[name] = typ
	}
	return out, nil
}

func (f *sourceFlags) source(name string) (source.Source, error) {
	kind, err := source.ParseKind(f.kind)
	if err != nil {
		return source.Source{}, fmt.Errorf("--kind: %w", err)
	}
	match, err := source.ParseMatch(f.match)
	if err != nil {
		return source.Source{}, fmt.Errorf("--match: %w", err)
	}
	types, err := f.parseTypes()
	if err != nil {
		return source.Source{}, err
	}
	var format profile.Format
	if f.format != "" {
		if format, err = profile.ParseFormat(f.format); err != nil {
			return source.Source{}, fmt.Errorf("--format: %w", err)
		}
	}
	return source.Source{Name: name, Kind: kind, Path: f.path, URL: f.url, Header: f.header, Format: format,
		Query: f.query, Cursor: f.cursor, IDColumn: f.id, EmailColumn: f.email, Types: types, Match: match,
		Priority: f.priority, Optional: f.optional, Schedule: f.schedule}, nil
}

func newSourceCreateCmd(g *globals) *cobra.Command {
	f := &sourceFlags{}
	cmd := &cobra.Command{
		Use:   "create NAME --kind KIND --id COLUMN [settings]",
		Short: "Add a source (it is read at the next refresh, or with: source run)",
		Example: `  segbridge source create loyalty --kind file --path '/data/loyalty-*.csv' --id loyalty_id --email Email
  segbridge source create crm --kind postgres --dsn-file ~/crm.dsn \
      --query 'SELECT id, email, first_name, city, updated_at FROM customers' \
      --id id --email email --cursor updated_at --priority 10
  segbridge source create shop --kind mysql --dsn-env SHOP_DSN --query 'SELECT * FROM buyers' --id id --email mail
  segbridge source create feed --kind url --url https://example.com/feed.jsonl --secret-env FEED_TOKEN --id id`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			src, err := f.source(args[0])
			if err != nil {
				return err
			}
			sec, err := f.secret(g)
			if err != nil {
				return err
			}
			return g.withApp(cmd.Context(), func(a *app.App) error {
				created, err := a.Services.Sources.Create(cmd.Context(), g.actor, service.SourceInput{Source: src, Secret: sec})
				if err != nil {
					return err
				}
				fmt.Fprintf(g.out, "created %s source %q reading %s\ntry it with: segbridge source test %q\n",
					created.Kind, created.Name, created.Where(), created.Name)
				return nil
			})
		},
	}
	f.add(cmd, true)
	_ = cmd.MarkFlagRequired("kind")
	return cmd
}

func newSourceUpdateCmd(g *globals) *cobra.Command {
	f := &sourceFlags{}
	var rename string
	cmd := &cobra.Command{
		Use:     "update NAME [settings]",
		Short:   "Change a source's settings or secret (only the flags given change)",
		Example: `  segbridge source update crm --priority 20 --dsn-file ~/crm-new.dsn`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ch, err := f.change(cmd, rename)
			if err != nil {
				return err
			}
			if ch.Secret, err = f.secret(g); err != nil {
				return err
			}
			return g.withApp(cmd.Context(), func(a *app.App) error {
				up, err := a.Services.Sources.Update(cmd.Context(), g.actor, args[0], ch)
				if err != nil {
					return err
				}
				fmt.Fprintf(g.out, "updated source %q\n", up.Name)
				return nil
			})
		},
	}
	f.add(cmd, false)
	cmd.Flags().StringVar(&rename, "name", "", "rename the source")
	return cmd
}

// change turns the flags given into a SourceChange.
func (f *sourceFlags) change(cmd *cobra.Command, rename string) (service.SourceChange, error) {
	var ch service.SourceChange
	set := func(flag string, dst **string, v string) {
		if cmd.Flags().Changed(flag) {
			*dst = &v
		}
	}
	set("name", &ch.Name, rename)
	set("path", &ch.Path, f.path)
	set("url", &ch.URL, f.url)
	set("header", &ch.Header, f.header)
	set("query", &ch.Query, f.query)
	set("cursor", &ch.Cursor, f.cursor)
	set("id", &ch.IDColumn, f.id)
	set("email", &ch.EmailColumn, f.email)
	set("schedule", &ch.Schedule, f.schedule)
	if cmd.Flags().Changed("format") {
		format, err := profile.ParseFormat(f.format)
		if err != nil {
			return ch, fmt.Errorf("--format: %w", err)
		}
		ch.Format = &format
	}
	if cmd.Flags().Changed("match") {
		m, err := source.ParseMatch(f.match)
		if err != nil {
			return ch, fmt.Errorf("--match: %w", err)
		}
		ch.Match = &m
	}
	if cmd.Flags().Changed("priority") {
		ch.Priority = &f.priority
	}
	if cmd.Flags().Changed("optional") {
		ch.Optional = &f.optional
	}
	types, err := f.parseTypes()
	if err != nil {
		return ch, err
	}
	ch.Types, ch.ClearSecret = types, f.noSecret
	return ch, nil
}

func newSourceRemoveCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "remove NAME",
		Short: "Remove a source and its rows (profiles made only of them go at the next refresh)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withApp(cmd.Context(), func(a *app.App) error {
				src, err := a.Services.Sources.Remove(cmd.Context(), g.actor, args[0])
				if err != nil {
					return err
				}
				fmt.Fprintf(g.out, "removed source %q; the profiles made only of its rows go at the next refresh\n", src.Name)
				return nil
			})
		},
	}
}

func newSourceTestCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "test NAME",
		Short: "Read a source's first rows without storing anything",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withApp(cmd.Context(), func(a *app.App) error {
				res, err := a.Services.Sources.Test(cmd.Context(), g.actor, args[0])
				if err != nil {
					return err
				}
				if res.Problem != "" {
					return fmt.Errorf("%s", res.Problem)
				}
				fmt.Fprintf(g.out, "source %q answers: %d rows read", res.Source.Name, len(res.Rows))
				if res.Read.Unchanged {
					fmt.Fprint(g.out, " (not modified)")
				}
				fmt.Fprintln(g.out)
				for _, r := range res.Rows {
					fmt.Fprintf(g.out, "  id %s  key %s  %s\n", r.ID, source.Key(res.Source.Match, r.ID, r.Email), attrsLine(r.Attrs))
				}
				for _, p := range res.Read.Problems {
					fmt.Fprintf(g.out, "  rejected: %s\n", p)
				}
				return nil
			})
		},
	}
}

func attrsLine(a profile.Attrs) string {
	b, err := profile.EncodeAttrs(a)
	if err != nil {
		return ""
	}
	return string(b)
}

func newSourceRunCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "run NAME",
		Short: "Read one source now and unify its rows into the profiles",
		Long: `run reads one source now and unifies its rows into the profiles. The
segments and exports follow at their next refresh or run (segbridge refresh
does all of it).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withApp(cmd.Context(), func(a *app.App) error {
				res, err := a.Services.Sources.Run(cmd.Context(), g.actor, args[0])
				if err != nil {
					return err
				}
				rep := res.Report
				fmt.Fprintf(g.out, "source %q: %s\n", rep.Source.Name, rep.Source.State.Message)
				if rep.Held == nil && !rep.Read.Unchanged {
					u := res.Unify
					fmt.Fprintf(g.out, "profiles: %d new, %d updated, %d unchanged, %d removed\n", u.Inserted, u.Updated, u.Unchanged, u.Removed)
				}
				return nil
			})
		},
	}
}
