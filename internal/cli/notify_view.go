package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"segbridge/internal/app"
	"segbridge/internal/notify"
	"segbridge/internal/store"
)

// channelJSON is a channel in --output json: never a secret.
type channelJSON struct {
	ID            int64        `json:"id"`
	Name          string       `json:"name"`
	Kind          string       `json:"kind"`
	Events        string       `json:"events"`
	Target        string       `json:"target"`
	SMTP          *notify.SMTP `json:"smtp,omitempty"`
	Status        string       `json:"status"`
	Failures      int          `json:"failures"`
	LastError     string       `json:"last_error,omitempty"`
	LastAttemptAt *time.Time   `json:"last_attempt_at,omitempty"`
	LastSuccessAt *time.Time   `json:"last_success_at,omitempty"`
	CreatedAt     time.Time    `json:"created_at"`
}

func toChannelJSON(c notify.Channel) channelJSON {
	j := channelJSON{ID: c.ID, Name: c.Name, Kind: string(c.Kind), Events: c.Events.String(), Target: c.Target,
		Status: c.Health.Status(), Failures: c.Health.Failures, LastError: c.Health.LastError,
		LastAttemptAt: timePtr(c.Health.LastAttemptAt), LastSuccessAt: timePtr(c.Health.LastSuccessAt), CreatedAt: c.CreatedAt}
	if c.Kind == notify.KindEmail {
		s := c.SMTP
		j.SMTP = &s
	}
	return j
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func newNotifyChannelListCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "list", Short: "List channels with their status (ok, failing, new)", Args: cobra.NoArgs}
	output := outputFlag(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		return g.withApp(cmd.Context(), func(a *app.App) error {
			cs, err := a.Notify.Channels(cmd.Context())
			if err != nil {
				return err
			}
			if *output == "json" {
				out := []channelJSON{}
				for _, c := range cs {
					out = append(out, toChannelJSON(c))
				}
				return writeJSON(g.out, out)
			}
			if len(cs) == 0 {
				fmt.Fprintln(g.out, "no channels yet (add one: segbridge notify channel create --help)")
				return nil
			}
			tw := tabwriter.NewWriter(g.out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tKIND\tEVENTS\tSTATUS\tLAST SUCCESS\tTARGET")
			for _, c := range cs {
				status := c.Health.Status()
				if c.Health.Failing {
					status = fmt.Sprintf("failing (%d in a row: %s)", c.Health.Failures, c.Health.LastError)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", c.Name, c.Kind, c.Events, status, when(c.Health.LastSuccessAt), c.Target)
			}
			return tw.Flush()
		})
	}
	return cmd
}

func newNotifyChannelRemoveCmd(g *globals) *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:   "remove NAME --yes",
		Short: "Remove a channel, its rules and its delivery history",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !yes {
				return fmt.Errorf("removing channel %q also removes the rules that notify only it and its delivery history; pass --yes to remove it", args[0])
			}
			return g.withApp(cmd.Context(), func(a *app.App) error {
				c, err := a.Services.Notify.RemoveChannel(cmd.Context(), g.actor, args[0])
				if err != nil {
					return channelError(args[0], err)
				}
				fmt.Fprintf(g.out, "removed %s channel %q\n", c.Kind, c.Name)
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&yes, "yes", false, "really remove it")
	return cmd
}

func channelError(name string, err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no notification channel named %q (see: segbridge notify channel list)", name)
	}
	return err
}

func newNotifyTestCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "test NAME",
		Short: "Send a test notification to a channel now and show the answer",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withNotify(cmd.Context(), func(a *app.App) error {
				at, err := a.Services.Notify.TestChannel(cmd.Context(), g.actor, args[0])
				if err != nil {
					return channelError(args[0], err)
				}
				if !at.OK {
					return fmt.Errorf("test of channel %q failed: %s", args[0], at.Error)
				}
				fmt.Fprintf(g.out, "delivered to %q: answer %d in %s\n", args[0], at.Code, at.Duration.Round(time.Millisecond))
				return nil
			})
		},
	}
}

// ruleJSON is a rule in --output json.
type ruleJSON struct {
	ID              int64   `json:"id"`
	Kind            string  `json:"kind"`
	Export          string  `json:"export,omitempty"`
	Channel         string  `json:"channel,omitempty"`
	Percent         float64 `json:"percent,omitempty"`
	Count           int     `json:"count,omitempty"`
	DurationSeconds float64 `json:"duration_seconds,omitempty"`
	Threshold       string  `json:"threshold,omitempty"`
}

