package cli

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"segbridge/internal/app"

	"segbridge/internal/profile"
	"segbridge/internal/service"
	"segbridge/internal/store"
)

func newProfilesCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "profiles",
		Short: "Look at imported unified profiles",
	}
	cmd.AddCommand(newProfilesCountCmd(g), newProfilesListCmd(g), newProfilesShowCmd(g), newProfilesSchemaCmd(g))
	return cmd
}

func newProfilesSchemaCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "schema",
		Short: "Show every attribute with its type and how many profiles carry it",
		Long: `schema lists the attributes of the stored profiles: each one's type (string,
integer, decimal, boolean, date, timestamp; mixed when its values do not share
one), how many profiles carry it, and whether the type is pinned (import
--type). Imports keep it current. Segment rules are checked against these
types, and rules and export mappings may only name attributes listed here.`,
		Args: cobra.NoArgs,
	}
	output := outputFlag(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		return g.withApp(cmd.Context(), func(a *app.App) error {
			s, err := a.Store.ProfileSchema(cmd.Context())
			if err != nil {
				return err
			}
			if *output == "json" {
				return writeJSON(g.out, s)
			}
			printSchema(g, s)
			return nil
		})
	}
	return cmd
}

func printSchema(g *globals, s profile.Schema) {
	fmt.Fprintf(g.out, "%d attributes over %d profiles\n", len(s.Attributes), s.Profiles)
	if len(s.Attributes) == 0 {
		return
	}
	tw := tabwriter.NewWriter(g.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ATTRIBUTE\tTYPE\tPROFILES\tNOTE")
	for _, at := range s.Attributes {
		var notes []string
		if at.Pinned {
			notes = append(notes, "pinned")
		}
		if len(at.Values) > 1 {
			notes = append(notes, "values: "+at.ValuesText())
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", at.Name, at.Type, at.Profiles, strings.Join(notes, "; "))
	}
	_ = tw.Flush()
}

func newProfilesCountCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "count",
		Short: "Print the number of stored profiles",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withApp(cmd.Context(), func(a *app.App) error {
				n, err := a.Store.CountProfiles(cmd.Context())
				if err != nil {
					return err
				}
				fmt.Fprintln(g.out, n)
				return nil
			})
		},
	}
}

// profileJSON is the --output json form of a profile.
type profileJSON struct {
	ID        string        `json:"id"`
	Attrs     profile.Attrs `json:"attributes"`
	CreatedAt time.Time     `json:"created_at"`
	UpdatedAt time.Time     `json:"updated_at"`
}

func toJSON(p profile.Profile) profileJSON {
	return profileJSON{ID: p.ID, Attrs: p.Attrs, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
}

func newProfilesListCmd(g *globals) *cobra.Command {
	var opts store.ListOptions
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List profiles in id order, a page at a time",
		Example: `  segbridge profiles list --limit 20
  segbridge profiles list --after C0000020 --output json`,
		Args: cobra.NoArgs,
	}
	output := outputFlag(cmd)
	cmd.Flags().IntVar(&opts.Limit, "limit", 20, "profiles per page (1-1000)")
	cmd.Flags().StringVar(&opts.After, "after", "", "start after this profile id (for the next page)")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if opts.Limit < 1 || opts.Limit > 1000 {
			return fmt.Errorf("--limit %d: want 1 to 1000", opts.Limit)
		}
		return g.withApp(cmd.Context(), func(a *app.App) error {
			ps, err := a.Store.ListProfiles(cmd.Context(), opts)
			if err != nil {
				return err
			}
			if *output == "json" {
				out := make([]profileJSON, len(ps))
				for i, p := range ps {
					out[i] = toJSON(p)
				}
				return writeJSON(g.out, out)
			}
			tw := tabwriter.NewWriter(g.out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tEMAIL\tNAME\tUPDATED")
			for _, p := range ps {
				name := strings.TrimSpace(fmt.Sprint(str(p.Attrs, "first_name"), " ", str(p.Attrs, "last_name")))
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", p.ID, str(p.Attrs, "email"), name, p.UpdatedAt.Format(time.RFC3339))
			}
			return tw.Flush()
		})
	}
	return cmd
}

func str(a profile.Attrs, key string) string {
	if v, ok := a[key]; ok {
		return fmt.Sprint(v)
	}
	return ""
}

func newProfilesShowCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "Show one profile with all its attributes",
		Args:  cobra.ExactArgs(1),
	}
	output := outputFlag(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		return g.withApp(cmd.Context(), func(a *app.App) error {
			p, err := a.Store.GetProfile(cmd.Context(), args[0])
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("no profile with id %q", args[0])
			}
			if err != nil {
				return err
			}
			origins, err := a.Services.Sources.Origins(cmd.Context(), p.ID)
			if err != nil {
				return err
			}
			if *output == "json" {
				j := toJSON(p)
				if origins != nil {
					return writeJSON(g.out, struct {
						profileJSON
						Origins map[string]service.AttributeOrigin `json:"origins"`
					}{j, origins})
				}
				return writeJSON(g.out, j)
			}
			tw := tabwriter.NewWriter(g.out, 0, 4, 2, ' ', 0)
			fmt.Fprintf(tw, "id\t%s\ncreated\t%s\nupdated\t%s\n", p.ID, p.CreatedAt.Format(time.RFC3339), p.UpdatedAt.Format(time.RFC3339))
			keys := make([]string, 0, len(p.Attrs))
			for k := range p.Attrs {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				if o, ok := origins[k]; ok {
					fmt.Fprintf(tw, "%s\t%v\tfrom %s, %s\n", k, p.Attrs[k], o.Source, o.At.Local().Format("2006-01-02 15:04:05"))
					continue
				}
				fmt.Fprintf(tw, "%s\t%v\n", k, p.Attrs[k])
			}
			return tw.Flush()
		})
	}
	return cmd
}
