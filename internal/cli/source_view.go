package cli

import (
	"fmt"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"segbridge/internal/app"
	"segbridge/internal/source"
)

func newSourceListCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the sources with their last read",
		Args:  cobra.NoArgs,
	}
	output := outputFlag(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		return g.withApp(cmd.Context(), func(a *app.App) error {
			list, err := a.Store.ListSources(cmd.Context())
			if err != nil {
				return err
			}
			if *output == "json" {
				if list == nil {
					list = []source.Source{}
				}
				return writeJSON(g.out, list)
			}
			if len(list) == 0 {
				fmt.Fprintln(g.out, "no sources yet; add one with: segbridge source create")
				return nil
			}
			tw := tabwriter.NewWriter(g.out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tKIND\tPRIORITY\tLAST READ\tSTATUS\tREADS")
			for _, s := range list {
				fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\n", s.Name, s.Kind, s.Priority, readAt(s.State.ReadAt), statusOf(s), s.Where())
			}
			return tw.Flush()
		})
	}
	return cmd
}

func readAt(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.Local().Format("2006-01-02 15:04:05")
}

func statusOf(s source.Source) string {
	if s.State.Status == "" {
		return "-"
	}
	return s.State.Status
}

func newSourceShowCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "show NAME",
		Short: "Show a source's settings and last read (never its secret)",
		Args:  cobra.ExactArgs(1),
	}
	output := outputFlag(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		return g.withApp(cmd.Context(), func(a *app.App) error {
			s, err := a.Services.Sources.Get(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if *output == "json" {
				return writeJSON(g.out, s)
			}
			tw := tabwriter.NewWriter(g.out, 0, 4, 2, ' ', 0)
			fmt.Fprintf(tw, "name\t%s\nkind\t%s\nreads\t%s\n", s.Name, s.Kind, s.Where())
			fmt.Fprintf(tw, "id column\t%s\ne-mail column\t%s\nmatch\t%s\npriority\t%d\noptional\t%t\n",
				s.IDColumn, dash(s.EmailColumn), s.Match, s.Priority, s.Optional)
			if s.Cursor != "" {
				fmt.Fprintf(tw, "cursor\t%s\n", s.Cursor)
			}
			if s.Schedule != "" {
				fmt.Fprintf(tw, "schedule\t%s\n", s.Schedule)
			}
			names := make([]string, 0, len(s.Types))
			for n := range s.Types {
				names = append(names, n)
			}
			sort.Strings(names)
			for _, n := range names {
				fmt.Fprintf(tw, "type\t%s=%s\n", n, s.Types[n])
			}
			secret := "none"
			if s.HasSecret {
				secret = "stored encrypted"
			}
			fmt.Fprintf(tw, "secret\t%s\nlast read\t%s\nstatus\t%s\n", secret, readAt(s.State.ReadAt), statusOf(s))
			if s.State.Message != "" {
				fmt.Fprintf(tw, "message\t%s\n", s.State.Message)
			}
			fmt.Fprintf(tw, "rows last time\t%d\n", s.State.Rows)
			if c := s.State.Cursor; c != nil {
				fmt.Fprintf(tw, "cursor at\t%s\n", c.Value)
			}
			return tw.Flush()
		})
	}
	return cmd
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
