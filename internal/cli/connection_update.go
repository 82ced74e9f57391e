package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"segbridge/internal/app"
	"segbridge/internal/connection"
	"segbridge/internal/omnisend"
)

func newConnectionUpdateCmd(g *globals) *cobra.Command {
	f := &connectionFlags{}
	var name, exportUser string
	cmd := &cobra.Command{
		Use:   "update NAME [--name NEW] [--access WHO] [--export-user EMAIL] [--tagging HOW] [--dialect D] [--base-url URL] [--api-key-file FILE | --api-key-env VAR | --api-key-stdin]",
		Short: "Change a connection: name, access, export user, tagging, dialect, base URL or API key (admin)",
		Long: `update changes the settings given and keeps the others.

A new API key, dialect or base URL is checked against Omnisend before
anything is saved, as when the connection was created: the key (the new one,
or else the stored one) must work at the changed API and belong to the same
brand. A failed check changes nothing. The key is never a flag value: read
it from a file, an environment variable or standard input.`,
		Example: `  segbridge connection update "Main shop" --name Shop --access contributors
  segbridge connection update Shop --api-key-file ~/new-omnisend.key
  segbridge connection update Sandbox --dialect v3 --base-url http://127.0.0.1:8089`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			fl := cmd.Flags()
			var ch connection.Changes
			if fl.Changed("name") {
				ch.Name = &name
			}
			if fl.Changed("access") {
				a := connection.Access(f.access)
				ch.Access = &a
			}
			if fl.Changed("export-user") {
				ch.ExportUser = &exportUser
			}
			if fl.Changed("tagging") {
				tg := connection.Tagging(f.tagging)
				ch.Tagging = &tg
			}
			if fl.Changed("dialect") {
				d := omnisend.Dialect(f.dialect)
				ch.Dialect = &d
			}
			if fl.Changed("base-url") {
				ch.BaseURL = &f.baseURL
			}
			if f.keyFile != "" || f.keyEnv != "" || f.keyStdin {
				k, err := f.readKey(g)
				if err != nil {
					return err
				}
				key := omnisend.NewSecret(k)
				ch.APIKey = &key
			}
			return g.withApp(cmd.Context(), func(a *app.App) error {
				c, err := a.Services.Connections.Update(cmd.Context(), g.actor, args[0], ch)
				if err != nil {
					return err
				}
				fmt.Fprintf(g.out, "saved connection %q: brand %s, key …%s, %s, export user %s, dialect %s, base URL %s, tagging %s\n",
					c.Name, brandLabel(c), c.KeyLast4, accessText(c.Access), c.ExportUser, c.Dialect, c.BaseURL, c.Tagging)
				return nil
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&name, "name", "", "a new name")
	fl.StringVar(&f.access, "access", "", "who may build exports on it: admins or contributors")
	fl.StringVar(&exportUser, "export-user", "", "e-mail address of the admin scheduled exports run as")
	fl.StringVar(&f.tagging, "tagging", "", "how exports tag contacts: upsert or endpoints (2026-03-15 only)")
	fl.StringVar(&f.dialect, "dialect", "", "Omnisend API dialect: 2026-03-15 or v3 (the key is checked against it first)")
	fl.StringVar(&f.baseURL, "base-url", "", "Omnisend API root, such as "+omnisend.DefaultBaseURL+" (the key is checked there first)")
	fl.StringVar(&f.keyFile, "api-key-file", "", "read a new Omnisend API key (same brand) from this file")
	fl.StringVar(&f.keyEnv, "api-key-env", "", "read a new Omnisend API key (same brand) from this environment variable")
	fl.BoolVar(&f.keyStdin, "api-key-stdin", false, "read a new Omnisend API key (same brand) from standard input")
	cmd.MarkFlagsMutuallyExclusive("api-key-file", "api-key-env", "api-key-stdin")
	return cmd
}
