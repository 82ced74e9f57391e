package cli

import (
	"errors"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"segbridge/internal/app"
	"segbridge/internal/segment"
	"segbridge/internal/service"
)

func newSegmentCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "segment",
		Aliases: []string{"segments"},
		Short:   "Define, preview and refresh segments",
		Long: `Segments select profiles, either by a rule written in CEL over the profile
as p (for example: p.country_code == "CZ" && p.orders > 3, has(p.email),
p.email.endsWith("@example.com"), p.city in ["Prague", "Brno"]) or by a
static list of profile ids. A profile without an attribute the rule uses does
not match.

A rule is checked when it is saved (create, update) against the profile
schema (segbridge profiles schema): p.orders > "x" is refused when orders is
an integer, and so is an attribute no profile has, with the closest names.`,
	}
	cmd.AddCommand(newSegmentCreateCmd(g), newSegmentUpdateCmd(g), newSegmentListCmd(g), newSegmentPreviewCmd(g),
		newSegmentRefreshCmd(g), newSegmentDeleteCmd(g))
	return cmd
}

func newSegmentCreateCmd(g *globals) *cobra.Command {
	var rule, idsFile string
	cmd := &cobra.Command{
		Use:   "create NAME (--rule EXPR | --ids FILE)",
		Short: "Create a rule or static segment (it is checked, not yet refreshed)",
		Example: `  segbridge segment create "VIP buyers" --rule 'p.orders > 10 && p.lifetime_value >= 1000'
  segbridge segment create "Hand picked" --ids ids.txt   # one profile id per line`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in, err := segmentInput(args[0], rule, idsFile, cmd.Flags().Changed("rule"))
			if err != nil {
				return err
			}
			return g.withApp(cmd.Context(), func(a *app.App) error {
				seg, err := a.Services.Segments.Create(cmd.Context(), g.actor, in)
				g.showRuleError(err)
				if err != nil {
					return err
				}
				fmt.Fprintf(g.out, "created %s segment %q (slug %s); compute its members with: segbridge segment refresh %q\n",
					seg.Kind, seg.Name, seg.Slug, seg.Slug)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&rule, "rule", "", "CEL rule over the profile p")
	cmd.Flags().StringVar(&idsFile, "ids", "", "file with one profile id per line (a static segment)")
	cmd.MarkFlagsMutuallyExclusive("rule", "ids")
	cmd.MarkFlagsOneRequired("rule", "ids")
	return cmd
}

// segmentInput is a new segment from the flags: a rule, or the ids read
// from the --ids file.
func segmentInput(name, rule, idsFile string, isRule bool) (service.SegmentInput, error) {
	if isRule {
		return service.SegmentInput{Name: name, Rule: rule}, nil
	}
	fh, err := os.Open(idsFile)
	if err != nil {
		return service.SegmentInput{}, fmt.Errorf("cannot read --ids file %s: %w", idsFile, errors.Unwrap(err))
	}
	defer fh.Close()
	ids, err := segment.ReadIDs(fh)
	if err != nil {
		return service.SegmentInput{}, fmt.Errorf("--ids file %s: %w", idsFile, err)
	}
	return service.SegmentInput{Name: name, IDs: ids, Static: true}, nil
}

func (g *globals) showRuleError(err error) {
	var re *segment.RuleError
	if errors.As(err, &re) && isTerminal(g.errOut) {
		fmt.Fprintln(g.errOut, re.Snippet())
	}
}

// segmentJSON is the --output json form of a segment.
type segmentJSON struct {
	Name        string     `json:"name"`
	Slug        string     `json:"slug"`
	Kind        string     `json:"kind"`
	Rule        string     `json:"rule,omitempty"`
	StaticIDs   int        `json:"static_ids,omitempty"`
	Members     int        `json:"members"`
	RefreshedAt *time.Time `json:"refreshed_at"`
	CreatedAt   time.Time  `json:"created_at"`
}

func newSegmentListCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List segments with member counts and last refresh",
		Args:  cobra.NoArgs,
	}
	output := outputFlag(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		return g.withApp(cmd.Context(), func(a *app.App) error {
			segs, err := a.Store.ListSegments(cmd.Context())
			if err != nil {
				return err
			}
			if *output == "json" {
				out := make([]segmentJSON, len(segs))
				for i, s := range segs {
					out[i] = segmentJSON{Name: s.Name, Slug: s.Slug, Kind: string(s.Kind), Rule: s.Rule,
						StaticIDs: s.StaticCount, Members: s.MemberCount, CreatedAt: s.CreatedAt}
					if !s.RefreshedAt.IsZero() {
						out[i].RefreshedAt = &s.RefreshedAt
					}
				}
				return writeJSON(g.out, out)
			}
			tw := tabwriter.NewWriter(g.out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tSLUG\tMEMBERS\tREFRESHED\tDEFINITION")
			for _, s := range segs {
				refreshed, members := "never", "-"
				if !s.RefreshedAt.IsZero() {
					refreshed, members = s.RefreshedAt.Local().Format("2006-01-02 15:04:05"), fmt.Sprint(s.MemberCount)
				}
				def := s.Rule
				if s.Kind == segment.KindStatic {
					def = fmt.Sprintf("static list of %d ids", s.StaticCount)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.Name, s.Slug, members, refreshed, def)
			}
			return tw.Flush()
		})
	}
	return cmd
}

// findSegment looks a segment up by name or slug with a helpful error.
func findSegment(cmd *cobra.Command, a *app.App, name string) (segment.Segment, error) {
	seg, err := a.Services.Segments.Get(cmd.Context(), name)
	if e, ok := service.AsError(err); ok && e.Kind == service.KindNotFound {
		return seg, fmt.Errorf("%s (see: segbridge segment list)", e.Msg)
	}
	return seg, err
}

func newSegmentUpdateCmd(g *globals) *cobra.Command {
	var rule string
	cmd := &cobra.Command{
		Use:   "update NAME --rule EXPR",
		Short: "Change a rule segment's rule (checked; members change at the next refresh)",
		Long: `Change a rule segment's rule. The rule is checked first; the stored members
stay until the segment is refreshed (segment refresh, or an export run). The
segment's name and slug, which its Omnisend tags are made of, do not change.`,
		Example: `  segbridge segment update "VIP buyers" --rule 'p.orders > 12'`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withApp(cmd.Context(), func(a *app.App) error {
				seg, err := a.Services.Segments.UpdateRule(cmd.Context(), g.actor, args[0], rule)
				g.showRuleError(err)
				if err != nil {
					return err
				}
				fmt.Fprintf(g.out, "updated the rule of segment %q; compute its members with: segbridge segment refresh %q\n", seg.Name, seg.Slug)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&rule, "rule", "", "the new CEL rule over the profile p")
	_ = cmd.MarkFlagRequired("rule")
	return cmd
}

func newSegmentDeleteCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete a segment and its stored membership",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withApp(cmd.Context(), func(a *app.App) error {
				seg, err := a.Services.Segments.Delete(cmd.Context(), g.actor, args[0])
				if err != nil {
					return err
				}
				fmt.Fprintf(g.out, "deleted segment %q\n", seg.Name)
				return nil
			})
		},
	}
}
