package cli

import (
	"bufio"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"segbridge/internal/demodata"
	"segbridge/internal/profile"
)

func newDemoDataCmd(g *globals) *cobra.Command {
	var n int
	var seed int64
	var out, format string
	cmd := &cobra.Command{
		Use:   "demo-data",
		Short: "Write realistic, deterministic sample profiles to a file",
		Long: `Write sample unified profiles (ids, names, e-mails — a few invalid, duplicated
or mixed-case on purpose —, address, city, state, postal code, country and ISO
code, phone, e-mail consent with its date, orders, lifetime value, last order
date). The same --seed always gives the same file.`,
		Example: `  segbridge demo-data --profiles 10000 --seed 1 --out profiles.csv
  segbridge import profiles profiles.csv --id id`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if n < 0 || n > demodata.MaxProfiles {
				return fmt.Errorf("--profiles %d: want 0 to %d profiles", n, demodata.MaxProfiles)
			}
			opts := demodata.Options{Profiles: n, Seed: seed, Format: profile.FormatFromPath(out)}
			if format != "" {
				f, err := profile.ParseFormat(format)
				if err != nil {
					return fmt.Errorf("--format: %w", err)
				}
				opts.Format = f
			}
			if out == "" {
				return errors.New("--out is required (use - for standard output)")
			}
			if out == "-" {
				w := bufio.NewWriter(g.out)
				if err := demodata.Generate(w, opts); err != nil {
					return err
				}
				return w.Flush()
			}
			return writeDemoFile(g, out, opts)
		},
	}
	cmd.Flags().IntVar(&n, "profiles", 1000, "number of profiles")
	cmd.Flags().Int64Var(&seed, "seed", 1, "random seed; the same seed gives the same profiles")
	cmd.Flags().StringVar(&out, "out", "", "file to write (- for standard output); .jsonl/.ndjson writes JSON Lines")
	cmd.Flags().StringVar(&format, "format", "", "csv or jsonl (default: from the --out extension)")
	return cmd
}

func writeDemoFile(g *globals, path string, opts demodata.Options) error {
	fh, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, errors.Unwrap(err))
	}
	w := bufio.NewWriterSize(fh, 1<<20)
	if err := demodata.Generate(w, opts); err != nil {
		fh.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		fh.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := fh.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	fmt.Fprintf(g.out, "wrote %d profiles to %s\n", opts.Profiles, path)
	return nil
}
