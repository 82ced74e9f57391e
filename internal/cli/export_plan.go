package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"segbridge/internal/app"
	"segbridge/internal/run"
	"segbridge/internal/service"
)

func newExportPlanCmd(g *globals) *cobra.Command {
	var diffPath, format string
	var full bool
	cmd := &cobra.Command{
		Use:     "plan NAME",
		Aliases: []string{"preview"},
		Short:   "Show what a run of the export would do now, changing nothing (a dry run)",
		Long: `plan plans a run of the export exactly as a run does — the segments'
members as a refresh would find them, the mapping, the diff against what
Omnisend is known to hold, the profile cap — and reports it without
changing anything anywhere: no run is created, nothing is written (not even
the segments' membership) and no request goes to Omnisend.

It prints the contacts by action and reason (add, update, tag, untag,
skip), the Omnisend requests the run would make per route, and how long
that takes at the brand's rate budget, alone and behind the brand's runs in
progress or queued (their requests estimated by previewing a queued run's
export, or from a running run's progress).

--diff FILE writes the diff, one row per contact the run would change or
skip: e-mail, action, reason, each changed field old → new (old values from
the contact the export last had confirmed), tags added and removed. The
format follows the file's extension (.csv or .jsonl), or --format; "-" is
standard output. It is written as the plan goes, so it can be large.

Like a run, the plan reads only what changed since the export's last run
when it can (a changes-only plan) and says so; --full previews a run
started with --full, which checks every member.`,
		Example: `  segbridge export plan "VIP to Omnisend"
  segbridge export plan "VIP to Omnisend" --diff vip-diff.csv
  segbridge export plan "VIP to Omnisend" --full
  segbridge export plan "VIP to Omnisend" --diff - --format jsonl | jq -c 'select(.action == "update")'`,
		Args: cobra.ExactArgs(1),
	}
	output := outputFlag(cmd)
	cmd.Flags().StringVar(&diffPath, "diff", "", `write the diff to this file (.csv or .jsonl; "-": standard output)`)
	cmd.Flags().StringVar(&format, "format", "", "the diff's format: csv or jsonl (default: from the --diff file's extension)")
	cmd.Flags().BoolVar(&full, "full", false, "preview a full check of every member, as export run --full does")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if format == "" && diffPath != "" {
			format = run.DiffFormatOf(diffPath)
			if format == "" {
				return fmt.Errorf("--diff %q: name a .csv or .jsonl file, or give --format csv or jsonl", diffPath)
			}
		}
		if format != "" && format != run.DiffCSV && format != run.DiffJSONL {
			return fmt.Errorf("--format %q: want csv or jsonl", format)
		}
		if format != "" && diffPath == "" {
			return errors.New("--format needs --diff FILE (or --diff - for standard output)")
		}
		summaryTo := g.out
		if diffPath == "-" {
			summaryTo = g.errOut
		}
		return g.withApp(cmd.Context(), func(a *app.App) error {
			opt := service.PlanOptions{Full: full}
			var dw *run.DiffWriter
			if diffPath != "" {
				w, closeDiff, err := openDiff(g.out, diffPath)
				if err != nil {
					return err
				}
				defer closeDiff()
				if dw, err = run.NewDiffWriter(w, format); err != nil {
					return err
				}
				opt.Diff = dw.Write
			}
			res, err := a.Services.Runs.Plan(cmd.Context(), g.actor, args[0], opt)
			if err != nil {
				return runError(err, args[0])
			}
			if dw != nil {
				if err := dw.Flush(); err != nil {
					return fmt.Errorf("write the diff to %s: %w", diffPath, err)
				}
			}
			if *output == "json" {
				return writeJSON(summaryTo, res)
			}
			return writePlan(summaryTo, res, diffPath)
		})
	}
	return cmd
}

// openDiff opens the diff's destination: a new file, or out for "-".
func openDiff(out io.Writer, path string) (io.Writer, func(), error) {
	if path == "-" {
		return out, func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, nil, fmt.Errorf("--diff: cannot create %s: %w", path, err)
	}
	return f, func() { _ = f.Close() }, nil
}

// writePlan prints a preview: counts, requests, time.
func writePlan(w io.Writer, res service.PlanResult, diffPath string) error {
	c := res.Counts
	fmt.Fprintf(w, "A run of %q now (nothing was changed or sent):\n", res.Export)
	fmt.Fprintf(w, "  %s\n", planText(res.Plan, res.PlanReason))
	fmt.Fprintf(w, "  %d members: %d to add, %d to update, %d unchanged, %d to untag, %d kept tagged, %d skipped\n",
		c.Members, c.Added, c.Updated, c.Unchanged, c.Untagged, c.Kept, c.SkippedTotal())
	if res.Brake != "" {
		fmt.Fprintf(w, "  Note: %s.\n", res.Brake)
	}
	if len(res.Actions) > 0 {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  ACTION\tREASON\tCONTACTS")
		for _, a := range res.Actions {
			fmt.Fprintf(tw, "  %s\t%s\t%d\n", a.Action, a.Reason, a.N)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	rq := res.Requests
	fmt.Fprintf(w, "Omnisend requests: %d at least (%d general, %d on the tag routes), %d batches\n", rq.Total, rq.General, rq.Tags, rq.Batches)
	if len(rq.Routes) > 0 {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  STEP\tROUTE\tREQUESTS\tNOTE")
		for _, r := range rq.Routes {
			n := fmt.Sprint(r.Requests)
			if r.AtLeast {
				n = "≥ " + n
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", r.Step, r.Route, n, r.Note)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if rq.TooLarge > 0 {
		fmt.Fprintf(w, "  %d contacts are too large for any batch: the run fails them unsent.\n", rq.TooLarge)
	}
	eta := res.ETA
	fmt.Fprintf(w, "Time at the brand's budget (%.0f requests a minute, %.0f on the tag routes): %s alone",
		eta.GeneralPerMinute, eta.TagsPerMinute, secondsText(eta.AloneSeconds))
	if len(eta.Ahead) == 0 {
		fmt.Fprintln(w, "; no other run of the brand is in progress or queued.")
	} else {
		fmt.Fprintf(w, "; %s sharing the budget with:\n", secondsText(eta.Seconds))
		for _, r := range eta.Ahead {
			fmt.Fprintf(w, "  run %d of %q (%s, step %s): %d general and %d tag requests, estimated from its %s", r.RunID, r.Export, r.Status, r.Step, r.Requests.General, r.Requests.Tags, r.EstimatedFrom)
			if r.Note != "" {
				fmt.Fprintf(w, " (%s)", r.Note)
			}
			fmt.Fprintln(w)
		}
	}
	if diffPath != "" && diffPath != "-" {
		fmt.Fprintf(w, "Diff written to %s.\n", diffPath)
	}
	return nil
}

// secondsText shows seconds as a duration ("1m30s", "2.4s").
func secondsText(s float64) string {
	return time.Duration(s * float64(time.Second)).Round(time.Second / 10).String()
}

// planText says how a run plans (or would): changes only, or every
// member and why.
func planText(mode, reason string) string {
	switch {
	case mode == run.PlanChanges:
		return "changes only: the members changed since the export's last run, and its contacts to retry"
	case reason != "":
		return "full check of every member: " + reason
	}
	return "full check of every member"
}
