package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"segbridge/internal/app"
	"segbridge/internal/demo"
	"segbridge/internal/demodata"
	"segbridge/internal/run"
)

func newDemoCmd(g *globals) *cobra.Command {
	var opts demo.Options
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Try segbridge end to end: sample profiles, segments, a local Omnisend, two export runs",
		Long: `Show segbridge's main job on sample data, with nothing to install:

  1. generate sample profiles and import them
  2. define three segments and refresh them
  3. start a local Omnisend sandbox in this process (60x time scale)
  4. create a connection to it and an export of two segments
  5. run the export: every member is sent
  6. rename 1% of the members and move 1% out of the segments
  7. run again: only the changed contacts are sent, and the leavers untagged

and print both summaries.

The demo works in a data directory of its own: a fresh temporary one (kept
afterwards, for a look around; the closing hints name it), so your data is
never touched. SEGBRIDGE_DATA_DIR and SEGBRIDGE_DATABASE_URL, which name your
data, are ignored. Given --data-dir or --db explicitly, it uses that store,
and refuses one that already holds profiles, segments or exports.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Profiles < 1 || opts.Profiles > demodata.MaxProfiles {
				return fmt.Errorf("--profiles %d: want 1 to %d profiles", opts.Profiles, demodata.MaxProfiles)
			}
			cfg, command, err := g.demoConfig()
			if err != nil {
				return err
			}
			userCfg, err := g.config()
			if err != nil {
				return err
			}
			a, err := app.Open(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer a.Close()
			opts.Out, opts.Command = g.out, command
			opts.Execute = func(ctx context.Context, r run.Run) (run.Run, error) { return g.watchRun(ctx, a, r) }
			if err := demo.Run(cmd.Context(), a, opts); err != nil {
				return err
			}
			if g.dataDir == "" && g.dbURL == "" {
				fmt.Fprintf(g.out, "(your own data, in %s, was not touched)\n", userStore(userCfg.WithDefaults()))
			}
			return nil
		},
	}
	cmd.Flags().IntVar(&opts.Profiles, "profiles", 10_000, "sample profiles to generate")
	cmd.Flags().Int64Var(&opts.Seed, "seed", 1, "sample data seed")
	return cmd
}

// userStore names the store the user's other commands use.
func userStore(cfg app.Config) string {
	def := (app.Config{DataDir: cfg.DataDir}).WithDefaults().DatabaseURL
	switch {
	case cfg.DatabaseURL == def:
		return cfg.DataDir
	case strings.HasPrefix(cfg.DatabaseURL, "sqlite:"):
		return strings.TrimPrefix(strings.TrimPrefix(cfg.DatabaseURL, "sqlite://"), "sqlite:")
	}
	return "the database SEGBRIDGE_DATABASE_URL names"
}

// demoConfig is the demo's configuration: the store only --db or
// --data-dir name explicitly (never the environment's, which is the
// user's), else SQLite in a fresh temporary directory. command is how
// later commands reach that store.
func (g *globals) demoConfig() (cfg app.Config, command string, err error) {
	cfg, err = g.config()
	if err != nil {
		return cfg, "", err
	}
	cfg.DatabaseURL, cfg.DataDir, command = g.dbURL, g.dataDir, "segbridge"
	if g.dataDir == "" {
		if cfg.DataDir, err = os.MkdirTemp("", "segbridge-demo-"); err != nil {
			return cfg, "", fmt.Errorf("cannot create a data directory for the demo: %w", errors.Unwrap(err))
		}
	}
	switch {
	case g.dbURL != "":
		command = "segbridge --db URL"
	default:
		command = "segbridge --data-dir " + cfg.DataDir
	}
	return cfg, command, nil
}
