package cli

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"segbridge/internal/app"
	"segbridge/internal/explain"
	"segbridge/internal/store"
)

func newExplainCmd(g *globals) *cobra.Command {
	var exportName string
	cmd := &cobra.Command{
		Use:   "explain EMAIL",
		Short: "Tell why an e-mail is (not) in Omnisend with an export's tags",
		Long: `explain tells, for each export (or the one --export names), what it does
with an e-mail address and why: the profiles with that address, each of the
export's segments in or out (a rule with the values it read, or whether a
static segment lists the profile), what segbridge last confirmed, the
decisions of the export's last ` + fmt.Sprint(app.ExplainRuns) + ` runs (action, reason, Omnisend's answer,
batch), and the contact as Omnisend shows it now (one request per
connection; said so when Omnisend cannot be reached).`,
		Example: `  segbridge explain jane@example.com
  segbridge explain jane@example.com --export "VIP to Omnisend" --output json`,
		Args: cobra.ExactArgs(1),
	}
	output := outputFlag(cmd)
	cmd.Flags().StringVar(&exportName, "export", "", "only this export (name or id)")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		return g.withApp(cmd.Context(), func(a *app.App) error {
			ex, err := a.Explain(cmd.Context(), args[0], exportName, nil)
			switch {
			case errors.Is(err, store.ErrNotFound):
				return fmt.Errorf("no export named %q (see: segbridge export list)", exportName)
			case err != nil:
				return err
			}
			if *output == "json" {
				return writeJSON(g.out, ex)
			}
			return writeExplain(g.out, ex)
		})
	}
	return cmd
}

func writeExplain(w io.Writer, ex explain.Explanation) error {
	if len(ex.Exports) == 0 {
		_, err := fmt.Fprintf(w, "%s: there is no export.\n", ex.Email)
		return err
	}
	for i, e := range ex.Exports {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "Export %q", e.Export)
		if e.Connection != "" {
			fmt.Fprintf(w, " (connection %s)", e.Connection)
		}
		fmt.Fprintf(w, ": %s: %s.\n", ex.Email, e.Summary)
		writeExplainProfiles(w, e.Profiles)
		switch {
		case e.State == nil:
			fmt.Fprintln(w, "  Confirmed state: none.")
		default:
			what := "confirmed"
			if !e.State.Confirmed {
				what = "never confirmed"
			}
			if e.State.Unsure {
				what += ", unsure (the next run sends it again)"
			}
			fmt.Fprintf(w, "  Confirmed state: profile %s, tags %q, %s.\n", e.State.ProfileID, e.State.Tags, what)
		}
		if err := writeDecisions(w, e.Decisions); err != nil {
			return err
		}
		writeOmnisendContact(w, e)
	}
	return nil
}

func writeExplainProfiles(w io.Writer, ps []explain.Profile) {
	if len(ps) == 0 {
		fmt.Fprintln(w, "  No profile has this e-mail.")
	}
	for _, p := range ps {
		fmt.Fprintf(w, "  Profile %s: %s.\n", p.ID, p.Note)
		for _, s := range p.Segments {
			in := "out"
			if s.In {
				in = "in"
			}
			fmt.Fprintf(w, "    %s %q (%s, tag %q): %s.\n", in, s.Name, s.Kind, s.Tag, s.Why)
			if s.Rule != "" {
				fmt.Fprintf(w, "      rule: %s\n", strings.Join(strings.Fields(s.Rule), " "))
			}
			for _, k := range slices.Sorted(maps.Keys(s.Values)) {
				fmt.Fprintf(w, "      %s = %#v\n", k, s.Values[k])
			}
			for _, k := range s.Missing {
				fmt.Fprintf(w, "      %s: absent\n", k)
			}
		}
	}
}

func writeDecisions(w io.Writer, ds []explain.Decision) error {
	if len(ds) == 0 {
		_, err := fmt.Fprintf(w, "  No decision in the last %d runs.\n", app.ExplainRuns)
		return err
	}
	fmt.Fprintln(w, "  Decisions (newest first):")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "    RUN\tWHEN\tACTION\tSTATUS\tREASON\tTAGS\tBATCH\tOMNISEND SAID")
	for _, d := range ds {
		fmt.Fprintf(tw, "    %d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", d.Run, fmtTime(d.When), d.Action, d.Status, d.Reason,
			strings.Join(d.Tags, ", "), d.BatchID, d.Message)
	}
	return tw.Flush()
}

func writeOmnisendContact(w io.Writer, e explain.Export) {
	c := e.Omnisend
	if c == nil {
		fmt.Fprintf(w, "  Omnisend: %s.\n", e.OmnisendNote)
		return
	}
	fmt.Fprintf(w, "  Omnisend: contact %s, %s", c.ID, c.Status)
	if c.StatusDate != "" {
		fmt.Fprintf(w, " since %s", c.StatusDate)
	}
	fmt.Fprintf(w, ", tags %q", c.Tags)
	var fields []string
	for _, kv := range [][2]string{{"first name", c.FirstName}, {"last name", c.LastName}, {"city", c.City},
		{"postal code", c.PostalCode}, {"country", c.CountryCode + c.Country}} {
		if kv[1] != "" {
			fields = append(fields, kv[0]+" "+kv[1])
		}
	}
	if len(fields) > 0 {
		fmt.Fprintf(w, ", %s", strings.Join(fields, ", "))
	}
	fmt.Fprintln(w, ".")
}
