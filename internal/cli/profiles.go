package cli

import (
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
	cmd.AddCommand(newProfilesCountCmd(g), newProfilesListCmd(g), newProfilesShowCmd(g), newProfilesSchemaCmd(g), newProfilesImportsCmd(g))
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
	var q service.ProfileQuery
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List or search profiles, a page at a time",
		Long: `list prints profiles a page at a time: in id order (--after pages on), or
matching a search with its total and the cursors of the pages before and after.

--search matches an id prefix, an e-mail prefix (any case) or, with --by value,
an attribute whose whole value is the search (any case). Without --by, a search
with an @ matches e-mails; any other matches ids, then e-mails when no id does.
Id and e-mail searches use an index; a value search reads the profiles, and its
total stops at 1,000 ("more than 1,000"). With --search, --by or --cursor the
--output json form is an object: profiles, by, next_cursor, prev_cursor, total.`,
		Example: `  segbridge profiles list --limit 20
  segbridge profiles list --after C0000020 --output json
  segbridge profiles list --search jane@ --limit 10
  segbridge profiles list --search Vilnius --by value
  segbridge profiles list --search C00 --cursor eyJkIjoibiIs...`,
		Args: cobra.NoArgs,
	}
	output := outputFlag(cmd)
	cmd.Flags().IntVar(&opts.Limit, "limit", 20, "profiles per page (1-1000; with a search 1-200)")
	cmd.Flags().StringVar(&opts.After, "after", "", "start after this profile id (for the next page in id order)")
	cmd.Flags().StringVar(&q.Q, "search", "", "an id or e-mail prefix, or a value with --by value")
	cmd.Flags().StringVar(&q.By, "by", "", "what --search matches: id, email or value")
	cmd.Flags().StringVar(&q.Cursor, "cursor", "", "the page a previous search printed (next or previous)")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if q.Q != "" || q.By != "" || q.Cursor != "" {
			if opts.After != "" {
				return fmt.Errorf("--after pages in id order only; page a search with --cursor")
			}
			q.Limit = opts.Limit
			return g.withApp(cmd.Context(), func(a *app.App) error {
				return searchProfiles(cmd, g, a, q, *output)
			})
		}
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
			return printProfiles(g, ps)
		})
	}
	return cmd
}

