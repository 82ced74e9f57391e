package cli

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"segbridge/internal/app"

	"segbridge/internal/connection"
	"segbridge/internal/service"
)

func newConnectionListCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List connections with their brand, access and the end of their key",
		Args:  cobra.NoArgs,
	}
	output := outputFlag(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		return g.withApp(cmd.Context(), func(a *app.App) error {
			conns, err := a.Store.ListConnections(cmd.Context())
			if err != nil {
				return err
			}
			if *output == "json" {
				if conns == nil {
					conns = []connection.Connection{}
				}
				return writeJSON(g.out, conns)
			}
			tw := tabwriter.NewWriter(g.out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tBRAND\tACCESS\tKEY\tCHECKED")
			for _, c := range conns {
				fmt.Fprintf(tw, "%s\t%s\t%s\t…%s\t%s\n", c.Name, brandLabel(c), c.Access, c.KeyLast4, when(c.CheckedAt))
			}
			return tw.Flush()
		})
	}
	return cmd
}

func newConnectionShowCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "show NAME",
		Short: "Show a connection (never its key, only the key's last 4 characters)",
		Args:  cobra.ExactArgs(1),
	}
	output := outputFlag(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		return g.withApp(cmd.Context(), func(a *app.App) error {
			c, err := findConnection(cmd, a, args[0])
			if err != nil {
				return err
			}
			if *output == "json" {
				return writeJSON(g.out, c)
			}
			tw := tabwriter.NewWriter(g.out, 0, 4, 2, ' ', 0)
			for _, row := range [][2]string{
				{"name", c.Name}, {"id", fmt.Sprint(c.ID)}, {"brand", brandLabel(c)}, {"access", accessText(c.Access)},
				{"api key", "…" + c.KeyLast4}, {"dialect", string(c.Dialect)}, {"base url", c.BaseURL},
				{"tagging", string(c.Tagging)},
				{"export user", c.ExportUser}, {"checked", when(c.CheckedAt)},
				{"consent", fmt.Sprintf("%s agreed to notice %s at %s", c.Consent.By, c.Consent.NoticeVersion, when(c.Consent.At))},
				{"created", when(c.CreatedAt)}, {"updated", when(c.UpdatedAt)},
			} {
				fmt.Fprintf(tw, "%s:\t%s\n", row[0], row[1])
			}
			return tw.Flush()
		})
	}
	return cmd
}

func newConnectionCheckCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "check NAME",
		Short: "Check a connection's stored key against Omnisend again",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withApp(cmd.Context(), func(a *app.App) error {
				c, err := a.Services.Connections.Check(cmd.Context(), g.actor, args[0])
				if _, ok := service.AsError(err); err != nil && !ok {
					return fmt.Errorf("connection %q: %w", c.Name, err)
				}
				if err != nil {
					return err
				}
				fmt.Fprintf(g.out, "connection %q works: Omnisend brand %s, key …%s, checked %s\n",
					c.Name, brandLabel(c), c.KeyLast4, when(c.CheckedAt))
				return nil
			})
		},
	}
}

func newConnectionRemoveCmd(g *globals) *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:   "remove NAME --yes",
		Short: "Remove a connection and its stored key",
		Long: `remove deletes a connection and its stored API key. Exports that use it are
kept with their settings but detached: they stop running and say why.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !yes {
				return fmt.Errorf("removing connection %q detaches the exports that use it (they keep their settings but stop running); pass --yes to remove it", args[0])
			}
			return g.withApp(cmd.Context(), func(a *app.App) error {
				c, detached, err := a.Services.Connections.Remove(cmd.Context(), g.actor, args[0])
				if err != nil {
					return err
				}
				fmt.Fprintf(g.out, "removed connection %q (brand %s)\n", c.Name, brandLabel(c))
				if detached > 0 {
					fmt.Fprintf(g.out, "%d export(s) that used it are kept, detached: they no longer run\n", detached)
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&yes, "yes", false, "really remove it")
	return cmd
}

func brandLabel(c connection.Connection) string {
	b := connection.Brand{ID: c.BrandID, Name: c.BrandName}
	if b.Name == "" || b.Name == b.ID {
		return b.Label()
	}
	return b.Name + " (" + b.ID + ")"
}

func when(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.Local().Format("2006-01-02 15:04:05")
}
