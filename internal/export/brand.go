package export

import (
	"fmt"
	"slices"
	"strings"
)

// SameBrand is another export that writes to the same Omnisend brand.
type SameBrand struct {
	Name    string
	Mapping Mapping
}

// CheckSameBrand refuses mapping m when another export on the same brand
// maps one of the Omnisend fields that m maps from a different attribute:
// a contact in both exports would get that field from whichever ran last,
// flipping on every run. Fields only one of the exports maps are fine (an
// upsert leaves the fields it does not send alone), and so are fields both
// map the same way, so each contact's fields have one source per brand.
// The error is a *FieldError naming the first field in conflict.
func CheckSameBrand(m Mapping, others []SameBrand) error {
	for _, o := range others {
		for _, f := range sharedFields(m, o.Mapping) {
			if f.mine != f.theirs {
				return &FieldError{Field: "mapping." + f.name, Msg: fmt.Sprintf(
					"export %q on the same Omnisend brand maps %s from %q, this one from %q: a contact in both would get its %s from whichever ran last; map it the same way in both, or in only one of them",
					o.Name, f.label, f.theirs, f.mine, f.label)}
			}
		}
	}
	return nil
}

type fieldPair struct {
	name, label  string
	mine, theirs string
}

// sharedFields lists the Omnisend fields both mappings map, with the
// attribute each maps them from.
func sharedFields(a, b Mapping) []fieldPair {
	std := []struct {
		name, label string
		get         func(Mapping) string
	}{
		{"email", "e-mail", func(m Mapping) string { return m.Email }},
		{"first_name", "first name", func(m Mapping) string { return m.FirstName }},
		{"last_name", "last name", func(m Mapping) string { return m.LastName }},
		{"address", "address", func(m Mapping) string { return m.Address }},
		{"country", "country", func(m Mapping) string { return m.Country }},
		{"state", "state", func(m Mapping) string { return m.State }},
		{"city", "city", func(m Mapping) string { return m.City }},
		{"postal_code", "postal code", func(m Mapping) string { return m.PostalCode }},
		{"phone", "phone", func(m Mapping) string { return m.Phone }},
		{"birthdate", "birthdate", func(m Mapping) string { return m.Birthdate }},
		{"gender", "gender", func(m Mapping) string { return m.Gender }},
		{"consent", "consent status", func(m Mapping) string { return consentSource(m.Consent) }},
	}
	var out []fieldPair
	for _, f := range std {
		if x, y := f.get(a), f.get(b); x != "" && y != "" {
			out = append(out, fieldPair{f.name, f.label, x, y})
		}
	}
	names := make([]string, 0, len(a.Custom))
	for name := range a.Custom {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if y, ok := b.Custom[name]; ok {
			out = append(out, fieldPair{"custom." + name, "custom property " + name, a.Custom[name], y})
		}
	}
	return out
}

func consentSource(c *ConsentMapping) string {
	if c == nil || c.Attribute == "" {
		return ""
	}
	return strings.TrimSuffix(c.Attribute+" dated by "+c.DateAttribute, " dated by ")
}
