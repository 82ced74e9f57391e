package cli

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"segbridge/internal/app"
	"segbridge/internal/connection"
	"segbridge/internal/export"
	"segbridge/internal/segment"
)

// exportJSON is the --output json form of an export.
type exportJSON struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	// Connection is null when the export is detached.
	Connection *exportConnectionJSON `json:"connection"`
	Detached   string                `json:"detached,omitempty"`
	Segments   []exportSegmentJSON   `json:"segments"`
	Mapping    export.Mapping        `json:"mapping"`
	TagPrefix  string                `json:"tag_prefix"`
	// Tags are the tags a member of every segment gets.
	Tags       []string        `json:"tags"`
	Leave      export.Leave    `json:"leave"`
	Schedule   export.Schedule `json:"schedule"`
	NextRun    *time.Time      `json:"next_run,omitempty"`
	ProfileCap int             `json:"profile_cap"`
	Brake      export.Brake    `json:"brake"`
	Active     bool            `json:"active"`
	CreatedAt  time.Time       `json:"created_at"`
	UpdatedAt  time.Time       `json:"updated_at"`

	ConsentPolicy export.ConsentPolicy `json:"consent_policy"`
}

type exportConnectionJSON struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Brand string `json:"brand"`
}

type exportSegmentJSON struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Slug string `json:"slug"`
	// Members is null before the segment's first refresh.
	Members *int `json:"members"`
}

// exportView joins exports with their connections and segments.
type exportView struct {
	conns map[int64]connection.Connection
	segs  map[int64]segment.Segment
	now   time.Time
}

func loadExportView(ctx context.Context, a *app.App) (exportView, error) {
	v := exportView{conns: map[int64]connection.Connection{}, segs: map[int64]segment.Segment{}, now: a.Now()}
	conns, err := a.Store.ListConnections(ctx)
	if err != nil {
		return v, err
	}
	for _, c := range conns {
		v.conns[c.ID] = c
	}
	segs, err := a.Store.ListSegments(ctx)
	if err != nil {
		return v, err
	}
	for _, s := range segs {
		v.segs[s.ID] = s
	}
	return v, nil
}

func (v exportView) json(e export.Export) exportJSON {
	j := exportJSON{ID: e.ID, Name: e.Name, Detached: e.DetachedText(), Mapping: e.Mapping, TagPrefix: e.TagPrefix,
		Leave: e.Leave, Schedule: e.Schedule, ProfileCap: e.ProfileCap, Brake: e.Brake, Active: e.Active,
		CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt, Segments: []exportSegmentJSON{}}
	j.ConsentPolicy = e.ConsentPolicy
	if c, ok := v.conns[e.ConnectionID]; ok && !e.Detached() {
		j.Connection = &exportConnectionJSON{ID: c.ID, Name: c.Name, Brand: brandLabel(c)}
	}
	var slugs []string
	for _, id := range e.Segments {
		s := v.segs[id]
		sj := exportSegmentJSON{ID: id, Name: s.Name, Slug: s.Slug}
		if !s.RefreshedAt.IsZero() {
			sj.Members = &s.MemberCount
		}
		j.Segments = append(j.Segments, sj)
		slugs = append(slugs, s.Slug)
	}
	j.Tags = export.Tags(e.TagPrefix, slugs)
	if next := e.Schedule.NextRun(v.now); !next.IsZero() {
		j.NextRun = &next
	}
	return j
}

func (v exportView) connectionText(e export.Export) string {
	if e.Detached() {
		return "detached: " + e.DetachedText()
	}
	if c, ok := v.conns[e.ConnectionID]; ok {
		return fmt.Sprintf("%s (%s)", c.Name, brandLabel(c))
	}
	return e.ConnectionName
}

func (v exportView) segmentsText(e export.Export) string {
	parts := make([]string, len(e.Segments))
	for i, id := range e.Segments {
		s := v.segs[id]
		members := "not refreshed"
		if !s.RefreshedAt.IsZero() {
			members = fmt.Sprint(s.MemberCount)
		}
		parts[i] = fmt.Sprintf("%s (%s)", s.Name, members)
	}
	return strings.Join(parts, ", ")
}

func (v exportView) scheduleText(e export.Export) string {
	if !e.Active {
		return e.Schedule.String() + ", paused"
	}
	return e.Schedule.String()
}

