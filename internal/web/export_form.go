package web

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"segbridge/internal/connection"
	"segbridge/internal/export"
	"segbridge/internal/segment"
	"segbridge/internal/service"
	"segbridge/internal/store"
)

// optionalFields are the mapping's optional fields as the form offers
// them ("Add attribute"), with their labels.
var optionalFields = []fieldOption{
	{"first_name", "First name"}, {"last_name", "Last name"}, {"address", "Address"},
	{"country", "Country/region"}, {"state", "State"}, {"city", "City"}, {"postal_code", "Postal code"},
	{"phone", "Phone"}, {"birthdate", "Birthdate"}, {"gender", "Gender"},
	{"custom", "Custom property"}, {"consent", "Consent status"}, {"consent_date", "Consent date"},
}

type fieldOption struct{ Value, Label string }

// mappingRows is how many optional mapping rows the form has without
// JavaScript; the script shows them one at a time ("Add attribute").
const mappingRows = 8

// mappingRow is one optional mapping row of the form.
type mappingRow struct {
	Field    string // an optionalFields value, "" = unused
	Property string // the custom property name (Field "custom")
	Attr     string
}

// exportForm is the Add destination form as filled in.
type exportForm struct {
	Name         string
	ConnectionID int64
	Segments     []int64
	Email        string
	Rows         []mappingRow
	TagPrefix    string
	Leave        string
	Schedule     string
	Cron         string
	TimeZone     string
	Cap          string
	Active       bool
	Brake        brakeForm

	// Choices.
	Connections []connection.Connection
	AllSegments []segment.Segment
	Fields      []fieldOption
	Attributes  []string

	// ConsentPolicy is the consent policy chosen (keep, opt-ins, mirror),
	// offered as ConsentChoices.
	ConsentPolicy  string
	ConsentChoices []fieldOption

	// EditID is the export being changed (0: a new one).
	EditID int64
}

// formOf is export e as the form shows it, to change it.
func formOf(e export.Export) exportForm {
	f := exportForm{Name: e.Name, ConnectionID: e.ConnectionID, Segments: slices.Clone(e.Segments), Email: e.Mapping.Email,
		TagPrefix: e.TagPrefix, Leave: string(e.Leave), Schedule: string(e.Schedule.Kind), Cron: e.Schedule.Cron,
		TimeZone: e.Schedule.TimeZone, Cap: strconv.Itoa(e.ProfileCap), Active: e.Active, ConsentPolicy: string(e.ConsentPolicy),
		Brake: brakeForm{UntagPercent: strconv.Itoa(e.Brake.UntagPercent), UntagMin: strconv.Itoa(e.Brake.UntagMin),
			SkipPercent: strconv.Itoa(e.Brake.SkipPercent), DropPercent: strconv.Itoa(e.Brake.DropPercent)},
		EditID: e.ID}
	m := e.Mapping
	for _, fo := range optionalFields {
		if fo.Value == "custom" || fo.Value == "consent" || fo.Value == "consent_date" {
			continue
		}
		if v := m.Get(fo.Value); v != "" {
			f.Rows = append(f.Rows, mappingRow{Field: fo.Value, Attr: v})
		}
	}
	for _, k := range sortedKeys(m.Custom) {
		f.Rows = append(f.Rows, mappingRow{Field: "custom", Property: k, Attr: m.Custom[k]})
	}
	if m.Consent != nil {
		f.Rows = append(f.Rows, mappingRow{Field: "consent", Attr: m.Consent.Attribute})
		if m.Consent.DateAttribute != "" {
			f.Rows = append(f.Rows, mappingRow{Field: "consent_date", Attr: m.Consent.DateAttribute})
		}
	}
	return f
}

func (f exportForm) HasSegment(id int64) bool { return slices.Contains(f.Segments, id) }

func defaultExportForm() exportForm {
	return exportForm{Email: "email", TagPrefix: export.DefaultTagPrefix, Leave: string(export.LeaveUntag),
		Schedule: string(export.ScheduleRefresh), TimeZone: export.DefaultTimeZone,
		Cap: strconv.Itoa(export.DefaultProfileCap), Active: true, ConsentPolicy: string(export.ConsentKeep), Brake: defaultBrakeForm()}
}

// consentChoices are the consent policies as the form offers them.
func consentChoices() []fieldOption {
	var out []fieldOption
	for _, p := range export.ConsentPolicies() {
		out = append(out, fieldOption{string(p), p.Describe()})
	}
	return out
}

// consentText says what e's consent policy sends, for the export page.
func consentText(e export.Export) string {
	s := e.ConsentPolicy.Describe()
	if e.ConsentPolicy == export.ConsentKeep && e.Mapping.Consent != nil {
		s += " (the consent mapping is not used)"
	}
	return s
}

