package cli

import (
	"encoding/csv"
	"fmt"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"segbridge/internal/app"

	"segbridge/internal/run"
)

func newExportRunsCmd(g *globals) *cobra.Command {
	var limit int
	cmd := &cobra.Command{
		Use:   "runs NAME",
		Short: "List an export's runs, newest first, with their counts",
		Args:  cobra.ExactArgs(1),
	}
	output := outputFlag(cmd)
	cmd.Flags().IntVar(&limit, "limit", 20, "runs to show (1-1000)")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if limit < 1 || limit > 1000 {
			return fmt.Errorf("--limit %d: want 1 to 1000", limit)
		}
		return g.withApp(cmd.Context(), func(a *app.App) error {
			ex, err := findExport(cmd, a, args[0])
			if err != nil {
				return err
			}
			runs, err := a.Store.ListRuns(cmd.Context(), ex.ID, limit)
			if err != nil {
				return err
			}
			if *output == "json" {
				return writeJSON(g.out, runs)
			}
			tw := tabwriter.NewWriter(g.out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "RUN\tTRIGGER\tSTATUS\tSTARTED\tDURATION\tADDED\tUPDATED\tUNCHANGED\tUNTAGGED\tSKIPPED\tFAILED\tREQUESTS\tMESSAGE")
			for _, r := range runs {
				c := r.Counts
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\n", r.ID, r.Trigger, r.Status,
					fmtTime(r.StartedAt), duration(r), c.Added, c.Updated, c.Unchanged, c.Untagged,
					c.SkippedTotal(), c.FailedTotal(), r.Requests, r.Message)
			}
			return tw.Flush()
		})
	}
	return cmd
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04:05")
}

func duration(r run.Run) string {
	if r.StartedAt.IsZero() || r.FinishedAt.IsZero() {
		return "-"
	}
	return r.FinishedAt.Sub(r.StartedAt).Round(time.Millisecond).String()
}

func newExportResultsCmd(g *globals) *cobra.Command {
	var status string
	cmd := &cobra.Command{
		Use:   "results RUN",
		Short: "List a run's per-contact results (what was sent, skipped or failed, and why)",
		Long: `List a run's per-contact results: every contact the run upserted or untagged
and every member it skipped, with Omnisend's message for failures. Unchanged
contacts need nothing and are only counted (see: segbridge export runs NAME).`,
		Example: `  segbridge export results 12 --status failed --output csv > failed.csv`,
		Args:    cobra.ExactArgs(1),
	}
	var output string
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output format: text, json or csv")
	cmd.Flags().StringVar(&status, "status", "", "only results with this status: ok, failed, skipped or pending")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		id, err := strconv.ParseInt(args[0], 10, 64)
		if err != nil || id <= 0 {
			return fmt.Errorf("RUN %q: want a run number (see: segbridge export runs NAME)", args[0])
		}
		if output != "text" && output != "json" && output != "csv" {
			return fmt.Errorf("--output %q: want text, json or csv", output)
		}
		switch run.OpStatus(status) {
		case "", run.OpOK, run.OpFailed, run.OpSkipped, run.OpPending:
		default:
			return fmt.Errorf("--status %q: want ok, failed, skipped or pending", status)
		}
		return g.withApp(cmd.Context(), func(a *app.App) error {
			if _, err := a.Store.GetRun(cmd.Context(), id); err != nil {
				return fmt.Errorf("no run %d", id)
			}
			w := resultWriter(g, output)
			f := run.OpFilter{Status: run.OpStatus(status), Limit: 1000}
			for {
				ops, err := a.Store.ListOps(cmd.Context(), id, f)
				if err != nil {
					return err
				}
				for _, op := range ops {
					if err := w.write(op); err != nil {
						return err
					}
				}
				if len(ops) < f.Limit {
					return w.flush()
				}
				f.AfterSeq = ops[len(ops)-1].Seq
			}
		})
	}
	return cmd
}

type rowWriter struct {
	write func(run.Op) error
	flush func() error
}

func resultWriter(g *globals, format string) rowWriter {
	switch format {
	case "json":
		return rowWriter{write: func(op run.Op) error { return writeJSONLine(g.out, op.Result()) }, flush: func() error { return nil }}
	case "csv":
		cw := csv.NewWriter(g.out)
		_ = cw.Write(run.ResultCSVHeader)
		return rowWriter{
			write: func(op run.Op) error { return cw.Write(op.Result().CSVRecord()) },
			flush: func() error {
				cw.Flush()
				return cw.Error()
			},
		}
	}
	tw := tabwriter.NewWriter(g.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tACTION\tEMAIL\tPROFILE\tSTATUS\tREASON\tMESSAGE")
	return rowWriter{
		write: func(op run.Op) error {
			r := op.Result()
			_, err := fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Seq, r.Action, r.Email, r.ProfileID, r.Status, r.Reason, r.Message)
			return err
		},
		flush: tw.Flush,
	}
}
