package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"segbridge/internal/app"
	"segbridge/internal/jobs"
	"segbridge/internal/run"
	"segbridge/internal/store"
)

func newRefreshCmd(g *globals) *cobra.Command {
	var noWait bool
	cmd := &cobra.Command{
		Use:   "refresh",
		Short: "Run the system refresh now and wait: sources → profiles → segments → exports (admin)",
		Long: `refresh runs the system refresh now, in this process, and waits for it:

  1. every source is read (independent sources in parallel);
  2. their rows are unified into one profile per person;
  3. every segment is re-evaluated;
  4. the exports set to follow the refresh run (this process works them
     and waits, unless --no-wait: then a segbridge worker does).

A failing source stops the refresh before any export runs on stale or
partial data, unless the source is optional. A source that returns no rows,
or fewer than half of last time's, removes nothing: the refresh is held
until an admin releases it (the profiles it no longer returns are removed
and the refresh goes on) or discards it.

The schedule (segbridge system refresh-schedule; until one is stored, serve's
and worker's --refresh-schedule) runs the same refresh.`,
		Example: `  segbridge refresh
  segbridge refresh history
  segbridge refresh release 42`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withApp(cmd.Context(), func(a *app.App) error {
				rec, err := a.Services.System.Refresh(cmd.Context(), g.actor)
				if err != nil {
					return err
				}
				return g.finishRefresh(cmd.Context(), a, rec, noWait)
			})
		},
	}
	cmd.Flags().BoolVar(&noWait, "no-wait", false, "do not wait for the export runs the refresh queued (a segbridge worker runs them)")
	cmd.AddCommand(newRefreshHistoryCmd(g), newRefreshSettleCmd(g, true), newRefreshSettleCmd(g, false))
	return cmd
}

// finishRefresh prints a refresh's steps and, unless noWait, works the
// runs it queued until they end. A failed or held refresh is an error.
func (g *globals) finishRefresh(ctx context.Context, a *app.App, rec store.SystemRefresh, noWait bool) error {
	printSteps(g, rec, "")
	switch rec.Status {
	case store.RefreshFailed:
		return fmt.Errorf("refresh %d failed: %s", rec.ID, rec.Message)
	case store.RefreshHeld:
		return fmt.Errorf("refresh %d is held: %s (segbridge refresh release %d, or segbridge refresh discard %d)", rec.ID, rec.Message, rec.ID, rec.ID)
	}
	if rec.Message != "" {
		fmt.Fprintf(g.out, "note: %s\n", rec.Message)
	}
	if len(rec.RunIDs) == 0 {
		fmt.Fprintf(g.out, "refresh %d succeeded; no export follows the refresh\n", rec.ID)
		return nil
	}
	if noWait {
		fmt.Fprintf(g.out, "refresh %d succeeded; queued %d export runs (a segbridge worker runs them)\n", rec.ID, len(rec.RunIDs))
		return nil
	}
	if err := a.Jobs.Start(ctx, jobs.StartOptions{}); err != nil {
		return err
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		_ = a.Jobs.Stop(stopCtx)
	}()
	failed := 0
	for _, id := range rec.RunIDs {
		r, err := g.awaitRun(ctx, a, run.Run{ID: id})
		if err != nil {
			return err
		}
		ex, _ := a.Store.GetExport(ctx, strconv.FormatInt(r.ExportID, 10))
		fmt.Fprintf(g.out, "export %q: %s\n", ex.Name, summary(r))
		if r.Status != run.StatusSucceeded {
			failed++
		}
	}
	if failed > 0 {
		return fmt.Errorf("refresh %d: %d of %d export runs did not succeed", rec.ID, failed, len(rec.RunIDs))
	}
	fmt.Fprintf(g.out, "refresh %d succeeded\n", rec.ID)
	return nil
}

// printSteps prints a refresh's steps, one line each, after indent.
func printSteps(g *globals, rec store.SystemRefresh, indent string) {
	for _, s := range rec.Steps {
		line := fmt.Sprintf("%s%-20s %8s  %s", indent, s.Name, s.FinishedAt.Sub(s.StartedAt).Round(time.Millisecond), s.CountsText())
		if s.Note != "" {
			line += "  (" + s.Note + ")"
		}
		if s.Error != "" {
			line += "  error: " + s.Error
		}
		fmt.Fprintln(g.out, strings.TrimRight(line, " "))
	}
}

