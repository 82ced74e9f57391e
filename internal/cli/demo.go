package cli

import (
	"context"

	"github.com/spf13/cobra"

	"segbridge/internal/app"
	"segbridge/internal/run"
)

func newDemoCmd(g *globals) *cobra.Command {
	var opts app.DemoOptions
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Try segbridge end to end: sample profiles, segments, a local Omnisend, two export runs",
		Long: `Show segbridge's main job on sample data, with nothing to install:

  1. generate sample profiles and import them (SQLite in --data-dir unless
     --db says otherwise)
  2. define three segments and refresh them
  3. start a local Omnisend sandbox in this process (60x time scale)
  4. create a connection to it and an export of two segments
  5. run the export: every member is sent
  6. rename 1% of the members and move 1% out of the segments
  7. run again: only the changed contacts are sent, and the leavers untagged

and print both summaries. Running it again starts the demo export over
against a fresh sandbox.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withApp(cmd.Context(), func(a *app.App) error {
				opts.Out = g.out
				opts.Execute = func(ctx context.Context, r run.Run) (run.Run, error) { return g.watchRun(ctx, a, r) }
				return a.Demo(cmd.Context(), opts)
			})
		},
	}
	cmd.Flags().IntVar(&opts.Profiles, "profiles", 10_000, "sample profiles to generate")
	cmd.Flags().Int64Var(&opts.Seed, "seed", 1, "sample data seed")
	return cmd
}
