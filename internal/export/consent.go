package export

import (
	"fmt"
	"time"

	"segbridge/internal/omnisend"
	"segbridge/internal/profile"
)

// ConsentPolicy says which e-mail subscription statuses an export sends to
// Omnisend (docs/consent.md has the table of what each does per case).
//
// segbridge cannot know whether Omnisend already holds a contact it never
// sent (the merchant's own list), so every rule holds whatever Omnisend
// holds: a status is either left out of the request (Omnisend keeps the
// one it has; a new contact starts nonSubscribed) or sent with the date
// it took effect, and Omnisend keeps the status with the latest date (an
// equal date replaces). Under every policy nonSubscribed is never sent (it
// could only take a real status away), a date later than now is never
// sent, and no request asks for a welcome message.
type ConsentPolicy string

const (
	// ConsentKeep (the default) never sends a status: existing contacts
	// keep theirs whatever its date, new ones start nonSubscribed. A
	// consent mapping, if any, is not used.
	ConsentKeep ConsentPolicy = "keep"
	// ConsentOptIns sends a mapped subscribed with its date and nothing
	// else: never unsubscribed or nonSubscribed. An unsubscribe in Omnisend
	// dated at or after the opt-in stands.
	ConsentOptIns ConsentPolicy = "opt-ins"
	// ConsentMirror sends a mapped subscribed or unsubscribed with its
	// date; Omnisend's latest-date rule decides. An unsubscribe segbridge
	// read back from Omnisend is sent again over an older mapped status.
	ConsentMirror ConsentPolicy = "mirror"
)

// ConsentPolicies lists the policies, the default first.
func ConsentPolicies() []ConsentPolicy {
	return []ConsentPolicy{ConsentKeep, ConsentOptIns, ConsentMirror}
}

// ParseConsentPolicy reads "keep", "opt-ins" or "mirror".
func ParseConsentPolicy(s string) (ConsentPolicy, error) {
	switch p := ConsentPolicy(s); p {
	case ConsentKeep, ConsentOptIns, ConsentMirror:
		return p, nil
	}
	return "", &FieldError{Field: "consent_policy",
		Msg: fmt.Sprintf("%q: want %q (the default), %q or %q", s, ConsentKeep, ConsentOptIns, ConsentMirror)}
}

// Describe says in a line what the policy sends.
func (p ConsentPolicy) Describe() string {
	switch p {
	case ConsentOptIns:
		return "opt-ins: sends a mapped subscribed with its date; never unsubscribed or nonSubscribed"
	case ConsentMirror:
		return "mirror: sends the mapped subscribed or unsubscribed with its date; Omnisend keeps the latest"
	}
	return "keep: never sends a status; existing contacts keep theirs, new ones start nonSubscribed"
}

// validateConsentPolicy checks the policy against the mapping: opt-ins and
// mirror send a status with its date, so they need a consent mapping with
// a date attribute.
func validateConsentPolicy(p ConsentPolicy, m Mapping) error {
	if _, err := ParseConsentPolicy(string(p)); err != nil {
		return err
	}
	switch {
	case p == ConsentKeep:
		return nil
	case m.Consent == nil:
		return &FieldError{Field: "consent_policy", Msg: fmt.Sprintf("%s sends the mapped consent status: map the consent attribute and its date attribute, or choose %s", p, ConsentKeep)}
	case m.Consent.DateAttribute == "":
		return &FieldError{Field: "consent_policy", Msg: fmt.Sprintf("%s sends a status only with the date it took effect: map the consent date attribute too, or choose %s", p, ConsentKeep)}
	}
	return nil
}

// Consent is what decides the e-mail status a contact is sent with: the
// export's policy, and the time against which a status date is in the
// future (the run's clock).
type Consent struct {
	Policy ConsentPolicy
	Now    time.Time
}

// ConsentOf returns e's consent rule at now.
func (e Export) ConsentOf(now time.Time) Consent {
	return Consent{Policy: e.ConsentPolicy, Now: now}
}

// consent decides the e-mail status of c: the one place that does. The
// status stays unknown (empty: not sent) unless the policy sends the
// mapped one; what was mapped but held back is recorded in res.Dropped.
func (m Mapping) consent(a profile.Attrs, c *omnisend.Contact, res *Result, cs Consent) {
	if m.Consent == nil || cs.Policy != ConsentOptIns && cs.Policy != ConsentMirror {
		return // keep (or no policy): never a status
	}
	v, ok := m.value(a, m.Consent.Attribute)
	if !ok {
		return
	}
	status, ok := ParseStatus(v)
	switch {
	case !ok:
		res.Dropped |= DroppedConsent
		return
	case status == omnisend.StatusNonSubscribed:
		return // never sent: it could only take a real status away
	case status == omnisend.StatusUnsubscribed && cs.Policy == ConsentOptIns:
		return
	}
	dv, ok := m.value(a, m.Consent.DateAttribute)
	if !ok {
		res.Dropped |= DroppedConsentDate
		return
	}
	date, ok := statusDate(dv)
	switch {
	case !ok:
		res.Dropped |= DroppedConsentDate
		return
	case date.After(cs.Now):
		res.Dropped |= DroppedConsentFuture
		return
	}
	c.Status, c.StatusDate = status, date
	keepUnsubscribe(a, c, cs.Policy)
}