func newRefreshHistoryCmd(g *globals) *cobra.Command {
	var limit int
	cmd := &cobra.Command{
		Use:   "history",
		Short: "List the latest system refreshes with each step's counts, timings and errors",
		Args:  cobra.NoArgs,
	}
	output := outputFlag(cmd)
	cmd.Flags().IntVar(&limit, "limit", 10, "how many refreshes to show")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		return g.withApp(cmd.Context(), func(a *app.App) error {
			list, err := a.Store.ListRefreshes(cmd.Context(), limit)
			if err != nil {
				return err
			}
			if *output == "json" {
				return writeJSON(g.out, refreshesJSON(list))
			}
			if len(list) == 0 {
				fmt.Fprintln(g.out, "no refresh yet; run one with: segbridge refresh")
				return nil
			}
			for _, r := range list {
				tw := tabwriter.NewWriter(g.out, 0, 4, 2, ' ', 0)
				took := "running"
				if !r.FinishedAt.IsZero() {
					took = r.FinishedAt.Sub(r.StartedAt).Round(time.Millisecond).String()
				}
				fmt.Fprintf(tw, "refresh %d\t%s\t%s\t%s\n", r.ID, r.StartedAt.Local().Format("2006-01-02 15:04:05"), r.Status, took)
				_ = tw.Flush()
				if r.Message != "" {
					fmt.Fprintf(g.out, "  %s\n", r.Message)
				}
				printSteps(g, r, "  ")
			}
			return nil
		})
	}
	return cmd
}

// refreshJSON is a refresh as --output json shows it.
type refreshJSON struct {
	ID         int64               `json:"id"`
	StartedAt  time.Time           `json:"started_at"`
	FinishedAt *time.Time          `json:"finished_at"`
	Status     string              `json:"status"`
	Message    string              `json:"message"`
	Segments   int                 `json:"segments"`
	Runs       int                 `json:"runs"`
	Steps      []store.RefreshStep `json:"steps"`
	Held       []store.HeldSource  `json:"held"`
}

func refreshesJSON(list []store.SystemRefresh) []refreshJSON {
	out := make([]refreshJSON, 0, len(list))
	for _, r := range list {
		j := refreshJSON{ID: r.ID, StartedAt: r.StartedAt, Status: r.Status, Message: r.Message, Segments: r.Segments,
			Runs: r.Runs, Steps: r.Steps, Held: r.Held}
		if !r.FinishedAt.IsZero() {
			f := r.FinishedAt
			j.FinishedAt = &f
		}
		if j.Steps == nil {
			j.Steps = []store.RefreshStep{}
		}
		if j.Held == nil {
			j.Held = []store.HeldSource{}
		}
		out = append(out, j)
	}
	return out
}

// newRefreshSettleCmd is `refresh release ID` (release) or `refresh discard ID`.
func newRefreshSettleCmd(g *globals, release bool) *cobra.Command {
	use, short := "discard ID", "Discard a held refresh: nothing is removed, no export runs"
	if release {
		use, short = "release ID", "Release a held refresh: remove the profiles its sources no longer return, then go on"
	}
	var noWait bool
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil || id < 1 {
				return fmt.Errorf("refresh id %q: want the number that segbridge refresh history shows", args[0])
			}
			return g.withApp(cmd.Context(), func(a *app.App) error {
				if !release {
					rec, err := a.Services.System.Discard(cmd.Context(), g.actor, id)
					if err != nil {
						return err
					}
					fmt.Fprintf(g.out, "refresh %d discarded: nothing was removed and no export ran\n", rec.ID)
					return nil
				}
				rec, err := a.Services.System.Release(cmd.Context(), g.actor, id)
				if err != nil {
					return err
				}
				return g.finishRefresh(cmd.Context(), a, rec, noWait)
			})
		},
	}
	if release {
		cmd.Flags().BoolVar(&noWait, "no-wait", false, "do not wait for the export runs (a segbridge worker runs them)")
	}
	return cmd
}
