package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"segbridge/internal/app"
	"segbridge/internal/jobs"
)

func newSystemCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "system",
		Short: "System settings: the system refresh's schedule",
		Args:  cobra.NoArgs,
	}
	sched := &cobra.Command{
		Use:   "refresh-schedule",
		Short: "Show or set the system refresh's schedule (stored; every process follows it)",
		Long: `refresh-schedule shows or sets when the system refresh runs by itself
(segbridge refresh runs it now).

The schedule set here is stored in the database. Every segbridge serve and
segbridge worker reads it on its next cron check (each minute) and follows
it without a restart. A stored schedule wins over serve's and worker's
--refresh-schedule and --time-zone, which apply only until one is stored.`,
		Args: cobra.NoArgs,
	}
	sched.AddCommand(newScheduleShowCmd(g), newScheduleSetCmd(g))
	cmd.AddCommand(sched)
	return cmd
}

type scheduleJSON struct {
	Schedule  string     `json:"schedule"`
	TimeZone  string     `json:"time_zone"`
	Stored    bool       `json:"stored"`
	UpdatedAt *time.Time `json:"updated_at,omitempty"`
	UpdatedBy string     `json:"updated_by,omitempty"`
	NextRun   *time.Time `json:"next_run"`
}

func newScheduleShowCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "show",
		Short: "Show the system refresh's schedule in force and its next run",
		Args:  cobra.NoArgs,
	}
	output := outputFlag(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		return g.withApp(cmd.Context(), func(a *app.App) error {
			in, err := a.Services.System.Schedule(cmd.Context())
			if err != nil {
				return err
			}
			next := in.Schedule.NextRun(time.Now())
			if *output == "json" {
				j := scheduleJSON{Schedule: in.Schedule.Cron, TimeZone: in.Schedule.TimeZone, Stored: in.Stored, UpdatedBy: in.UpdatedBy}
				if in.Stored {
					j.UpdatedAt = &in.UpdatedAt
				}
				if !next.IsZero() {
					j.NextRun = &next
				}
				return writeJSON(g.out, j)
			}
			fmt.Fprintf(g.out, "schedule:  %s (%s)\n", in.Schedule.Cron, in.Schedule.TimeZone)
			if in.Stored {
				fmt.Fprintf(g.out, "stored:    set by %s at %s\n", in.UpdatedBy, in.UpdatedAt.Local().Format("2006-01-02 15:04:05"))
			} else {
				fmt.Fprintf(g.out, "stored:    none: each serve and worker follows its --refresh-schedule (default %q in %s)\n",
					jobs.DefaultRefreshSchedule, jobs.DefaultTimeZone)
			}
			if !next.IsZero() {
				fmt.Fprintf(g.out, "next run:  %s\n", next.Local().Format("2006-01-02 15:04:05 MST"))
			}
			return nil
		})
	}
	return cmd
}

func newScheduleSetCmd(g *globals) *cobra.Command {
	var timeZone string
	cmd := &cobra.Command{
		Use:   "set CRON",
		Short: "Store the system refresh's schedule: a 5-field cron expression (admin)",
		Long: `set stores the system refresh's schedule: a 5-field cron expression
(minute hour day-of-month month day-of-week) in --time-zone (an IANA name
such as Europe/Prague; default UTC). Every serve and worker follows it from
its next cron check (each minute), without a restart; it wins over their
--refresh-schedule and --time-zone.`,
		Example: `  segbridge system refresh-schedule set "0 3 * * *" --time-zone Europe/Prague
  segbridge system refresh-schedule set "30 */6 * * *"`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withApp(cmd.Context(), func(a *app.App) error {
				sc, err := a.Services.System.SetSchedule(cmd.Context(), g.actor, args[0], timeZone)
				if err != nil {
					return err
				}
				fmt.Fprintf(g.out, "refresh schedule stored: %s (%s); every serve and worker follows it from its next check (each minute)\n",
					sc.Cron, sc.TimeZone)
				if next := sc.NextRun(time.Now()); !next.IsZero() {
					fmt.Fprintf(g.out, "next run: %s\n", next.Local().Format("2006-01-02 15:04:05 MST"))
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&timeZone, "time-zone", "UTC", "IANA time zone of the schedule")
	return cmd
}