func (v exportView) nextRunText(e export.Export) string {
	next := e.Schedule.NextRun(v.now)
	switch {
	case e.Schedule.Kind != export.ScheduleCron:
		return "-"
	case next.IsZero():
		return "never"
	case !e.Active || e.Detached():
		return "- (" + next.Format("2006-01-02 15:04 MST") + " if it ran)"
	}
	return next.Format("2006-01-02 15:04 MST")
}

func newExportListCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List exports with their connection, segments (member counts) and schedule",
		Args:  cobra.NoArgs,
	}
	output := outputFlag(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		return g.withApp(cmd.Context(), func(a *app.App) error {
			exports, err := a.Store.ListExports(cmd.Context())
			if err != nil {
				return err
			}
			v, err := loadExportView(cmd.Context(), a)
			if err != nil {
				return err
			}
			if *output == "json" {
				out := make([]exportJSON, len(exports))
				for i, e := range exports {
					out[i] = v.json(e)
				}
				return writeJSON(g.out, out)
			}
			tw := tabwriter.NewWriter(g.out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tCONNECTION\tSEGMENTS\tSCHEDULE\tNEXT RUN")
			for _, e := range exports {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.Name, v.connectionText(e), v.segmentsText(e), v.scheduleText(e), v.nextRunText(e))
			}
			return tw.Flush()
		})
	}
	return cmd
}

func newExportShowCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "show NAME",
		Short: "Show an export's definition: connection, segments, mapping, tags, schedule",
		Args:  cobra.ExactArgs(1),
	}
	output := outputFlag(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		return g.withApp(cmd.Context(), func(a *app.App) error {
			e, err := findExport(cmd, a, args[0])
			if err != nil {
				return err
			}
			v, err := loadExportView(cmd.Context(), a)
			if err != nil {
				return err
			}
			if *output == "json" {
				return writeJSON(g.out, v.json(e))
			}
			return v.writeShow(g.out, e)
		})
	}
	return cmd
}

func (v exportView) writeShow(w io.Writer, e export.Export) error {
	j := v.json(e)
	leave := "untag: people who leave every segment lose its tags"
	if e.Leave == export.LeaveKeep {
		leave = "keep: people who leave keep their tags"
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	rows := [][2]string{
		{"name", e.Name}, {"id", fmt.Sprint(e.ID)}, {"connection", v.connectionText(e)},
		{"segments", v.segmentsText(e)}, {"tags", strings.Join(j.Tags, ", ")}, {"leave", leave},
		{"schedule", v.scheduleText(e)}, {"next run", v.nextRunText(e)},
		{"profile cap", fmt.Sprintf("%d (a run with more members fails at planning, sending nothing)", e.ProfileCap)},
		{"removal brake", "holds a run's untags at " + e.Brake.String()},
	}
	rows = append(rows, mappingRows(e.Mapping)...)
	rows = append(rows, [2]string{"consent policy", consentPolicyText(e)})
	rows = append(rows, [2]string{"created", when(e.CreatedAt)}, [2]string{"updated", when(e.UpdatedAt)})
	for _, r := range rows {
		fmt.Fprintf(tw, "%s:\t%s\n", r[0], r[1])
	}
	return tw.Flush()
}

// mappingRows describes a mapping as "field ← attribute" rows.
func mappingRows(m export.Mapping) [][2]string {
	var rows [][2]string
	for _, f := range export.FieldNames() {
		if attr := m.Get(f); attr != "" {
			rows = append(rows, [2]string{"map " + f, "← " + attr})
		}
	}
	for _, prop := range slices.Sorted(maps.Keys(m.Custom)) {
		rows = append(rows, [2]string{"custom " + prop, "← " + m.Custom[prop]})
	}
	consent := "not mapped"
	if m.Consent != nil {
		consent = "← " + m.Consent.Attribute
		if m.Consent.DateAttribute != "" {
			consent += ", dated by " + m.Consent.DateAttribute
		} else {
			consent += " (no date attribute)"
		}
	}
	return append(rows, [2]string{"consent", consent})
}

// consentPolicyText says what the export's consent policy sends.
func consentPolicyText(e export.Export) string {
	s := e.ConsentPolicy.Describe()
	if e.ConsentPolicy == export.ConsentKeep && e.Mapping.Consent != nil {
		s += " (the consent mapping is not used)"
	}
	return s
}
