package cli

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"segbridge/internal/app"
	"segbridge/internal/segment"
)

func newSegmentPreviewCmd(g *globals) *cobra.Command {
	var rule string
	var sample int
	cmd := &cobra.Command{
		Use:   "preview (NAME | --rule EXPR)",
		Short: "Count a segment's members now and show a sample; nothing is stored",
		Example: `  segbridge segment preview "VIP buyers"
  segbridge segment preview --rule 'p.country_code == "CZ"' --sample 5`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if (len(args) == 1) == cmd.Flags().Changed("rule") {
				return fmt.Errorf("give either a segment NAME or --rule EXPR")
			}
			if sample < 0 || sample > 1000 {
				return fmt.Errorf("--sample %d: want 0 to 1000", sample)
			}
			return g.withApp(cmd.Context(), func(a *app.App) error {
				ev, err := previewEval(cmd, g, a, args, rule)
				if err != nil {
					return err
				}
				return printPreview(cmd, g, a, ev, sample)
			})
		},
	}
	cmd.Flags().StringVar(&rule, "rule", "", "preview an unsaved CEL rule instead of a stored segment")
	cmd.Flags().IntVar(&sample, "sample", 10, "number of members to show")
	return cmd
}

func previewEval(cmd *cobra.Command, g *globals, a *app.App, args []string, rule string) (segment.Evaluation, error) {
	if len(args) == 1 {
		seg, err := findSegment(cmd, a, args[0])
		if err != nil {
			return segment.Evaluation{}, err
		}
		return segment.Evaluate(cmd.Context(), a.Store, seg)
	}
	r, err := segment.Compile(rule)
	if err != nil {
		g.showRuleError(err)
		return segment.Evaluation{}, err
	}
	return segment.EvaluateRule(cmd.Context(), a.Store, r)
}

func printPreview(cmd *cobra.Command, g *globals, a *app.App, ev segment.Evaluation, sample int) error {
	fmt.Fprintf(g.out, "%d of %d profiles match\n", len(ev.Members), ev.Profiles)
	warnEvaluation(g, ev)
	if sample == 0 || len(ev.Members) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(g.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tEMAIL\tCOUNTRY\tORDERS")
	for _, id := range ev.Members[:min(sample, len(ev.Members))] {
		p, err := a.Store.GetProfile(cmd.Context(), id)
		if err != nil {
			return err
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", id, str(p.Attrs, "email"), str(p.Attrs, "country_code"), str(p.Attrs, "orders"))
	}
	return tw.Flush()
}

func warnEvaluation(g *globals, ev segment.Evaluation) {
	if ev.EvalErrors > 0 {
		fmt.Fprintf(g.errOut, "warning: the rule failed on %d profiles, which do not match (first: %v)\n", ev.EvalErrors, ev.FirstEvalError)
	}
	if ev.MissingStatic > 0 {
		fmt.Fprintf(g.errOut, "warning: %d listed ids match no imported profile\n", ev.MissingStatic)
	}
}

func newSegmentRefreshCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "refresh [NAME]",
		Short: "Evaluate segments and store their membership (all segments without NAME)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withApp(cmd.Context(), func(a *app.App) error {
				var segs []segment.Segment
				var err error
				if len(args) == 1 {
					seg, err := findSegment(cmd, a, args[0])
					if err != nil {
						return err
					}
					segs = append(segs, seg)
				} else if segs, err = a.Store.ListSegments(cmd.Context()); err != nil {
					return err
				}
				if len(segs) == 0 {
					return fmt.Errorf("no segments yet (create one with: segbridge segment create NAME --rule EXPR)")
				}
				for _, seg := range segs {
					start := time.Now()
					seg, res, err := a.Services.Segments.Refresh(cmd.Context(), g.actor, seg.Slug)
					if err != nil {
						return err
					}
					fmt.Fprintf(g.out, "refreshed %q: %d members of %d profiles (+%d joined, -%d left) in %s\n",
						seg.Name, len(res.Members), res.Profiles, res.Joined, res.Left, time.Since(start).Round(time.Millisecond))
					warnEvaluation(g, res.Evaluation)
				}
				return nil
			})
		},
	}
}
