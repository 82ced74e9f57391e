package readback

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"

	"segbridge/internal/export"
	"segbridge/internal/omnisend"
)

// absent is a field Omnisend does not show (no real value: JSON and
// mapped text never hold a NUL).
const absent = "\x00"

// field is one contact field the export maps that Omnisend shows back.
type field struct {
	name string
	// want is the value the export sends ("", false: nothing is sent,
	// so Omnisend keeps whatever it has and there is nothing to compare).
	want func(c *omnisend.Contact) (string, bool)
	// shown is the value Omnisend shows (absent when it shows none).
	shown func(r *omnisend.ContactRecord) string
}

// fieldsOf lists the fields of m that can be compared, in a fixed order:
// the standard fields it maps (not the phone, which the contact list does
// not show, nor the consent status, which Omnisend keeps by date and
// which Statuses feeds back instead), then its custom properties by name.
func fieldsOf(m export.Mapping) []field {
	text := func(name string, want func(*omnisend.Contact) string, shown func(*omnisend.ContactRecord) string) field {
		return field{name: name,
			want: func(c *omnisend.Contact) (string, bool) {
				v := want(c)
				return v, v != ""
			},
			shown: func(r *omnisend.ContactRecord) string { return orAbsent(shown(r)) }}
	}
	std := []struct {
		attr string
		f    field
	}{
		{m.FirstName, text("first_name", func(c *omnisend.Contact) string { return c.FirstName }, func(r *omnisend.ContactRecord) string { return r.FirstName })},
		{m.LastName, text("last_name", func(c *omnisend.Contact) string { return c.LastName }, func(r *omnisend.ContactRecord) string { return r.LastName })},
		{m.Address, text("address", func(c *omnisend.Contact) string { return c.Address }, func(r *omnisend.ContactRecord) string { return r.Address })},
		{m.Country, field{name: "country", want: wantCountry, shown: shownCountry}},
		{m.State, text("state", func(c *omnisend.Contact) string { return c.State }, func(r *omnisend.ContactRecord) string { return r.State })},
		{m.City, text("city", func(c *omnisend.Contact) string { return c.City }, func(r *omnisend.ContactRecord) string { return r.City })},
		{m.PostalCode, text("postal_code", func(c *omnisend.Contact) string { return c.PostalCode }, func(r *omnisend.ContactRecord) string { return r.PostalCode })},
		{m.Birthdate, text("birthdate", func(c *omnisend.Contact) string { return c.Birthdate }, func(r *omnisend.ContactRecord) string { return r.Birthdate })},
		{m.Gender, text("gender", func(c *omnisend.Contact) string { return c.Gender }, func(r *omnisend.ContactRecord) string { return r.Gender })},
	}
	var out []field
	for _, s := range std {
		if s.attr != "" {
			out = append(out, s.f)
		}
	}
	for _, prop := range slices.Sorted(maps.Keys(m.Custom)) {
		out = append(out, field{name: "custom." + prop,
			want: func(c *omnisend.Contact) (string, bool) {
				v, ok := c.CustomProperties[prop]
				if !ok {
					return "", false
				}
				return canonical(v), true
			},
			shown: func(r *omnisend.ContactRecord) string {
				v, ok := r.CustomProperties[prop]
				if !ok || v == nil {
					return absent
				}
				return canonical(v)
			}})
	}
	return out
}

// A country is sent as a code (two letters) or as a name; Omnisend shows
// both fields, so the one sent is compared.
func wantCountry(c *omnisend.Contact) (string, bool) {
	if c.CountryCode != "" {
		return "code:" + strings.ToUpper(c.CountryCode), true
	}
	return "name:" + c.Country, c.Country != ""
}

func shownCountry(r *omnisend.ContactRecord) string {
	return "code:" + strings.ToUpper(r.CountryCode) + "\x00name:" + r.Country
}

// countryMatches compares wantCountry with shownCountry.
func countryMatches(want, shown string) bool {
	code, name, _ := strings.Cut(shown, "\x00")
	return want == code || want == name
}

// canonical is a custom property's value as JSON: 60601 and 60601.0 are
// alike (JSON numbers), "60601" is not.
func canonical(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return absent
	}
	return string(b)
}

func orAbsent(s string) string {
	if s == "" {
		return absent
	}
	return s
}

// shownValues are r's values of fields, in order.
func shownValues(fields []field, r *omnisend.ContactRecord) []string {
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = f.shown(r)
	}
	return out
}

// differences compares what the export sends with what Omnisend shows.
func differences(fields []field, c *omnisend.Contact, shown []string) []FieldDiff {
	var out []FieldDiff
	for i, f := range fields {
		want, ok := f.want(c)
		if !ok {
			continue
		}
		got := shown[i]
		same := want == got
		if f.name == "country" {
			same = countryMatches(want, got)
		}
		if same {
			continue
		}
		out = append(out, FieldDiff{Field: f.name, Want: display(f.name, want), Omnisend: display(f.name, got)})
	}
	return out
}

// display is a compared value as a person reads it (a country: its
// code, else its name).
func display(name, v string) string {
	if name == "country" {
		for _, part := range strings.Split(v, "\x00") {
			if _, val, _ := strings.Cut(part, ":"); val != "" {
				return val
			}
		}
		return ""
	}
	if v == absent {
		return ""
	}
	return v
}
