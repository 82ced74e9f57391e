package export

import (
	"fmt"
	"maps"
	"slices"

	"segbridge/internal/profile"
)

// CheckMapping checks m against the profile schema: every attribute it
// names must be carried by some stored profile (otherwise a *FieldError
// naming the field, with the closest existing names: "did you mean
// email?"), and e-mail must map to a string attribute. While no profile
// is stored there is nothing to check against. Every interface runs it
// when an export is saved, and a run again when it plans (an attribute can
// disappear with a re-import).
func CheckMapping(m Mapping, schema profile.Schema) error {
	if !schema.Known() {
		return nil
	}
	type use struct{ field, attr string }
	var uses []use
	for _, f := range FieldNames() {
		uses = append(uses, use{"mapping." + f, m.Get(f)})
	}
	for _, prop := range slices.Sorted(maps.Keys(m.Custom)) {
		uses = append(uses, use{"mapping.custom." + prop, m.Custom[prop]})
	}
	if m.Consent != nil {
		uses = append(uses, use{"mapping.consent.attribute", m.Consent.Attribute},
			use{"mapping.consent.date_attribute", m.Consent.DateAttribute})
	}
	for _, u := range uses {
		if u.attr == "" {
			continue
		}
		if err := schema.CheckAttribute(u.attr); err != nil {
			return &FieldError{Field: u.field, Msg: err.Error()}
		}
	}
	if a, ok := schema.Attribute(m.Email); ok && a.Type != profile.TypeString {
		return &FieldError{Field: "mapping.email", Msg: fmt.Sprintf(
			"attribute %q holds %s values (%s), not text: e-mail must map to a string attribute", a.Name, a.Type, a.ValuesText())}
	}
	return nil
}
