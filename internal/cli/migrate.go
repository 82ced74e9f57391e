package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"segbridge/internal/app"
)

func newMigrateCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Create or upgrade the database schema",
		Long: `Apply the embedded schema migrations that the database does not have yet.
Every other command also migrates on start, so this is only needed to prepare
a database ahead of time (for example before starting several workers).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withApp(cmd.Context(), func(a *app.App) error {
				fmt.Fprintf(g.out, "database up to date (%s)\n", a.Store.Engine())
				return nil
			})
		},
	}
}
