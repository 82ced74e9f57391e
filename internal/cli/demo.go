package cli

import (
	"github.com/spf13/cobra"

	"segbridge/internal/app"
)

func newDemoCmd(g *globals) *cobra.Command {
	var opts app.DemoOptions
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Try segbridge on sample data: import profiles, define and refresh segments",
		Long: `Generate sample profiles, import them into the database (SQLite in --data-dir
unless --db says otherwise), define three segments, refresh them and print
their member counts. Nothing needs to be installed. Running it again shows
that a re-import changes nothing.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := g.open(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			opts.Out = g.out
			return a.Demo(cmd.Context(), opts)
		},
	}
	cmd.Flags().IntVar(&opts.Profiles, "profiles", 10_000, "sample profiles to generate")
	cmd.Flags().Int64Var(&opts.Seed, "seed", 1, "sample data seed")
	return cmd
}
