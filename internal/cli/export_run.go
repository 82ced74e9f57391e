package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"segbridge/internal/app"
	"segbridge/internal/jobs"
	"segbridge/internal/run"
	"segbridge/internal/service"
)

func newExportRunCmd(g *globals) *cobra.Command {
	var resume, noWait, full bool
	cmd := &cobra.Command{
		Use:   "run NAME",
		Short: "Run an export now: plan, send, confirm, untag, finish",
		Long: `Run an export now. The run is queued as a job; by default this process also
works jobs and waits until the run ends, showing progress on a terminal and
the summary at the end. With --no-wait it only queues the run and prints its
id: a running "segbridge worker" picks it up.

The segments are refreshed first; only contacts that changed since the last
confirmed run are sent, and members who left the export's segments are
untagged (unless the export keeps leavers).

The plan itself reads only what changed since the export's last successful
run: members whose attributes or segment membership changed, contacts that
run did not get through, and unsure ones. It checks every member instead
(a full check) on the first run, after the export's mapping, tags,
segments, consent policy or connection's tagging changed, after a run that
did not finish, and with --full (after "export verify" found drift, say).
Both give the same contacts to send.

Every step is checkpointed in the database, and what Omnisend confirmed is
remembered at once. If a run was interrupted (the process was killed, the
machine restarted), resume it with --resume: it continues where it stopped.
Without --resume, a new run continues it instead: it confirms what the
interrupted run sent and sends only what is still missing, planned against
the current data. A run is worked by one process at a time: while another
process holds it (it renews its lease every few seconds), both are refused.
A worker also resumes an interrupted run by itself, at the latest an hour
after the interruption.

Omnisend outages (refused connections, timeouts, 5xx, 429) are waited out
with growing backoff for --outage-limit (default 30m); the progress shows
"waiting for Omnisend since …". A run fails only on a permanent answer
(a revoked key, a refused request) or after the outage limit, with the
cause; the export's next run continues it.`,
		Example: `  segbridge export run "VIP to Omnisend"
  segbridge export run "VIP to Omnisend" --no-wait
  segbridge export run "VIP to Omnisend" --full
  segbridge export run "VIP to Omnisend" --resume`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withApp(cmd.Context(), func(a *app.App) error {
				st, err := a.Services.Runs.Start(cmd.Context(), g.actor, args[0], service.StartOptions{Resume: resume, Full: full})
				if err != nil {
					return runError(err, args[0])
				}
				if st.Resumed {
					fmt.Fprintf(g.errOut, "resuming run %d of %q at step %s\n", st.Run.ID, st.Export.Name, st.Run.Step)
				}
				return g.awaitQueued(cmd.Context(), a, st.Run, noWait)
			})
		},
	}
	cmd.Flags().BoolVar(&resume, "resume", false, "resume the export's interrupted run instead of starting a new one")
	cmd.Flags().BoolVar(&noWait, "no-wait", false, "only queue the run and print its id (a segbridge worker runs it)")
	cmd.Flags().BoolVar(&full, "full", false, "check every member, not only what changed since the export's last run")
	return cmd
}

// awaitQueued, unless noWait, works jobs in this process until the queued
// run r ends.
func (g *globals) awaitQueued(ctx context.Context, a *app.App, r run.Run, noWait bool) error {
	if noWait {
		fmt.Fprintf(g.out, "queued run %d; a segbridge worker runs it (see: segbridge export runs)\n", r.ID)
		return nil
	}
	if err := a.Jobs.Start(ctx, jobs.StartOptions{}); err != nil {
		return err
	}
	r, err := g.awaitRun(ctx, a, r)
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	if serr := a.Jobs.Stop(stopCtx); serr != nil && err == nil {
		err = serr
	}
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("run %d stopped (resumable): a segbridge worker continues it, or run this again with --resume", r.ID)
		}
		return err
	}
	return g.printRun(r)
}

// printRun prints the summary of a final (or held) run; a failed,
// cancelled or held run is an error.
func (g *globals) printRun(r run.Run) error {
	fmt.Fprintln(g.out, summary(r))
	if r.Status == run.StatusHeld {
		return fmt.Errorf("run %d is %s (approve them with: segbridge export approve %d; or drop them: segbridge export discard %d)", r.ID, r.Message, r.ID, r.ID)
	}
	if r.Status != run.StatusSucceeded {
		return fmt.Errorf("run %d %s: %s", r.ID, r.Status, r.Message)
	}
	return nil
}

// watchRun executes r in this process while drawing its progress on a
// terminal until it ends.
func (g *globals) watchRun(ctx context.Context, a *app.App, r run.Run) (run.Run, error) {
	return g.follow(ctx, a, r.ID, func(ctx context.Context) (run.Run, error) { return a.Runs.Execute(ctx, r.ID) })
}