// withChoices fills the form's choices: connections p may use, segments
// with their member counts, and the attribute names seen on profiles.
func (s *server) withChoices(ctx context.Context, r *http.Request, f exportForm) (exportForm, error) {
	var err error
	if f.Connections, err = s.usableConnections(ctx, principal(r)); err != nil {
		return f, err
	}
	if f.AllSegments, err = s.app.Store.ListSegments(ctx); err != nil {
		return f, err
	}
	if f.Attributes, err = s.attributeNames(ctx); err != nil {
		return f, err
	}
	f.Fields = optionalFields
	f.ConsentChoices = consentChoices()
	want := max(mappingRows, len(f.Rows)+2) // room for two more when changing a long mapping
	for len(f.Rows) < want {
		f.Rows = append(f.Rows, mappingRow{})
	}
	return f, nil
}

// attributeNames are the attribute names of a sample of profiles, sorted,
// offered as suggestions for the mapping.
func (s *server) attributeNames(ctx context.Context) ([]string, error) {
	sample, err := s.app.Store.ListProfiles(ctx, store.ListOptions{Limit: 200})
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, p := range sample {
		for k := range p.Attrs {
			seen[k] = true
		}
	}
	names := make([]string, 0, len(seen))
	for k := range seen {
		names = append(names, k)
	}
	slices.Sort(names)
	return names, nil
}

// exportFromForm reads the form into f and the export it describes, with
// the problems of the fields that could not be read (a cap that is not a
// number, a mapping row without its property): each such field is left
// at its default in e, so that the service can still check the others.
func exportFromForm(r *http.Request, now time.Time) (exportForm, export.Export, []service.FieldProblem) {
	pf := r.PostForm
	f := exportForm{
		Name: pf.Get("name"), Email: strings.TrimSpace(pf.Get("map_email")), TagPrefix: pf.Get("tag_prefix"),
		Leave: pf.Get("leave"), Schedule: pf.Get("schedule"), Cron: pf.Get("cron"), TimeZone: pf.Get("time_zone"),
		Cap: pf.Get("cap"), Active: pf.Get("active") == "yes",
	}
	e := export.Export{CreatedAt: now, UpdatedAt: now}
	var bad []service.FieldProblem
	var err error
	if c := strings.TrimSpace(pf.Get("connection")); c != "" {
		if f.ConnectionID, err = strconv.ParseInt(c, 10, 64); err != nil || f.ConnectionID <= 0 {
			f.ConnectionID = 0
			bad = append(bad, service.FieldProblem{Field: "connection", Msg: "choose one of the connections listed"})
		}
	}
	for _, v := range pf["segment"] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			bad = append(bad, service.FieldProblem{Field: "segments", Msg: "choose segments from the list"})
			continue
		}
		if !slices.Contains(f.Segments, id) {
			f.Segments = append(f.Segments, id)
		}
	}
	fields, props, attrs := pf["field"], pf["property"], pf["attr"]
	for i := range max(len(fields), len(props), len(attrs)) {
		f.Rows = append(f.Rows, mappingRow{Field: at(fields, i), Property: at(props, i), Attr: at(attrs, i)})
	}
	e.Name, e.ConnectionID, e.Segments, e.TagPrefix = strings.TrimSpace(f.Name), f.ConnectionID, f.Segments, f.TagPrefix
	e.Leave, e.Active = export.Leave(f.Leave), f.Active
	f.ConsentPolicy = pf.Get("consent_policy")
	e.ConsentPolicy = export.ConsentPolicy(f.ConsentPolicy)
	var rowBad []service.FieldProblem
	e.Mapping, rowBad = mappingFromRows(f.Email, f.Rows)
	bad = append(bad, rowBad...)
	if e.Schedule, err = scheduleFromForm(f); err != nil {
		bad = append(bad, fieldProblems(err)...)
		e.Schedule = export.Schedule{Kind: export.ScheduleRefresh}.WithDefaults()
	}
	if e.ProfileCap, err = strconv.Atoi(strings.ReplaceAll(strings.TrimSpace(f.Cap), ",", "")); err != nil {
		bad = append(bad, service.FieldProblem{Field: "profile_cap", Msg: "want a whole number, such as 100000"})
		e.ProfileCap = export.DefaultProfileCap
	}
	var brakeBad []service.FieldProblem
	e.Brake, brakeBad = brakeFromForm(r, &f.Brake)
	bad = append(bad, brakeBad...)
	return f, e.WithDefaults(), bad
}

// fieldProblems are the field problems of a domain validation error.
func fieldProblems(err error) []service.FieldProblem {
	var out []service.FieldProblem
	for _, fe := range export.FieldErrors(err) {
		out = append(out, service.FieldProblem{Field: fe.Field, Msg: fe.Msg})
	}
	return out
}