func newNotifyRuleCreateCmd(g *globals) *cobra.Command {
	var d notify.RuleDraft
	cmd := &cobra.Command{
		Use:   "create KIND [--export NAME] [--channel NAME] [--percent N] [--count N] [--duration T]",
		Short: "Add a rule: what to watch, for one export or all, and which channel to tell",
		Long: `Kinds: run_failed, run_held, key_rejected, source_failed (no threshold);
contacts_rejected (--percent of the contacts a successful run sent, and/or
--count; either crossed fires it); members_changed (--percent against the
average of the export's last 5 successful runs); run_slow (--duration).
Without --export the rule watches every export (each on its own); without
--channel it tells every channel that takes alerts.`,
		Example: `  segbridge notify rule create contacts_rejected --percent 5 --count 500
  segbridge notify rule create members_changed --percent 30 --export "VIP buyers" --channel ops
  segbridge notify rule create run_slow --duration 45m`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			d.Kind = notify.RuleKind(args[0])
			if err := d.Validate(); err != nil {
				return notifyError(err)
			}
			return g.withApp(cmd.Context(), func(a *app.App) error {
				r, err := a.Services.Notify.CreateRule(cmd.Context(), g.actor, d)
				if err != nil {
					return notifyError(err)
				}
				fmt.Fprintf(g.out, "saved rule %d: %s\n", r.ID, describeRule(r, d.Export, d.Channel))
				return nil
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&d.Export, "export", "", "watch only this export (default: every export)")
	fl.StringVar(&d.Channel, "channel", "", "tell only this channel (default: every channel that takes alerts)")
	fl.Float64Var(&d.Percent, "percent", 0, "threshold in percent (contacts_rejected, members_changed)")
	fl.IntVar(&d.Count, "count", 0, "threshold in contacts (contacts_rejected)")
	fl.DurationVar(&d.Duration, "duration", 0, "threshold duration (run_slow), such as 30m")
	return cmd
}

// describeRule says a rule in words.
func describeRule(r notify.Rule, exportName, channelName string) string {
	s := r.Kind.Label()
	if t := r.Threshold(); t != "" {
		s += " " + t
	}
	if exportName == "" {
		exportName = "every export"
	} else {
		exportName = "export " + strconv.Quote(exportName)
	}
	if channelName == "" {
		channelName = "every channel"
	} else {
		channelName = "channel " + strconv.Quote(channelName)
	}
	return s + ", on " + exportName + " → " + channelName
}

// ruleNames maps the rules' export and channel ids to names.
func ruleNames(ctx context.Context, a *app.App) (exports, channels map[int64]string, err error) {
	exports, channels = map[int64]string{}, map[int64]string{}
	es, err := a.Store.ListExports(ctx)
	if err != nil {
		return nil, nil, err
	}
	for _, e := range es {
		exports[e.ID] = e.Name
	}
	cs, err := a.Notify.Channels(ctx)
	if err != nil {
		return nil, nil, err
	}
	for _, c := range cs {
		channels[c.ID] = c.Name
	}
	return exports, channels, nil
}

func newNotifyRuleListCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "list", Short: "List rules", Args: cobra.NoArgs}
	output := outputFlag(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		return g.withApp(cmd.Context(), func(a *app.App) error {
			rules, err := a.Notify.Rules(cmd.Context())
			if err != nil {
				return err
			}
			exports, channels, err := ruleNames(cmd.Context(), a)
			if err != nil {
				return err
			}
			if *output == "json" {
				out := []ruleJSON{}
				for _, r := range rules {
					out = append(out, ruleJSON{ID: r.ID, Kind: string(r.Kind), Export: exports[r.ExportID], Channel: channels[r.ChannelID],
						Percent: r.Percent, Count: r.Count, DurationSeconds: r.Duration.Seconds(), Threshold: r.Threshold()})
				}
				return writeJSON(g.out, out)
			}
			if len(rules) == 0 {
				fmt.Fprintln(g.out, "no rules (add one: segbridge notify rule create --help)")
				return nil
			}
			tw := tabwriter.NewWriter(g.out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tRULE")
			for _, r := range rules {
				fmt.Fprintf(tw, "%d\t%s\n", r.ID, describeRule(r, exports[r.ExportID], channels[r.ChannelID]))
			}
			return tw.Flush()
		})
	}
	return cmd
}

func newNotifyRuleRemoveCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "remove ID",
		Short: "Remove a rule (see the ids: segbridge notify rule list)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil || id < 1 {
				return fmt.Errorf("rule %q: want the rule's id (see: segbridge notify rule list)", args[0])
			}
			return g.withApp(cmd.Context(), func(a *app.App) error {
				err := a.Services.Notify.RemoveRule(cmd.Context(), g.actor, id)
				if errors.Is(err, store.ErrNotFound) {
					return fmt.Errorf("no rule %d (see: segbridge notify rule list)", id)
				}
				if err != nil {
					return err
				}
				fmt.Fprintf(g.out, "removed rule %d\n", id)
				return nil
			})
		},
	}
}

