// Package export holds export definitions — which segments go to which
// Omnisend connection, how profile attributes map to contact fields, the tag
// prefix, what happens to people who leave, the schedule and the safety cap —
// and the mapping step that turns one profile into the Omnisend contact the
// export wants.
//
// The mapping step (Mapping.Contact) is pure and fast: it reads a profile's
// attributes and returns an omnisend.Contact, or the reason the profile is
// skipped. It follows the Omnisend conventions of DESIGN.md:
//
//   - E-mail is trimmed and lower-cased; a missing one skips the profile as
//     missing_email, one that is not a plain ASCII address as invalid_email.
//   - Optional fields are typed by Omnisend's rules: countryCode is an ISO
//     3166-1 alpha-2 code (upper-cased) when the mapped value is two letters,
//     otherwise the value goes to country (the name); phone is sent only when
//     it is E.164 after removing spaces, dashes, dots and parentheses ("00"
//     counts as "+"), otherwise it is dropped and the contact still goes;
//     birthdate is YYYY-MM-DD; gender is m or f from common spellings;
//     postal code is always a string (a CSV import types 60601 as a number).
//     A value that cannot be typed is left out and reported in Dropped; it
//     never costs the contact.
//   - Custom properties keep their types (string, integer, number, boolean).
//   - Tags: "source: segbridge" on every contact, and "<prefix>: <segment
//     slug>" for each of the export's segments the profile is in (see Tags).
//   - Consent: welcome messages are never sent (omnisend.Contact has no way
//     to ask for one). The export's ConsentPolicy decides the e-mail status
//     (keep: none; opt-ins: a mapped subscribed with its date; mirror: a
//     mapped subscribed or unsubscribed with its date); nonSubscribed, an
//     undated status and a date later than the run's clock are never sent.
//     A status not sent is left unknown, which the omnisend package sends
//     as no status at all, so Omnisend keeps whatever it has
//     (docs/consent.md).
//
// Hash gives a canonical digest of a mapped contact for change detection.
package export