// fields are where the export form shows each field's problem; the
// mapping's rows are placed by the field each maps.
func (f exportForm) fields() formFields {
	ff := formFields{
		"name": {"name", "Export name"}, "connection": {"connection", "Connection"}, "segments": {"segments", "Segments"},
		"mapping": {"map_email", "Email attribute"}, "mapping.email": {"map_email", "Email attribute"},
		"tag_prefix": {"tag_prefix", "Tag prefix"}, "leave": {"leave-untag", "Members who leave the segments"},
		"schedule": {"schedule-refresh", "Schedule"}, "schedule.cron": {"cron", "Cron expression"},
		"schedule.time_zone": {"time_zone", "Time zone"}, "profile_cap": {"cap", "Profile cap"},
		"consent_policy":      {"consent_policy", "Consent policy"},
		"brake.untag_percent": {"brake_untag_percent", "Removal brake, untags over (%)"},
		"brake.untag_min":     {"brake_untag_min", "Removal brake, untags over (contacts)"},
		"brake.skip_percent":  {"brake_skip_percent", "Removal brake, skipped members over (%)"},
		"brake.drop_percent":  {"brake_drop_percent", "Removal brake, members falling by over (%)"},
	}
	for i, row := range f.Rows {
		n := strconv.Itoa(i + 1)
		attr := formField{fmt.Sprintf("attr-%d", i), "Mapping row " + n + ", profile attribute"}
		prop := formField{fmt.Sprintf("property-%d", i), "Mapping row " + n + ", custom property name"}
		ff["mapping.row."+strconv.Itoa(i)] = attr
		ff["mapping.row."+strconv.Itoa(i)+".property"] = prop
		key := "mapping." + row.Field
		switch row.Field {
		case "":
			continue
		case "custom":
			if _, ok := ff["mapping.custom"]; !ok {
				ff["mapping.custom"] = prop
			}
			key = "mapping.custom." + row.Property
		case "consent":
			ff["mapping.consent.attribute"] = attr
		case "consent_date":
			key = "mapping.consent.date_attribute"
		}
		if _, ok := ff[key]; !ok {
			ff[key] = attr
		}
	}
	return ff
}

func at(vals []string, i int) string {
	if i < len(vals) {
		return strings.TrimSpace(vals[i])
	}
	return ""
}

// mappingFromRows builds the mapping: Email plus each used optional row,
// and the problem of each row that cannot be used (by its index, as
// "mapping.row.N").
func mappingFromRows(email string, rows []mappingRow) (export.Mapping, []service.FieldProblem) {
	m := export.Mapping{Email: email}
	var bad []service.FieldProblem
	seen := map[string]bool{}
	for i, row := range rows {
		at := "mapping.row." + strconv.Itoa(i)
		if row.Field == "" && row.Attr == "" {
			continue
		}
		if row.Field == "" {
			bad = append(bad, service.FieldProblem{Field: at, Msg: "choose the Omnisend field this attribute fills, or empty the row"})
			continue
		}
		if !slices.ContainsFunc(optionalFields, func(o fieldOption) bool { return o.Value == row.Field }) {
			bad = append(bad, service.FieldProblem{Field: at, Msg: "choose one of the Omnisend fields listed"})
			continue
		}
		if row.Attr == "" {
			continue // an unused row
		}
		key := row.Field
		if row.Field == "custom" {
			key += ":" + row.Property
		}
		if seen[key] {
			bad = append(bad, service.FieldProblem{Field: at, Msg: "this field is mapped twice; keep one row per field"})
			continue
		}
		seen[key] = true
		switch row.Field {
		case "custom":
			if row.Property == "" {
				bad = append(bad, service.FieldProblem{Field: at + ".property", Msg: "name the Omnisend custom property this attribute fills"})
				continue
			}
			m.SetCustom(row.Property, row.Attr)
		case "consent", "consent_date":
			if m.Consent == nil {
				m.Consent = &export.ConsentMapping{}
			}
			if row.Field == "consent" {
				m.Consent.Attribute = row.Attr
			} else {
				m.Consent.DateAttribute = row.Attr
			}
		default:
			if err := m.Set(row.Field, row.Attr); err != nil {
				bad = append(bad, service.FieldProblem{Field: at, Msg: "choose one of the Omnisend fields listed"})
			}
		}
	}
	return m, bad
}

// scheduleFromForm reads the schedule radio and its cron fields.
func scheduleFromForm(f exportForm) (export.Schedule, error) {
	switch export.ScheduleKind(f.Schedule) {
	case export.ScheduleCron:
		sc := export.Schedule{Kind: export.ScheduleCron, Cron: strings.TrimSpace(f.Cron), TimeZone: strings.TrimSpace(f.TimeZone)}.WithDefaults()
		return sc, sc.Validate()
	case "", export.ScheduleRefresh, export.ScheduleManual:
		return export.Schedule{Kind: export.ScheduleKind(f.Schedule)}.WithDefaults(), nil
	}
	return export.Schedule{}, &export.FieldError{Field: "schedule", Msg: "choose after each refresh, on a cron schedule or only on demand"}
}

// mappingLines describes a mapping for the export page.
func mappingLines(m export.Mapping) [][2]string {
	lines := [][2]string{{"Email", m.Email}}
	for _, fo := range optionalFields {
		if v := m.Get(fo.Value); v != "" {
			lines = append(lines, [2]string{fo.Label, v})
		}
	}
	for _, k := range sortedKeys(m.Custom) {
		lines = append(lines, [2]string{"Custom property " + k, m.Custom[k]})
	}
	if m.Consent != nil {
		lines = append(lines, [2]string{"Consent status", m.Consent.Attribute})
		if m.Consent.DateAttribute != "" {
			lines = append(lines, [2]string{"Consent date", m.Consent.DateAttribute})
		}
	}
	return lines
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