// awaitRun waits for whichever worker executes r to end it, drawing its
// progress on a terminal.
func (g *globals) awaitRun(ctx context.Context, a *app.App, r run.Run) (run.Run, error) {
	return g.follow(ctx, a, r.ID, func(ctx context.Context) (run.Run, error) {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			cur, err := a.Store.GetRun(ctx, r.ID)
			if err != nil || !cur.Status.Executable() {
				return cur, err // final, or held by the removal brake
			}
			select {
			case <-ctx.Done():
				return cur, ctx.Err()
			case <-tick.C:
			}
		}
	})
}

// follow runs until in the background and draws run id's progress until
// it returns.
func (g *globals) follow(ctx context.Context, a *app.App, id int64, until func(context.Context) (run.Run, error)) (run.Run, error) {
	type result struct {
		r   run.Run
		err error
	}
	done := make(chan result, 1)
	go func() {
		r, err := until(ctx)
		done <- result{r, err}
	}()
	show := g.runProgress(ctx, a, id)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case res := <-done:
			show(true)
			return res.r, res.err
		case <-tick.C:
			show(false)
		}
	}
}

// runProgress returns a function that draws the run's progress on a
// terminal (and does nothing elsewhere).
func (g *globals) runProgress(ctx context.Context, a *app.App, id int64) func(final bool) {
	if !isTerminal(g.errOut) {
		return func(bool) {}
	}
	return func(final bool) {
		p, err := a.Store.RunProgress(ctx, id)
		if err != nil {
			return
		}
		if final {
			fmt.Fprint(g.errOut, "\r\033[K")
			return
		}
		line := fmt.Sprintf("sent %d/%d contacts, confirmed %d, untagged %d/%d", p.Sent, p.Upserts, p.Confirmed, p.Untagged, p.Untags)
		if w := p.Waiting(); w != "" {
			line += "; " + w
		}
		fmt.Fprintf(g.errOut, "\r\033[K%s", line)
	}
}

// runError adds the CLI's way out to the run service's refusals.
func runError(err error, name string) error {
	e, ok := service.AsError(err)
	switch {
	case !ok:
		return err
	case e.Kind == service.KindNotFound:
		return fmt.Errorf("%s (see: segbridge export list)", e.Msg)
	case errors.As(err, new(*run.HeldError)):
		var held *run.HeldError
		errors.As(err, &held)
		return fmt.Errorf("%s (see: segbridge export runs %q; then segbridge export approve %d, or segbridge export discard %d)", e.Msg, name, held.RunID, held.RunID)
	case errors.Is(err, run.ErrActiveRun):
		return fmt.Errorf("%s (cancel it with: segbridge export cancel %q)", e.Msg, name)
	}
	return err
}

// summary is the one-line result of a run.
func summary(r run.Run) string {
	c := r.Counts
	dur := ""
	if !r.StartedAt.IsZero() && !r.FinishedAt.IsZero() {
		dur = " in " + r.FinishedAt.Sub(r.StartedAt).Round(time.Millisecond).String()
	}
	s := fmt.Sprintf("run %d %s%s: %d members; added %d, updated %d, unchanged %d, untagged %d",
		r.ID, r.Status, dur, c.Members, c.Added, c.Updated, c.Unchanged, c.Untagged)
	if c.Kept > 0 {
		s += fmt.Sprintf(", kept %d leavers", c.Kept)
	}
	s += fmt.Sprintf("; skipped %d%s", c.SkippedTotal(), reasons(c.Skipped))
	if n := c.SkippedUnchangedTotal(); n > 0 {
		s += fmt.Sprintf(" (%d of them skipped as before and unchanged since: the runs that decided it list them)", n)
	}
	s += fmt.Sprintf("; failed %d%s; %d API requests", c.FailedTotal(), reasons(c.Failed), r.Requests)
	if len(c.Dropped) > 0 {
		s += "; sent without" + reasons(c.Dropped)
	}
	if r.Plan.Mode != "" {
		s += "; plan: " + planText(r.Plan.Mode, r.Plan.Reason)
		if r.Plan.Mode == run.PlanChanges {
			s += fmt.Sprintf(" (%d read)", r.Plan.Read)
		}
	}
	return s
}

func reasons(m map[string]int) string {
	if len(m) == 0 {
		return ""
	}
	return " (" + run.ReasonsText(m) + ")"
}

func newExportCancelCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "cancel NAME",
		Short: "Ask the export's run in progress to stop (nothing confirmed is lost)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withApp(cmd.Context(), func(a *app.App) error {
				cur, err := a.Services.Runs.Cancel(cmd.Context(), g.actor, args[0])
				if err != nil {
					return runError(err, args[0])
				}
				fmt.Fprintf(g.out, "asked run %d to stop; it stops at its next checkpoint\n", cur.ID)
				return nil
			})
		},
	}
}
