package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"segbridge/internal/app"
	"segbridge/internal/export"
)

func newExportCreateCmd(g *globals) *cobra.Command {
	f := &exportFlags{}
	cmd := &cobra.Command{
		Use:   "create NAME --connection C --segment S [--segment S2 ...] --map email=ATTRIBUTE [flags]",
		Short: "Define an export (saving never runs it)",
		Long: `create saves an export definition: where it sends (--connection), which
segments (--segment, repeatable), how profile attributes fill Omnisend contact
fields (--map FIELD=ATTRIBUTE, --custom PROPERTY=ATTRIBUTE, --consent), the tag
prefix, what happens to people who leave, the schedule and the profile cap.
E-mail is the only required field. Saving never runs the export.

Subscription statuses follow --consent-policy. keep (the default) never sends
one: contacts in Omnisend keep theirs, new ones start nonSubscribed. opt-ins
sends the status of --consent ATTRIBUTE:DATE when it is subscribed, with its
date; mirror sends it when it is subscribed or unsubscribed, with its date
(Omnisend keeps the latest-dated status). nonSubscribed, undated statuses
and dates in the future are never sent (docs/consent.md).`,
		Example: `  segbridge export create "Weekly VIPs" --connection "Main shop" --segment "VIP buyers" \
      --map email=email --map first_name=first_name --map country=country_code \
      --custom lifetime_value=ltv --consent email_consent:email_consent_at --consent-policy opt-ins \
      --schedule "cron:0 3 * * 1" --time-zone Europe/Prague`,
		Args: cobra.ExactArgs(1),
	}
	f.register(cmd, true)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		return g.withApp(cmd.Context(), func(a *app.App) error {
			if !cmd.Flags().Changed("connection") {
				return errors.New("an export needs a connection: pass --connection NAME (see: segbridge connection list)")
			}
			in, err := f.input(cmd, export.Export{})
			if err != nil {
				return err
			}
			in.Name = args[0]
			if in.Mapping == nil {
				in.Mapping = &export.Mapping{}
			}
			saved, err := a.Services.Exports.Create(cmd.Context(), g.actor, in)
			if err != nil {
				return exportError(err)
			}
			fmt.Fprintf(g.out, "saved export %q: %d segment(s) to connection %q, %s\n",
				saved.Name, len(saved.Segments), saved.ConnectionName, saved.Schedule)
			fmt.Fprintln(g.out, notRunYet(saved))
			return nil
		})
	}
	return cmd
}

// notRunYet says that saving did not run the export, and how to run it.
func notRunYet(e export.Export) string {
	return fmt.Sprintf("it has not run: saving never runs an export; run it with: segbridge export run %q", e.Name)
}

func newExportUpdateCmd(g *globals) *cobra.Command {
	f := &exportFlags{}
	cmd := &cobra.Command{
		Use:   "update NAME [flags]",
		Short: "Change an export; only the flags given change (saving never runs it)",
		Long: `update changes only what the flags say. --segment replaces the whole segment
list; --map and --custom change the named fields (an empty attribute removes
an optional one); --consent "" removes the consent mapping. --connection
re-attaches a detached export.`,
		Example: `  segbridge export update "Weekly VIPs" --map phone=mobile --custom tier=
  segbridge export update "Weekly VIPs" --schedule manual
  segbridge export update "Weekly VIPs" --segment "VIP buyers" --segment Lapsed --leave keep`,
		Args: cobra.ExactArgs(1),
	}
	f.register(cmd, false)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		return g.withApp(cmd.Context(), func(a *app.App) error {
			if cmd.Flags().NFlag() == 0 {
				return fmt.Errorf("nothing to change: pass the flags to change (see: segbridge export update --help)")
			}
			e, err := a.Services.Exports.Get(cmd.Context(), g.actor, args[0])
			if err != nil {
				return exportError(err)
			}
			in, err := f.input(cmd, e)
			if err != nil {
				return err
			}
			saved, err := a.Services.Exports.Update(cmd.Context(), g.actor, args[0], in)
			if err != nil {
				return exportError(err)
			}
			fmt.Fprintf(g.out, "updated export %q (not run: saving never runs an export)\n", saved.Name)
			return nil
		})
	}
	return cmd
}

func newExportRemoveCmd(g *globals) *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:   "remove NAME --yes",
		Short: "Remove an export definition",
		Long: `remove deletes an export definition. Contacts it sent stay in Omnisend with
their tags; nothing is sent to Omnisend.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !yes {
				return fmt.Errorf("pass --yes to remove export %q (its contacts stay in Omnisend with their tags)", args[0])
			}
			return g.withApp(cmd.Context(), func(a *app.App) error {
				e, err := a.Services.Exports.Delete(cmd.Context(), g.actor, args[0])
				if err != nil {
					return exportError(err)
				}
				fmt.Fprintf(g.out, "removed export %q; its contacts stay in Omnisend with their tags\n", e.Name)
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&yes, "yes", false, "really remove it")
	return cmd
}
