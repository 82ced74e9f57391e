package cli

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"segbridge/internal/app"
	"segbridge/internal/readback"
	"segbridge/internal/service"
)

func newExportVerifyCmd(g *globals) *cobra.Command {
	var repair string
	cmd := &cobra.Command{
		Use:   "verify NAME",
		Short: "Read the export's contacts back from Omnisend and report what drifted",
		Long: `verify lists the contacts that carry the export's segment tags in Omnisend
and compares them with what segbridge last confirmed: contacts deleted in
Omnisend, tags removed there, contacts or tags added there that segbridge
never set, and mapped fields that differ. It first prints its cost (the list
requests it makes, 250 contacts each) and then each finding with its e-mail
and kind. It only reads, so it asks for no confirmation.

With --repair all it also marks the drifted contacts so that the export's
next run repairs them with the fewest requests: members are sent again,
everyone else untagged. Unsubscribes it reads are written onto the profiles
(omnisend_email_status, omnisend_email_status_at).`,
		Example: `  segbridge export verify "VIP to Omnisend"
  segbridge export verify "VIP to Omnisend" --repair all && segbridge export run "VIP to Omnisend"`,
		Args: cobra.ExactArgs(1),
	}
	output := outputFlag(cmd)
	cmd.Flags().StringVar(&repair, "repair", "report", "report (only list the findings) or all (the next run repairs every finding)")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if repair != "report" && repair != "all" {
			return fmt.Errorf("--repair %q: want all or report", repair)
		}
		return g.withApp(cmd.Context(), func(a *app.App) error {
			ex, err := a.Services.Exports.Get(cmd.Context(), g.actor, args[0])
			if err != nil {
				return runError(err, args[0])
			}
			costTo := g.out
			if *output == "json" {
				costTo = g.errOut
			}
			res, err := a.Services.Runs.Verify(cmd.Context(), g.actor, ex.Name, service.VerifyOptions{
				Repair: repair == "all",
				OnEstimate: func(est readback.Estimate) error {
					_, err := fmt.Fprintf(costTo, "Verifying %q: %s.\n", ex.Name, est.Text())
					return err
				},
			})
			if err != nil {
				return runError(err, args[0])
			}
			if *output == "json" {
				return writeJSON(g.out, res)
			}
			return writeVerify(g.out, res, repair == "all")
		})
	}
	return cmd
}

// writeVerify prints a verify's findings and what follows from them.
func writeVerify(w io.Writer, res service.VerifyResult, repaired bool) error {
	if len(res.Findings) > 0 {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "EMAIL\tKIND\tDETAIL")
		for _, f := range res.Findings {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", f.Email, f.Kind, f.Text())
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	fmt.Fprintf(w, "%s among %d contacts read from Omnisend; %d requests.\n", findingsText(res.Report), res.Listed, res.Requests)
	if res.Estimate.Unsure > 0 {
		fmt.Fprintf(w, "%d contacts were not compared: their last batch has no known outcome, so the next run sends them again anyway.\n", res.Estimate.Unsure)
	}
	if n := len(res.Unsubscribed); n > 0 {
		fmt.Fprintf(w, "Omnisend shows %d of them unsubscribed: written onto %d profiles (%d changed).\n", n, res.Statuses.Profiles, res.Statuses.Updated)
	}
	switch {
	case len(res.Findings) == 0:
	case repaired:
		fmt.Fprintf(w, "Marked %d contacts for repair: the export's next run fixes them (segbridge export run %q).\n", res.Repaired, res.Export)
	default:
		fmt.Fprintf(w, "Report only; to repair: segbridge export verify %q --repair all\n", res.Export)
	}
	return nil
}

func findingsText(r readback.Report) string {
	if len(r.Findings) == 0 {
		return "No drift"
	}
	counts := r.Counts()
	parts := make([]string, 0, len(counts))
	for _, k := range slices.Sorted(maps.Keys(counts)) {
		parts = append(parts, fmt.Sprintf("%d %s", counts[k], k))
	}
	return fmt.Sprintf("%d findings (%s)", len(r.Findings), strings.Join(parts, ", "))
}

func newConnectionSyncCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sync-unsubscribes NAME",
		Short: "Write the unsubscribes made in Omnisend onto the profiles",
		Long: `sync-unsubscribes asks the connection's Omnisend brand which contacts
changed since the last check (the first check, and every check on the v3
API, reads every unsubscribed contact instead) and writes their e-mail
status onto the profiles with that address, as the attributes
omnisend_email_status and omnisend_email_status_at; nothing else of a
profile changes. Rules can use them, and no consent mapping sends a status
that would lift a later unsubscribe. Every system refresh does this for
every connection before it refreshes the segments.`,
		Args: cobra.ExactArgs(1),
	}
	output := outputFlag(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		return g.withApp(cmd.Context(), func(a *app.App) error {
			res, err := a.Services.Connections.SyncUnsubscribes(cmd.Context(), g.actor, args[0])
			if err != nil {
				return err
			}
			if *output == "json" {
				return writeJSON(g.out, res)
			}
			since := "every unsubscribed contact"
			if !res.Since.IsZero() {
				since = "contacts updated since " + res.Since.Local().Format(time.DateTime)
			}
			_, err = fmt.Fprintf(g.out, "Read %s of %q: %d statuses, %d unsubscribed, in %d requests; %d profiles have those addresses, %d changed.\n",
				since, res.Connection, res.Statuses, res.Unsubscribed, res.Requests, res.Profiles.Profiles, res.Profiles.Updated)
			return err
		})
	}
	return cmd
}
