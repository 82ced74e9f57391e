package export

import (
	"strings"

	"segbridge/internal/omnisend"
	"segbridge/internal/profile"
)

// SkipReason says why a profile is not exported.
type SkipReason string

// Skip reasons, as runs report them.
const (
	// SkipMissingEmail: the e-mail attribute is absent or blank.
	SkipMissingEmail SkipReason = "missing_email"
	// SkipInvalidEmail: the e-mail attribute is not a valid address (or not
	// a string).
	SkipInvalidEmail SkipReason = "invalid_email"
	// SkipDuplicateEmail: another profile of the run, with a lower id, has
	// the same e-mail address (the run's plan applies this rule as it stages
	// contacts by e-mail).
	SkipDuplicateEmail SkipReason = "duplicate_email"
)

// Dropped is a set of mapped fields that were left out of a contact because
// their value could not be typed the way Omnisend needs. The contact is
// still sent; runs report the dropped fields.
type Dropped uint8

// Fields that may be dropped.
const (
	DroppedPhone       Dropped = 1 << iota // not E.164 after clean-up
	DroppedCountry                         // two letters that are no ISO code
	DroppedBirthdate                       // not a date
	DroppedGender                          // not a spelling of male or female
	DroppedConsent                         // not a known status: no status sent
	DroppedConsentDate                     // no date or not a date: no status sent
	// DroppedConsentFuture: the status is dated later than now; Omnisend
	// would keep it over any real change until then, so it is not sent.
	DroppedConsentFuture
)

// Has reports whether f is in d.
func (d Dropped) Has(f Dropped) bool { return d&f != 0 }

// Fields lists the dropped fields by name, in a fixed order.
func (d Dropped) Fields() []string {
	var out []string
	names := [...]string{"phone", "country", "birthdate", "gender", "consent", "consent_date", "consent_future_date"}
	for i, n := range names {
		if d&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return out
}

func (d Dropped) String() string { return strings.Join(d.Fields(), ", ") }

// Result is what mapping one profile found besides the contact.
type Result struct {
	// Skip is why the profile is not exported; "" when it is.
	Skip SkipReason
	// Dropped are mapped fields left out of the contact.
	Dropped Dropped
}

// Skipped reports whether the profile is not exported.
func (r Result) Skipped() bool { return r.Skip != "" }

// Contact builds the Omnisend contact the export wants for profile p, with
// the given tags (see Tags; the slice is used as is, not copied) and the
// e-mail status cs decides (see ConsentPolicy). When the result is Skipped
// the contact is empty. m must be valid (Validate).
func (m Mapping) Contact(p profile.Profile, tags []string, cs Consent) (omnisend.Contact, Result) {
	var res Result
	raw, ok := p.Attrs[m.Email]
	email, isString := raw.(string)
	switch {
	case !ok:
		return omnisend.Contact{}, Result{Skip: SkipMissingEmail}
	case !isString:
		return omnisend.Contact{}, Result{Skip: SkipInvalidEmail}
	}
	email = omnisend.NormalizeEmail(email)
	switch {
	case email == "":
		return omnisend.Contact{}, Result{Skip: SkipMissingEmail}
	case !validEmail(email):
		return omnisend.Contact{}, Result{Skip: SkipInvalidEmail}
	}
	c := omnisend.Contact{Email: email, Tags: tags}
	a := p.Attrs
	c.FirstName = m.text(a, m.FirstName)
	c.LastName = m.text(a, m.LastName)
	c.Address = m.text(a, m.Address)
	c.City = m.text(a, m.City)
	c.State = m.text(a, m.State)
	c.PostalCode = m.text(a, m.PostalCode)
	m.typed(a, &c, &res)
	m.consent(a, &c, &res, cs)
	if len(m.Custom) > 0 {
		c.CustomProperties = make(map[string]any, len(m.Custom))
		for prop, attr := range m.Custom {
			if v, ok := a[attr]; ok {
				c.CustomProperties[prop] = v
			}
		}
		if len(c.CustomProperties) == 0 {
			c.CustomProperties = nil
		}
	}
	return c, res
}

// text returns attribute attr as text ("" when unmapped or absent).
func (Mapping) text(a profile.Attrs, attr string) string {
	if attr == "" {
		return ""
	}
	v, ok := a[attr]
	if !ok {
		return ""
	}
	return text(v)
}

// typed fills the fields Omnisend types strictly, recording what it drops.
func (m Mapping) typed(a profile.Attrs, c *omnisend.Contact, res *Result) {
	if s := m.text(a, m.Country); s != "" {
		code, name, ok := country(s)
		if !ok {
			res.Dropped |= DroppedCountry
		}
		c.CountryCode, c.Country = code, name
	}
	if v, ok := m.value(a, m.Phone); ok {
		if c.Phone, ok = phone(v); !ok {
			res.Dropped |= DroppedPhone
		}
	}
	if v, ok := m.value(a, m.Birthdate); ok {
		if c.Birthdate, ok = birthdate(v); !ok {
			res.Dropped |= DroppedBirthdate
		}
	}
	if v, ok := m.value(a, m.Gender); ok {
		if c.Gender, ok = gender(v); !ok {
			res.Dropped |= DroppedGender
		}
	}
}

// value returns attribute attr unless it is unmapped, absent or blank.
func (Mapping) value(a profile.Attrs, attr string) (any, bool) {
	if attr == "" {
		return nil, false
	}
	v, ok := a[attr]
	if s, isString := v.(string); ok && isString && strings.TrimSpace(s) == "" {
		return nil, false
	}
	return v, ok
}
