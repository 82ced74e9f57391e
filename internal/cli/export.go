package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"segbridge/internal/app"
	"segbridge/internal/export"
	"segbridge/internal/store"
)

func newExportCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "export",
		Aliases: []string{"exports"},
		Short:   "Define exports of segments to Omnisend",
		Long: `An export sends the members of one or more segments to an Omnisend
connection as contacts: mapped fields, the tag "source: segbridge" and one tag
"<prefix>: <segment slug>" per segment. Saving an export never runs it.`,
	}
	cmd.AddCommand(newExportCreateCmd(g), newExportListCmd(g), newExportShowCmd(g),
		newExportUpdateCmd(g), newExportRemoveCmd(g),
		newExportRunCmd(g), newExportCancelCmd(g), newExportRunsCmd(g), newExportResultsCmd(g),
		newExportVerifyCmd(g))
	return cmd
}

// exportFlags are the flags of `export create` and `export update`.
type exportFlags struct {
	connection, consent, tagPrefix string
	leave, schedule, timeZone      string
	segments, maps, customs        []string
	profileCap                     int
	active                         bool
}

// register adds the flags; create shows the defaults a new export gets,
// update shows none (only the flags given change anything).
func (f *exportFlags) register(cmd *cobra.Command, create bool) {
	def := func(v string) string { return map[bool]string{true: v}[create] }
	segHelp := "a segment to export (name or slug; repeat for more)"
	if !create {
		segHelp += "; replaces the whole list"
	}
	fl := cmd.Flags()
	fl.StringVar(&f.connection, "connection", "", "the Omnisend connection to send to (name or id)")
	fl.StringArrayVar(&f.segments, "segment", nil, segHelp)
	fl.StringArrayVar(&f.maps, "map", nil, "FIELD=ATTRIBUTE: fill a contact field from a profile attribute; fields: "+
		strings.Join(export.FieldNames(), ", ")+" (repeat; an empty ATTRIBUTE removes an optional field)")
	fl.StringArrayVar(&f.customs, "custom", nil, "PROPERTY=ATTRIBUTE: an Omnisend custom property ([A-Za-z0-9_]) from a profile attribute (repeat; empty ATTRIBUTE removes)")
	fl.StringVar(&f.consent, "consent", "", "ATTRIBUTE[:DATE_ATTRIBUTE]: the e-mail consent status and the date it took effect (empty removes)")
	fl.StringVar(&f.tagPrefix, "tag-prefix", def(export.DefaultTagPrefix), `segment tags are "PREFIX: <segment slug>"`)
	fl.StringVar(&f.leave, "leave", def(string(export.LeaveUntag)), "what happens to people who leave every segment: untag or keep")
	fl.StringVar(&f.schedule, "schedule", def(string(export.ScheduleRefresh)), `refresh (after each system refresh), manual, or "cron:MIN HOUR DOM MON DOW"`)
	fl.StringVar(&f.timeZone, "time-zone", "", "time zone of a cron schedule, such as Europe/Prague (default UTC)")
	capDefault := 0
	if create {
		capDefault = export.DefaultProfileCap
	}
	fl.IntVar(&f.profileCap, "cap", capDefault, "the most profiles a run may send; above it the run fails at planning, sending nothing")
	fl.BoolVar(&f.active, "active", true, "false pauses scheduled runs")
}

// apply changes e by the flags the user gave.
func (f *exportFlags) apply(cmd *cobra.Command, a *app.App, e *export.Export) error {
	changed := cmd.Flags().Changed
	if changed("connection") {
		c, err := findConnection(cmd, a, f.connection)
		if err != nil {
			return err
		}
		e.ConnectionID, e.ConnectionName, e.DetachedReason = c.ID, c.Name, ""
	}
	if changed("segment") {
		e.Segments = nil
		for _, name := range f.segments {
			s, err := findSegment(cmd, a, name)
			if err != nil {
				return err
			}
			e.Segments = append(e.Segments, s.ID)
		}
	}
	if err := f.applyMapping(cmd, &e.Mapping); err != nil {
		return err
	}
	if changed("tag-prefix") {
		e.TagPrefix = f.tagPrefix
	}
	if changed("leave") {
		l, err := export.ParseLeave(f.leave)
		if err != nil {
			return fmt.Errorf("--leave %q: want untag or keep", f.leave)
		}
		e.Leave = l
	}
	if err := f.applySchedule(cmd, e); err != nil {
		return err
	}
	if changed("cap") {
		if f.profileCap < 1 {
			return fmt.Errorf("--cap %d: want at least 1 (default %d)", f.profileCap, export.DefaultProfileCap)
		}
		e.ProfileCap = f.profileCap
	}
	if changed("active") {
		e.Active = f.active
	}
	return nil
}

func (f *exportFlags) applyMapping(cmd *cobra.Command, m *export.Mapping) error {
	*m = m.Clone()
	for _, kv := range f.maps {
		field, attr, ok := strings.Cut(kv, "=")
		if !ok {
			return fmt.Errorf("--map %q: want FIELD=ATTRIBUTE, such as email=email_address", kv)
		}
		if err := m.Set(field, attr); err != nil {
			return fmt.Errorf("--map %q: %w", kv, err)
		}
	}
	for _, kv := range f.customs {
		prop, attr, ok := strings.Cut(kv, "=")
		if !ok {
			return fmt.Errorf("--custom %q: want PROPERTY=ATTRIBUTE, such as lifetime_value=ltv", kv)
		}
		m.SetCustom(prop, attr)
	}
	if cmd.Flags().Changed("consent") {
		m.Consent = nil
		if attr, date, _ := strings.Cut(strings.TrimSpace(f.consent), ":"); attr != "" {
			m.Consent = &export.ConsentMapping{Attribute: strings.TrimSpace(attr), DateAttribute: strings.TrimSpace(date)}
		}
	}
	return nil
}

func (f *exportFlags) applySchedule(cmd *cobra.Command, e *export.Export) error {
	changed := cmd.Flags().Changed
	switch {
	case changed("schedule"):
		s, err := export.ParseSchedule(f.schedule, f.timeZone)
		if err != nil {
			return fmt.Errorf("--schedule %q: %w", f.schedule, err)
		}
		e.Schedule = s
	case changed("time-zone") && e.Schedule.Kind == export.ScheduleCron:
		e.Schedule.TimeZone = f.timeZone
	case changed("time-zone"):
		return fmt.Errorf("--time-zone applies only to a cron schedule (--schedule \"cron:0 3 * * *\")")
	}
	return nil
}

// checkExport validates e, saying which flag to fix.
func checkExport(e export.Export) error {
	err := e.Validate()
	var fe *export.FieldError
	if !errors.As(err, &fe) {
		return err
	}
	switch {
	case fe.Field == "mapping.email":
		return errors.New("an export needs the e-mail mapping: pass --map email=ATTRIBUTE (the profile attribute holding the address)")
	case fe.Field == "segments" && len(e.Segments) == 0:
		return errors.New("an export needs at least one segment: pass --segment NAME (see: segbridge segment list)")
	}
	return fmt.Errorf("invalid export: %w", err)
}

// findExport looks an export up by name or id with a helpful error.
func findExport(cmd *cobra.Command, a *app.App, name string) (export.Export, error) {
	e, err := a.Store.GetExport(cmd.Context(), name)
	if errors.Is(err, store.ErrNotFound) {
		return e, fmt.Errorf("no export named %q (see: segbridge export list)", name)
	}
	return e, err
}
