package cli

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"segbridge/internal/app"
	"segbridge/internal/jobs"
	"segbridge/internal/run"
)

// activeRun returns the export's run in progress, if any.
func activeRun(ctx context.Context, a *app.App, exportID int64) (run.Run, bool, error) {
	runs, err := a.Store.ListRuns(ctx, exportID, 5)
	if err != nil {
		return run.Run{}, false, err
	}
	for _, r := range runs {
		if !r.Status.Final() {
			return r, true, nil
		}
	}
	return run.Run{}, false, nil
}

func newExportRunCmd(g *globals) *cobra.Command {
	var resume, noWait bool
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
  segbridge export run "VIP to Omnisend" --resume`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withApp(cmd.Context(), func(a *app.App) error {
				r, err := startOrResume(cmd, g, a, args[0], resume)
				if err != nil {
					return err
				}
				return g.enqueueRun(cmd.Context(), a, r, resume, noWait)
			})
		},
	}
	cmd.Flags().BoolVar(&resume, "resume", false, "resume the export's interrupted run instead of starting a new one")
	cmd.Flags().BoolVar(&noWait, "no-wait", false, "only queue the run and print its id (a segbridge worker runs it)")
	return cmd
}

// enqueueRun queues r's job and, unless noWait, works jobs in this process
// until r ends. resume also releases a job left running by a dead process.
func (g *globals) enqueueRun(ctx context.Context, a *app.App, r run.Run, resume, noWait bool) error {
	enqueue := a.Jobs.Enqueue
	if resume {
		enqueue = a.Jobs.Resume
	}
	if _, err := enqueue(ctx, r.ID); err != nil {
		return err
	}
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

// printRun prints the summary of a final run; a failed or cancelled run is
// an error.
func (g *globals) printRun(r run.Run) error {
	fmt.Fprintln(g.out, summary(r))
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
			if err != nil || cur.Status.Final() {
				return cur, err
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

func startOrResume(cmd *cobra.Command, g *globals, a *app.App, name string, resume bool) (run.Run, error) {
	ctx := cmd.Context()
	ex, err := findExport(cmd, a, name)
	if err != nil {
		return run.Run{}, err
	}
	cur, active, err := activeRun(ctx, a, ex.ID)
	if err != nil {
		return run.Run{}, err
	}
	now := a.Now()
	live := active && cur.Status == run.StatusRunning && !cur.Stale(now)
	switch {
	case live:
		return run.Run{}, fmt.Errorf("export %q has run %d in progress (step %s), worked by %s (its lease runs until %s); wait for it to end, or cancel it with: segbridge export cancel %q",
			ex.Name, cur.ID, cur.Step, cur.LeaseOwner, cur.LeaseUntil.Local().Format(time.DateTime), ex.Name)
	case active && resume:
		fmt.Fprintf(g.errOut, "resuming run %d of %q at step %s\n", cur.ID, ex.Name, cur.Step)
		return cur, nil
	case active && cur.Status == run.StatusQueued:
		return run.Run{}, fmt.Errorf("export %q has run %d queued; a segbridge worker runs it, or work it here with --resume, or cancel it with: segbridge export cancel %q",
			ex.Name, cur.ID, ex.Name)
	case resume:
		return run.Run{}, fmt.Errorf("export %q has no interrupted run to resume", ex.Name)
	}
	// A stale run (its process was killed) is failed and continued by the
	// new run.
	return run.Start(ctx, a.Store, ex.ID, run.TriggerManual, now)
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
	s += fmt.Sprintf("; skipped %d%s; failed %d%s; %d API requests",
		c.SkippedTotal(), reasons(c.Skipped), c.FailedTotal(), reasons(c.Failed), r.Requests)
	return s
}

func reasons(m map[string]int) string {
	if len(m) == 0 {
		return ""
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

func newExportCancelCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "cancel NAME",
		Short: "Ask the export's run in progress to stop (nothing confirmed is lost)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withApp(cmd.Context(), func(a *app.App) error {
				ex, err := findExport(cmd, a, args[0])
				if err != nil {
					return err
				}
				cur, active, err := activeRun(cmd.Context(), a, ex.ID)
				if err != nil {
					return err
				}
				if !active {
					return fmt.Errorf("export %q has no run in progress", ex.Name)
				}
				if err := a.Store.RequestCancel(cmd.Context(), cur.ID); err != nil {
					return err
				}
				fmt.Fprintf(g.out, "asked run %d to stop; it stops at its next checkpoint\n", cur.ID)
				return nil
			})
		},
	}
}
