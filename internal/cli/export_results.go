package cli

import (
	"encoding/csv"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"segbridge/internal/app"
	"segbridge/internal/run"
	"segbridge/internal/service"
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
	var f run.OpFilter
	cmd := &cobra.Command{
		Use:   "results RUN",
		Short: "List a run's per-contact results (what was sent, skipped or failed, and why)",
		Long: `List a run's per-contact results: every contact the run upserted or untagged
and every member it skipped, with Omnisend's message for failures. Unchanged
contacts need nothing and are only counted (see: segbridge export runs NAME).

Filters combine: --status, --action, --reason and --email (an e-mail prefix,
any case). As text, the reasons that occur are explained in words at the end;
as JSON each result carries reason_text.`,
		Example: `  segbridge export results 12 --status failed --output csv > failed.csv
  segbridge export results 12 --reason rejected
  segbridge export results 12 --action add --email jane@`,
		Args: cobra.ExactArgs(1),
	}
	var output string
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output format: text, json or csv")
	cmd.Flags().StringVar(&status, "status", "", "only results with this status: ok, failed, skipped or pending")
	cmd.Flags().StringVar(&f.Action, "action", "", "only results with this action: add, update, tag, untag or skip")
	cmd.Flags().StringVar(&f.Reason, "reason", "", "only results with this skip or failure reason: "+strings.Join(run.ReasonCodes(), ", "))
	cmd.Flags().StringVar(&f.Email, "email", "", "only results whose e-mail starts with this (any case)")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		id, err := strconv.ParseInt(args[0], 10, 64)
		if err != nil || id <= 0 {
			return fmt.Errorf("RUN %q: want a run number (see: segbridge export runs NAME)", args[0])
		}
		if output != "text" && output != "json" && output != "csv" {
			return fmt.Errorf("--output %q: want text, json or csv", output)
		}
		f.Status = run.OpStatus(status)
		if err := f.Valid(); err != nil {
			return fmt.Errorf("--%w", err)
		}
		return g.withApp(cmd.Context(), func(a *app.App) error {
			if _, err := a.Store.GetRun(cmd.Context(), id); err != nil {
				return fmt.Errorf("no run %d", id)
			}
			w := resultWriter(g, output)
			f.Limit = 1000
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
	seen := map[string]bool{}
	return rowWriter{
		write: func(op run.Op) error {
			r := op.Result()
			if r.Reason != "" {
				seen[r.Reason] = true
			}
			_, err := fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Seq, r.Action, r.Email, r.ProfileID, r.Status, r.Reason, r.Message)
			return err
		},
		flush: func() error {
			if err := tw.Flush(); err != nil {
				return err
			}
			return explainReasons(g, seen)
		},
	}
}

// explainReasons prints, after a text listing, what each reason in it means.
func explainReasons(g *globals, seen map[string]bool) error {
	codes := make([]string, 0, len(seen))
	for c := range seen {
		if run.ReasonText(c) != "" {
			codes = append(codes, c)
		}
	}
	if len(codes) == 0 {
		return nil
	}
	slices.Sort(codes)
	fmt.Fprintln(g.out, "\nReasons:")
	for _, c := range codes {
		if _, err := fmt.Fprintf(g.out, "  %s: %s\n", c, run.ReasonText(c)); err != nil {
			return err
		}
	}
	return nil
}

func newExportRetryCmd(g *globals) *cobra.Command {
	var noWait bool
	cmd := &cobra.Command{
		Use:   "retry RUN",
		Short: "Retry a run's failed contacts now: start a run that sends them again",
		Long: `retry starts a run of the export of run RUN, an ended run with failed
contacts (see: segbridge export results RUN --status failed). The new run is
an ordinary changes-only run: a contact that failed is not confirmed in the
export's state, so it is sent again — exactly the failed contacts, plus
whatever changed since. By default this process also works jobs and waits
until the run ends; with --no-wait it only queues it for a segbridge worker.`,
		Example: `  segbridge export retry 42
  segbridge export retry 42 --no-wait`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := runIDArg(args[0])
			if err != nil {
				return err
			}
			return g.withApp(cmd.Context(), func(a *app.App) error {
				st, err := a.Services.Runs.Retry(cmd.Context(), g.actor, id, service.StartOptions{})
				if err != nil {
					if st.Export.Name != "" {
						return runError(err, st.Export.Name)
					}
					return decisionError(err)
				}
				fmt.Fprintf(g.errOut, "run %d of %q retries the %d failed contacts of run %d\n", st.Run.ID, st.Export.Name, failedOf(cmd, a, id), id)
				return g.awaitQueued(cmd.Context(), a, st.Run, noWait)
			})
		},
	}
	cmd.Flags().BoolVar(&noWait, "no-wait", false, "only queue the run (a segbridge worker runs it)")
	return cmd
}

// failedOf is the number of failed contacts of run id (0 if unknown).
func failedOf(cmd *cobra.Command, a *app.App, id int64) int {
	r, err := a.Store.GetRun(cmd.Context(), id)
	if err != nil {
		return 0
	}
	return r.Counts.FailedTotal()
}
