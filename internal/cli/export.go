package cli

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"segbridge/internal/app"
	"segbridge/internal/export"
	"segbridge/internal/service"
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
		newExportRunCmd(g), newExportCancelCmd(g), newExportApproveCmd(g), newExportDiscardCmd(g),
		newExportRunsCmd(g), newExportResultsCmd(g), newExportRetryCmd(g),
		newExportVerifyCmd(g), newExportPlanCmd(g))
	return cmd
}

// exportFlags are the flags of `export create` and `export update`.
type exportFlags struct {
	connection, consent, tagPrefix string
	leave, schedule, timeZone      string
	segments, maps, customs        []string
	profileCap                     int
	active                         bool
	brake                          export.Brake

	consentPolicy string // --consent-policy
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
	f.registerBrake(cmd, create)
	fl.StringVar(&f.consentPolicy, "consent-policy", def(string(export.ConsentKeep)),
		"which e-mail subscription statuses are sent: keep (never one), opt-ins (mapped subscribed with its date) or mirror (mapped subscribed or unsubscribed with its date); opt-ins and mirror need --consent ATTRIBUTE:DATE")
}

// input is the change the flags the user gave make to export cur (a zero
// export on create): the service resolves the names and checks the rest.
func (f *exportFlags) input(cmd *cobra.Command, cur export.Export) (service.ExportInput, error) {
	changed := cmd.Flags().Changed
	var in service.ExportInput
	if changed("connection") {
		in.Connection = f.connection
	}
	if changed("segment") {
		in.Segments = append([]string{}, f.segments...)
	}
	if len(f.maps) > 0 || len(f.customs) > 0 || changed("consent") {
		m := cur.Mapping
		if err := f.applyMapping(cmd, &m); err != nil {
			return in, err
		}
		in.Mapping = &m
	}
	if changed("tag-prefix") {
		in.TagPrefix = f.tagPrefix
	}
	if changed("leave") {
		l, err := export.ParseLeave(f.leave)
		if err != nil {
			return in, fmt.Errorf("--leave %q: want untag or keep", f.leave)
		}
		in.Leave = string(l)
	}
	if err := f.applySchedule(cmd, cur.Schedule, &in); err != nil {
		return in, err
	}
	if changed("cap") {
		if f.profileCap < 1 {
			return in, fmt.Errorf("--cap %d: want at least 1 (default %d)", f.profileCap, export.DefaultProfileCap)
		}
		in.ProfileCap = f.profileCap
	}
	if changed("active") {
		in.Active = &f.active
	}
	in.Brake = f.brakePatch(cmd)
	if changed("consent-policy") {
		p, err := export.ParseConsentPolicy(strings.TrimSpace(f.consentPolicy))
		if err != nil {
			return in, fmt.Errorf("--consent-policy %q: want keep, opt-ins or mirror", f.consentPolicy)
		}
		in.ConsentPolicy = string(p)
	}
	return in, nil
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

func (f *exportFlags) applySchedule(cmd *cobra.Command, cur export.Schedule, in *service.ExportInput) error {
	changed := cmd.Flags().Changed
	switch {
	case changed("schedule"):
		s, err := export.ParseSchedule(f.schedule, f.timeZone)
		if err != nil {
			return fmt.Errorf("--schedule %q: %w", f.schedule, err)
		}
		in.Schedule = &s
	case changed("time-zone") && cur.Kind == export.ScheduleCron:
		cur.TimeZone = f.timeZone
		in.Schedule = &cur
	case changed("time-zone"):
		return fmt.Errorf("--time-zone applies only to a cron schedule (--schedule \"cron:0 3 * * *\")")
	}
	return nil
}

// exportError says which flag to fix when the export service refuses the
// flags' export.
func exportError(err error) error {
	e, ok := service.AsError(err)
	if !ok {
		return err
	}
	if e.Kind == service.KindNotFound {
		return fmt.Errorf("%s (see: segbridge export list)", e.Msg)
	}
	if e.Kind != service.KindInvalid || len(e.Fields) == 0 {
		return err
	}
	f := e.Fields[0]
	field, msg := f.Field, f.Msg
	switch {
	case field == "mapping" || field == "mapping.email" && strings.HasPrefix(msg, "required"):
		return errors.New("an export needs the e-mail mapping: pass --map email=ATTRIBUTE (the profile attribute holding the address)")
	case field == "segments" && strings.HasPrefix(msg, "at least one segment"):
		return errors.New("an export needs at least one segment: pass --segment NAME (see: segbridge segment list)")
	case field == "connection":
		return fmt.Errorf("--connection: %s (see: segbridge connection list)", msg)
	case field == "segments" && strings.HasPrefix(msg, "no segment"):
		return fmt.Errorf("--segment: %s (see: segbridge segment list)", msg)
	case strings.HasPrefix(field, "mapping.custom."):
		return fmt.Errorf("--custom %s: %s", strings.TrimPrefix(field, "mapping.custom."), msg)
	case strings.HasPrefix(field, "mapping.consent."):
		return fmt.Errorf("--consent: %s", msg)
	case strings.HasPrefix(field, "mapping.") && slices.Contains(export.FieldNames(), strings.TrimPrefix(field, "mapping.")):
		return fmt.Errorf("--map %s: %s", strings.TrimPrefix(field, "mapping."), msg)
	}
	return fmt.Errorf("invalid export: %s", e.Msg)
}

// findExport looks an export up by name or id with a helpful error.
func findExport(cmd *cobra.Command, a *app.App, name string) (export.Export, error) {
	e, err := a.Store.GetExport(cmd.Context(), name)
	if errors.Is(err, store.ErrNotFound) {
		return e, fmt.Errorf("no export named %q (see: segbridge export list)", name)
	}
	return e, err
}
