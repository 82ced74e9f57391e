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

// UnknownStatusDate is the date sent with the status of a contact whose
// consent is not mapped: nonSubscribed dated far in the past, which Omnisend
// (last write by date wins) never lets override a real status.
func UnknownStatusDate() time.Time { return time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC) }

// Contact is one contact to upsert, independent of the dialect.
type Contact struct {
	// Email identifies the contact (upsert key). It is trimmed and
	// lower-cased on the wire.
	Email string
	// Phone, if set, is added as a phone identifier (E.164, "+…").
	Phone string
	// Status is the email channel status. Empty means unknown: sent as
	// nonSubscribed dated UnknownStatusDate, so consent is never changed.
	Status ChannelStatus
	// StatusDate is when Status took effect; required for a meaningful
	// Status (zero means UnknownStatusDate).
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
	Type               string                 `json:"type"`
	ID                 string                 `json:"id"`
	Channels           map[string]channelWire `json:"channels"`
	SendWelcomeMessage bool                   `json:"sendWelcomeMessage"` // always false
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
// and v3's sendWelcomeEmail false as well.
func contactPayload(d Dialect, c Contact) contactWire {
	status, date := c.Status, c.StatusDate
	if status == "" {
		status, date = StatusNonSubscribed, UnknownStatusDate()
	}
	if date.IsZero() {
		date = UnknownStatusDate()
	}
	w := contactWire{
		Identifiers: []identifierWire{identifier(d, "email", NormalizeEmail(c.Email), "email", status, date)},
		FirstName:   c.FirstName, LastName: c.LastName, Address: c.Address, City: c.City,
		State: c.State, PostalCode: c.PostalCode, Country: c.Country, CountryCode: c.CountryCode,
		Gender: c.Gender, Birthdate: c.Birthdate, Tags: c.Tags, CustomProperties: c.CustomProperties,
	}
	if p := strings.TrimSpace(c.Phone); p != "" {
		// The SMS status is never mapped: keep whatever Omnisend has.
		w.Identifiers = append(w.Identifiers,
			identifier(d, "phone", p, "sms", StatusNonSubscribed, UnknownStatusDate()))
	}
	if d == DialectV3 {
		no := false
		w.SendWelcomeEmail = &no
	}
	return w
}

func identifier(d Dialect, typ, id, channel string, status ChannelStatus, date time.Time) identifierWire {
	ch := channelWire{Status: status}
	stamp := date.UTC().Format(time.RFC3339)
	if d == DialectV3 {
		ch.StatusDate = stamp
	} else {
		ch.StatusChangedAt = stamp
	}
	return identifierWire{Type: typ, ID: id, Channels: map[string]channelWire{channel: ch}}
}
