package export

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"
)

// Limits of a mapping.
const (
	// MaxCustomProperties is the most custom properties Omnisend keeps per
	// contact.
	MaxCustomProperties = 200
	// maxPropertyName is the longest custom property name Omnisend takes.
	maxPropertyName = 128
	// maxAttributeName bounds a mapped attribute name, in bytes.
	maxAttributeName = 256
)

// Mapping says which profile attribute fills which Omnisend contact field.
// Email is required; every other field is optional ("" = not mapped).
type Mapping struct {
	Email      string `json:"email"`
	FirstName  string `json:"first_name,omitempty"`
	LastName   string `json:"last_name,omitempty"`
	Address    string `json:"address,omitempty"`
	Country    string `json:"country,omitempty"`
	State      string `json:"state,omitempty"`
	City       string `json:"city,omitempty"`
	PostalCode string `json:"postal_code,omitempty"`
	Phone      string `json:"phone,omitempty"`
	Birthdate  string `json:"birthdate,omitempty"`
	Gender     string `json:"gender,omitempty"`
	// Custom maps an Omnisend custom property name ([A-Za-z0-9_]{1,128},
	// case-sensitive) to a profile attribute name; at most 200.
	Custom map[string]string `json:"custom,omitempty"`
	// Consent, when set, makes the e-mail subscription status come from a
	// profile attribute.
	Consent *ConsentMapping `json:"consent,omitempty"`
}

// ConsentMapping names the attributes holding the e-mail consent status and
// the date it took effect.
type ConsentMapping struct {
	// Attribute holds the status: subscribed, unsubscribed or nonSubscribed
	// in common spellings (see ParseStatus).
	Attribute string `json:"attribute"`
	// DateAttribute holds when the status took effect (RFC 3339,
	// "YYYY-MM-DD HH:MM:SS" or YYYY-MM-DD, UTC unless an offset is given).
	// Optional: without it the status is sent dated far in the past, so it
	// only sets the status of contacts Omnisend has no dated status for and
	// never overrides one it has.
	DateAttribute string `json:"date_attribute,omitempty"`
}

// FieldNames are the CLI and API names of the mappable standard fields, in
// display order.
func FieldNames() []string {
	return []string{"email", "first_name", "last_name", "address", "country", "state", "city",
		"postal_code", "phone", "birthdate", "gender"}
}

// field returns a pointer to the attribute name of standard field name.
func (m *Mapping) field(name string) *string {
	switch name {
	case "email":
		return &m.Email
	case "first_name":
		return &m.FirstName
	case "last_name":
		return &m.LastName
	case "address":
		return &m.Address
	case "country", "country_region":
		return &m.Country
	case "state":
		return &m.State
	case "city":
		return &m.City
	case "postal_code":
		return &m.PostalCode
	case "phone":
		return &m.Phone
	case "birthdate":
		return &m.Birthdate
	case "gender":
		return &m.Gender
	}
	return nil
}

// Set maps standard field name (see FieldNames) to attribute attr; an empty
// attr removes an optional field's mapping.
func (m *Mapping) Set(name, attr string) error {
	p := m.field(strings.ToLower(strings.TrimSpace(name)))
	if p == nil {
		return &FieldError{Field: "mapping", Msg: fmt.Sprintf("unknown field %q (want one of %s)", name, strings.Join(FieldNames(), ", "))}
	}
	*p = strings.TrimSpace(attr)
	return nil
}

// Get returns the attribute mapped to standard field name ("" if none).
func (m Mapping) Get(name string) string {
	if p := m.field(name); p != nil {
		return *p
	}
	return ""
}

// Attributes returns the profile attributes the mapping reads, each once
// (never nil: a mapping always reads its e-mail attribute). Decoding only
// these is all a run needs of a profile.
func (m Mapping) Attributes() []string {
	out := []string{}
	add := func(a string) {
		if a != "" && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	for _, f := range FieldNames() {
		add(m.Get(f))
	}
	for _, a := range m.Custom {
		add(a)
	}
	if m.Consent != nil {
		add(m.Consent.Attribute)
		add(m.Consent.DateAttribute)
		// Omnisend's own unsubscribes, which consent never overrides.
		add(OmnisendStatusAttribute)
		add(OmnisendStatusAtAttribute)
	}
	return out
}

// SetCustom maps custom property prop to attribute attr; an empty attr
// removes it.
func (m *Mapping) SetCustom(prop, attr string) {
	prop, attr = strings.TrimSpace(prop), strings.TrimSpace(attr)
	if attr == "" {
		delete(m.Custom, prop)
		return
	}
	if m.Custom == nil {
		m.Custom = map[string]string{}
	}
	m.Custom[prop] = attr
}

// Validate checks that Email is mapped and every name is usable. Errors are
// *FieldError naming the field ("mapping.email", "mapping.custom.ltv").
func (m Mapping) Validate() error {
	if strings.TrimSpace(m.Email) == "" {
		return &FieldError{Field: "mapping.email", Msg: "required: name the profile attribute that holds the e-mail address"}
	}
	for _, name := range FieldNames() {
		if err := validateAttribute("mapping."+name, m.Get(name)); err != nil {
			return err
		}
	}
	if len(m.Custom) > MaxCustomProperties {
		return &FieldError{Field: "mapping.custom", Msg: fmt.Sprintf("%d custom properties, at most %d", len(m.Custom), MaxCustomProperties)}
	}
	for _, prop := range slices.Sorted(maps.Keys(m.Custom)) {
		if !validPropertyName(prop) {
			return &FieldError{Field: "mapping.custom", Msg: fmt.Sprintf("property name %q: use 1-%d latin letters, digits and _", prop, maxPropertyName)}
		}
		if m.Custom[prop] == "" {
			return &FieldError{Field: "mapping.custom." + prop, Msg: "no attribute named"}
		}
		if err := validateAttribute("mapping.custom."+prop, m.Custom[prop]); err != nil {
			return err
		}
	}
	if m.Consent != nil {
		if m.Consent.Attribute == "" {
			return &FieldError{Field: "mapping.consent.attribute", Msg: "required when consent is mapped"}
		}
		if err := validateAttribute("mapping.consent.attribute", m.Consent.Attribute); err != nil {
			return err
		}
		if err := validateAttribute("mapping.consent.date_attribute", m.Consent.DateAttribute); err != nil {
			return err
		}
	}
	return nil
}

func validateAttribute(field, attr string) error {
	switch {
	case attr == "":
		return nil
	case !utf8.ValidString(attr):
		return &FieldError{Field: field, Msg: "attribute name is not valid UTF-8"}
	case strings.TrimSpace(attr) != attr:
		return &FieldError{Field: field, Msg: fmt.Sprintf("attribute name %q has surrounding white space", attr)}
	case len(attr) > maxAttributeName:
		return &FieldError{Field: field, Msg: fmt.Sprintf("attribute name is too long (%d bytes, at most %d)", len(attr), maxAttributeName)}
	}
	return nil
}

// validPropertyName reports whether s matches [A-Za-z0-9_]{1,128}.
func validPropertyName(s string) bool {
	if len(s) == 0 || len(s) > maxPropertyName {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// Clone returns a deep copy of m.
func (m Mapping) Clone() Mapping {
	if m.Custom != nil {
		m.Custom = maps.Clone(m.Custom)
	}
	if m.Consent != nil {
		c := *m.Consent
		m.Consent = &c
	}
	return m
}
