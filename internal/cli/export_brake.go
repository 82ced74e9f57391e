package cli

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"segbridge/internal/app"
	"segbridge/internal/export"
	"segbridge/internal/service"
)

// brakeHelp explains the removal brake where the commands that touch it
// are described.
const brakeHelp = `The removal brake: a run that would untag more than --brake-untag-percent of
the export's contacts and more than --brake-untag-min of them, that skips
more than --brake-skip-percent of its members, or whose members fall by more
than --brake-drop-percent against the last successful run still sends its
adds and updates, but holds every untag and ends "held". Approve the untags
(segbridge export approve RUN) or discard them (segbridge export discard
RUN); until then the export starts no other run. A percentage of 100 turns
its threshold off.`

func newExportApproveCmd(g *globals) *cobra.Command {
	var noWait bool
	cmd := &cobra.Command{
		Use:   "approve RUN",
		Short: "Send the untags the removal brake held in a run",
		Long: `approve sends the untags that the removal brake held in run RUN (see
"segbridge export runs NAME"): the same run continues at its untag step, as
a job. By default this process also works jobs and waits until the run ends;
with --no-wait it only queues it for a segbridge worker. If the process is
killed meanwhile, resume the run with: segbridge export run NAME --resume.

` + brakeHelp,
		Example: `  segbridge export approve 42
  segbridge export approve 42 --no-wait`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := runIDArg(args[0])
			if err != nil {
				return err
			}
			return g.withApp(cmd.Context(), func(a *app.App) error {
				st, err := a.Services.Runs.Approve(cmd.Context(), g.actor, id)
				if err != nil {
					return decisionError(err)
				}
				fmt.Fprintf(g.errOut, "approved the held untags of run %d of %q\n", id, st.Export.Name)
				return g.awaitQueued(cmd.Context(), a, st.Run, noWait)
			})
		},
	}
	cmd.Flags().BoolVar(&noWait, "no-wait", false, "only queue the run's untags (a segbridge worker sends them)")
	return cmd
}

func newExportDiscardCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "discard RUN",
		Short: "Drop the untags the removal brake held in a run (the contacts keep their tags)",
		Long: `discard drops the untags that the removal brake held in run RUN: they are
marked skipped ("discarded"), the contacts keep their tags in Omnisend, and
the run ends. Nothing is sent to Omnisend. The export's next run plans
against the data as it is then: if the same people are still out, it holds
their untags again.

` + brakeHelp,
		Example: `  segbridge export discard 42`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := runIDArg(args[0])
			if err != nil {
				return err
			}
			return g.withApp(cmd.Context(), func(a *app.App) error {
				r, e, err := a.Services.Runs.Discard(cmd.Context(), g.actor, id)
				if err != nil {
					return decisionError(err)
				}
				fmt.Fprintf(g.out, "run %d of %q: %s\n", r.ID, e.Name, r.Message)
				return nil
			})
		},
	}
}

// runIDArg reads a run id.
func runIDArg(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("%q is not a run id: pass the run's number (see: segbridge export runs NAME)", s)
	}
	return id, nil
}

// decisionError adds the CLI's way out to a refused approve or discard.
func decisionError(err error) error {
	if e, ok := service.AsError(err); ok && e.Kind == service.KindNotFound {
		return fmt.Errorf("%s (see: segbridge export runs NAME)", e.Msg)
	}
	return err
}

// registerBrake adds the brake's flags to export create and update.
func (f *exportFlags) registerBrake(cmd *cobra.Command, create bool) {
	d := export.Brake{}
	if create {
		d = export.DefaultBrake()
	}
	fl := cmd.Flags()
	fl.IntVar(&f.brake.UntagPercent, "brake-untag-percent", d.UntagPercent, "removal brake: hold the untags of a run that would untag more than this % of the export's contacts (and more than --brake-untag-min); 100 turns it off")
	fl.IntVar(&f.brake.UntagMin, "brake-untag-min", d.UntagMin, "removal brake: … and more than this many contacts")
	fl.IntVar(&f.brake.SkipPercent, "brake-skip-percent", d.SkipPercent, "removal brake: hold the untags when more than this % of the members are skipped; 100 turns it off")
	fl.IntVar(&f.brake.DropPercent, "brake-drop-percent", d.DropPercent, "removal brake: hold the untags when the members fall by more than this % against the last successful run; 100 turns it off")
}

// brakePatch is the change the brake flags given make.
func (f *exportFlags) brakePatch(cmd *cobra.Command) export.BrakePatch {
	var p export.BrakePatch
	for _, fl := range []struct {
		name string
		v    *int
		to   **int
	}{{"brake-untag-percent", &f.brake.UntagPercent, &p.UntagPercent}, {"brake-untag-min", &f.brake.UntagMin, &p.UntagMin},
		{"brake-skip-percent", &f.brake.SkipPercent, &p.SkipPercent}, {"brake-drop-percent", &f.brake.DropPercent, &p.DropPercent}} {
		if cmd.Flags().Changed(fl.name) {
			*fl.to = fl.v
		}
	}
	return p
}
