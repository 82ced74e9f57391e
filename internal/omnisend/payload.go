package omnisend

import (
	"strings"
	"time"
)

// ChannelStatus is a channel's subscription status.
type ChannelStatus string

// Subscription statuses.
const (
	StatusSubscribed    ChannelStatus = "subscribed"
	StatusUnsubscribed  ChannelStatus = "unsubscribed"
	StatusNonSubscribed ChannelStatus = "nonSubscribed"
)

// Contact is one contact to upsert, independent of the dialect.
type Contact struct {
	// Email identifies the contact (upsert key). It is trimmed and
	// lower-cased on the wire.
	Email string
	// Phone, if set, is added as a phone identifier (E.164, "+…").
	Phone string
	// Status is the email channel status. Empty means unknown: no status
	// is sent, so Omnisend keeps the one it has (a new contact starts
	// nonSubscribed). The export package decides it (export.ConsentPolicy).
	Status ChannelStatus
	// StatusDate is when Status took effect. A Status without a date is
	// not sent either: Omnisend would date it now, over any real status.
	StatusDate time.Time

	FirstName   string
	LastName    string
	Address     string
	City        string
	State       string
	PostalCode  string
	Country     string
	CountryCode string
	Gender      string // "m" or "f"
	Birthdate   string // YYYY-MM-DD

	// Tags are added to the contact (at most 100).
	Tags []string
	// CustomProperties values: string, number, bool or []string.
	CustomProperties map[string]any
}

// NormalizeEmail trims and lower-cases an address the way Omnisend needs it
// (its email identifier is case-sensitive).
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// channelWire is a channel entry; exactly one date field is set per dialect.
type channelWire struct {
	Status          ChannelStatus `json:"status"`
	StatusDate      string        `json:"statusDate,omitempty"`      // v3
	StatusChangedAt string        `json:"statusChangedAt,omitempty"` // 2026-03-15
}

type identifierWire struct {
	Type string `json:"type"`
	ID   string `json:"id"`
	// Channels is nil (left out) or a map[string]channelWire, possibly
	// empty (see noChannels).
	Channels           any  `json:"channels,omitempty"`
	SendWelcomeMessage bool `json:"sendWelcomeMessage"` // always false
}

// contactWire is the request body of an upsert (and of a batch item).
type contactWire struct {
	Identifiers      []identifierWire `json:"identifiers"`
	FirstName        string           `json:"firstName,omitempty"`
	LastName         string           `json:"lastName,omitempty"`
	Address          string           `json:"address,omitempty"`
	City             string           `json:"city,omitempty"`
	State            string           `json:"state,omitempty"`
	PostalCode       string           `json:"postalCode,omitempty"`
	Country          string           `json:"country,omitempty"`
	CountryCode      string           `json:"countryCode,omitempty"`
	Gender           string           `json:"gender,omitempty"`
	Birthdate        string           `json:"birthdate,omitempty"`
	Tags             []string         `json:"tags,omitempty"`
	CustomProperties map[string]any   `json:"customProperties,omitempty"`
	// SendWelcomeEmail is v3's top-level flag; nil (omitted) on 2026-03-15.
	SendWelcomeEmail *bool `json:"sendWelcomeEmail,omitempty"`
}

// contactPayload builds the upsert body for c in dialect d. Welcome
// messages are always off: sendWelcomeMessage false on every identifier,
// and v3's sendWelcomeEmail false as well. A status goes out only when c
// has one with its date; otherwise the identifier carries no status (see
// noChannels), so Omnisend keeps whatever it holds, whatever its date.
func contactPayload(d Dialect, c Contact) contactWire {
	email := identifierWire{Type: "email", ID: NormalizeEmail(c.Email), Channels: noChannels(d)}
	if c.Status != "" && !c.StatusDate.IsZero() {
		email.Channels = channel(d, "email", c.Status, c.StatusDate)
	}
	w := contactWire{
		Identifiers: []identifierWire{email},
		FirstName:   c.FirstName, LastName: c.LastName, Address: c.Address, City: c.City,
		State: c.State, PostalCode: c.PostalCode, Country: c.Country, CountryCode: c.CountryCode,
		Gender: c.Gender, Birthdate: c.Birthdate, Tags: c.Tags, CustomProperties: c.CustomProperties,
	}
	if p := strings.TrimSpace(c.Phone); p != "" {
		// The SMS status is never mapped: keep whatever Omnisend has.
		w.Identifiers = append(w.Identifiers, identifierWire{Type: "phone", ID: p, Channels: noChannels(d)})
	}
	if d == DialectV3 {
		no := false
		w.SendWelcomeEmail = &no
	}
	return w
}

// noChannels is an identifier's channels when it sends no status.
//
// 2026-03-15: channels is optional (ContactIdentifierRequest requires only
// id and type; omnisend-spec/v2026-03-15/contacts.json), so it is left out.
//
// v3: identifier-input requires "channels" (a missing one is a 400, "field
// required but not found in Json"), but the channels object itself
// requires no member (omnisend-spec/v3/contacts.json: the email and sms
// entries are only described as "Required, for type ..."), so an empty
// object is valid. An email entry without a status must never be sent:
// v3's status defaults to subscribed. The sandbox validates the same way
// (sandbox/validate_identifiers.go) and, for a channel given no status,
// keeps the stored one, or starts a new channel nonSubscribed.
func noChannels(d Dialect) any {
	if d == DialectV3 {
		return map[string]channelWire{}
	}
	return nil
}

func channel(d Dialect, name string, status ChannelStatus, date time.Time) map[string]channelWire {
	ch := channelWire{Status: status}
	stamp := date.UTC().Format(time.RFC3339)
	if d == DialectV3 {
		ch.StatusDate = stamp
	} else {
		ch.StatusChangedAt = stamp
	}
	return map[string]channelWire{name: ch}
}