func printProfiles(g *globals, ps []profile.Profile) error {
	tw := tabwriter.NewWriter(g.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tEMAIL\tNAME\tUPDATED")
	for _, p := range ps {
		name := strings.TrimSpace(fmt.Sprint(str(p.Attrs, "first_name"), " ", str(p.Attrs, "last_name")))
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", p.ID, str(p.Attrs, "email"), name, p.UpdatedAt.Format(time.RFC3339))
	}
	return tw.Flush()
}

// searchProfiles prints a page of a search, its total and the cursors.
func searchProfiles(cmd *cobra.Command, g *globals, a *app.App, q service.ProfileQuery, output string) error {
	page, err := a.Services.Profiles.Search(cmd.Context(), g.actor, q)
	if err != nil {
		return err
	}
	if output == "json" {
		out := struct {
			Profiles   []profileJSON `json:"profiles"`
			By         string        `json:"by"`
			NextCursor string        `json:"next_cursor,omitempty"`
			PrevCursor string        `json:"prev_cursor,omitempty"`
			Total      int           `json:"total"`
			TotalMore  bool          `json:"total_more,omitempty"`
		}{Profiles: make([]profileJSON, len(page.Profiles)), By: page.By, NextCursor: page.Next, PrevCursor: page.Prev,
			Total: page.Total, TotalMore: page.TotalMore}
		for i, p := range page.Profiles {
			out.Profiles[i] = toJSON(p)
		}
		return writeJSON(g.out, out)
	}
	if err := printProfiles(g, page.Profiles); err != nil {
		return err
	}
	by := map[string]string{"id": "ids", "email": "e-mails", "value": "attribute values"}[page.By]
	fmt.Fprintf(g.out, "%d shown of %s matching by %s\n", len(page.Profiles), page.TotalText(), by)
	if page.Prev != "" {
		fmt.Fprintf(g.out, "previous page: --cursor %s\n", page.Prev)
	}
	if page.Next != "" {
		fmt.Fprintf(g.out, "next page: --cursor %s\n", page.Next)
	}
	return nil
}

func newProfilesImportsCmd(g *globals) *cobra.Command {
	var before int64
	var limit int
	cmd := &cobra.Command{
		Use:   "imports",
		Short: "Show the import history, newest first",
		Long: `imports lists the imports of profiles, newest first: when, who, the file,
the rows imported, updated, unchanged and rejected, and how each ended (done;
partial: it stopped part way after writing rows; failed: nothing written).`,
		Example: `  segbridge profiles imports
  segbridge profiles imports --limit 5 --before 120 --output json`,
		Args: cobra.NoArgs,
	}
	output := outputFlag(cmd)
	cmd.Flags().IntVar(&limit, "limit", 20, "imports to show (1-1000)")
	cmd.Flags().Int64Var(&before, "before", 0, "only imports with ids below this (the next page)")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if limit < 1 || limit > 1000 {
			return fmt.Errorf("--limit %d: want 1 to 1000", limit)
		}
		return g.withApp(cmd.Context(), func(a *app.App) error {
			ims, err := a.Services.Profiles.Imports(cmd.Context(), g.actor, before, limit)
			if err != nil {
				return err
			}
			if output := *output; output == "json" {
				return writeJSON(g.out, ims)
			}
			if len(ims) == 0 {
				fmt.Fprintln(g.out, "no imports yet")
				return nil
			}
			tw := tabwriter.NewWriter(g.out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tWHEN\tWHO\tFILE\tIMPORTED\tUPDATED\tUNCHANGED\tREJECTED\tSTATUS")
			for _, im := range ims {
				status := im.Status
				if im.Message != "" {
					status += ": " + im.Message
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%s\n", im.ID, im.At.Local().Format("2006-01-02 15:04:05"),
					im.Actor, im.Source, im.Inserted, im.Updated, im.Unchanged, im.Rejected, status)
			}
			return tw.Flush()
		})
	}
	return cmd
}

// printProfilePlace prints a profile's segments and what each export
// last confirmed in Omnisend.
func printProfilePlace(g *globals, d service.ProfileDetail) {
	names := make([]string, len(d.Segments))
	for i, sg := range d.Segments {
		names[i] = sg.Name
	}
	if len(names) == 0 {
		fmt.Fprintln(g.out, "\nsegments: none")
	} else {
		fmt.Fprintf(g.out, "\nsegments: %s\n", strings.Join(names, ", "))
	}
	if len(d.Exports) == 0 {
		fmt.Fprintln(g.out, "exports: no export has sent it")
		return
	}
	fmt.Fprintln(g.out, "exports (as last confirmed in Omnisend):")
	tw := tabwriter.NewWriter(g.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "EXPORT\tE-MAIL\tTAGS\tSTATUS\tCONFIRMED")
	for _, e := range d.Exports {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.Export, e.Email, strings.Join(e.Tags, ", "), orDash(e.Status), exportWhen(e))
	}
	_ = tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// exportWhen is when the state was confirmed, or why it is not.
func exportWhen(e service.ProfileExport) string {
	switch {
	case !e.Confirmed:
		return "not yet confirmed"
	case e.Unsure:
		return e.At.Local().Format("2006-01-02 15:04:05") + " (last batch unknown; sent again next run)"
	}
	return e.At.Local().Format("2006-01-02 15:04:05")
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
			d, err := a.Services.Profiles.Show(cmd.Context(), g.actor, args[0])
			if err != nil {
				return err
			}
			p, origins := d.Profile, d.Origins
			if *output == "json" {
				segs := make([]string, len(d.Segments))
				for i, sg := range d.Segments {
					segs[i] = sg.Name
				}
				return writeJSON(g.out, struct {
					profileJSON
					Origins  map[string]service.AttributeOrigin `json:"origins,omitempty"`
					Segments []string                           `json:"segments"`
					Exports  []service.ProfileExport            `json:"exports"`
				}{toJSON(p), origins, segs, d.Exports})
			}
			defer printProfilePlace(g, d)
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