// deliveryJSON is a delivery in --output json.
type deliveryJSON struct {
	ID             int64         `json:"id"`
	Channel        string        `json:"channel"`
	NotificationID string        `json:"notification_id"`
	Event          string        `json:"event"`
	Summary        string        `json:"summary"`
	RunID          int64         `json:"run_id,omitempty"`
	Status         string        `json:"status"`
	Attempts       int           `json:"attempts"`
	NextAttemptAt  *time.Time    `json:"next_attempt_at,omitempty"`
	LastError      string        `json:"last_error,omitempty"`
	CreatedAt      time.Time     `json:"created_at"`
	FinishedAt     *time.Time    `json:"finished_at,omitempty"`
	History        []attemptJSON `json:"history"`
}

type attemptJSON struct {
	At         time.Time `json:"at"`
	DurationMS int64     `json:"duration_ms"`
	Code       int       `json:"code,omitempty"`
	Response   string    `json:"response,omitempty"`
	Error      string    `json:"error,omitempty"`
	OK         bool      `json:"ok"`
}

func toDeliveryJSON(d notify.Delivery) deliveryJSON {
	j := deliveryJSON{ID: d.ID, Channel: d.Channel, NotificationID: d.NotificationID, Event: d.Event, Summary: d.Summary,
		RunID: d.RunID, Status: string(d.Status), Attempts: d.Attempts, LastError: d.LastError, CreatedAt: d.CreatedAt,
		FinishedAt: timePtr(d.FinishedAt), History: []attemptJSON{}}
	if d.Status == notify.DeliveryPending {
		j.NextAttemptAt = timePtr(d.NextAttempt)
	}
	for _, a := range d.History {
		j.History = append(j.History, attemptJSON{At: a.At, DurationMS: a.Duration.Milliseconds(), Code: a.Code,
			Response: a.Response, Error: a.Error, OK: a.OK})
	}
	return j
}

func newNotifyDeliveriesCmd(g *globals) *cobra.Command {
	var limit int
	cmd := &cobra.Command{
		Use:   "deliveries [CHANNEL]",
		Short: "Show the delivery history, newest first: every notification, its attempts and the answers",
		Args:  cobra.MaximumNArgs(1),
	}
	output := outputFlag(cmd)
	cmd.Flags().IntVar(&limit, "limit", 20, "how many deliveries (1 to 500)")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if limit < 1 || limit > 500 {
			return fmt.Errorf("--limit %d: want 1 to 500", limit)
		}
		channel := ""
		if len(args) == 1 {
			channel = args[0]
		}
		return g.withApp(cmd.Context(), func(a *app.App) error {
			ds, err := a.Notify.Deliveries(cmd.Context(), channel, notify.DeliveryFilter{Limit: limit})
			if err != nil {
				return channelError(channel, err)
			}
			if *output == "json" {
				out := []deliveryJSON{}
				for _, d := range ds {
					out = append(out, toDeliveryJSON(d))
				}
				return writeJSON(g.out, out)
			}
			if len(ds) == 0 {
				fmt.Fprintln(g.out, "no deliveries yet")
				return nil
			}
			tw := tabwriter.NewWriter(g.out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "WHEN\tCHANNEL\tEVENT\tSTATUS\tATTEMPTS\tLAST ANSWER\tSUMMARY")
			for _, d := range ds {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", when(d.CreatedAt), d.Channel, d.Event, deliveryStatus(d),
					d.Attempts, lastAnswer(d), d.Summary)
			}
			return tw.Flush()
		})
	}
	return cmd
}

func deliveryStatus(d notify.Delivery) string {
	if d.Status == notify.DeliveryPending && d.Attempts > 0 {
		return "retrying at " + when(d.NextAttempt)
	}
	return string(d.Status)
}

func lastAnswer(d notify.Delivery) string {
	if len(d.History) == 0 {
		return "-"
	}
	a := d.History[len(d.History)-1]
	if a.OK {
		return fmt.Sprintf("%d in %s", a.Code, a.Duration.Round(time.Millisecond))
	}
	return a.Error
}
