package sandbox

import (
	"fmt"
	"slices"
	"time"
)

// personalFields are the contact's plain string fields, identical in both
// dialects' request and response bodies.
var personalFields = []string{
	"firstName", "lastName", "address", "city", "state", "postalCode",
	"country", "countryCode", "gender", "birthdate",
}

type channelState struct {
	Status    string
	ChangedAt time.Time
}

type consentRecord struct {
	Channel   string
	Source    string
	IP        string
	UserAgent string
	CreatedAt time.Time
}

type optIn struct {
	Channel string
	At      time.Time
}

// contact is one stored Omnisend contact. Emails are stored lower-cased.
type contact struct {
	ID        string
	seq       int // creation order, the paging key
	Email     string
	Phone     string
	EmailCh   *channelState
	SMSCh     *channelState
	Fields    map[string]string
	Tags      []string
	tagSet    map[string]struct{}
	Props     map[string]any
	Consents  []consentRecord
	OptIns    []optIn
	Welcomed  int // welcome messages Omnisend would have sent to this contact
	CreatedAt time.Time
	UpdatedAt time.Time
}

// identifierInput is one validated, normalized identifier of a request.
type identifierInput struct {
	ID        string
	Status    string    // "" when the request carried no status
	ChangedAt time.Time // zero: "now"
	Consent   *consentRecord
	Welcome   bool // a welcome message is requested for this identifier
}

// contactInput is a validated, normalized contact request body.
type contactInput struct {
	Email   *identifierInput
	Phone   *identifierInput
	Fields  map[string]string
	Tags    []string
	HasTags bool
	Props   map[string]any // a nil value deletes the property
}

// conflictPolicy says what happens to an identifier owned by another contact.
type conflictPolicy int

const (
	conflictIgnore conflictPolicy = iota // drop the identifier (upserts, v3 PATCH)
	conflictReject                       // 409 (2026-03-15 PATCH)
)

// maxCustomProperties is Omnisend's per-contact limit.
const maxCustomProperties = 200

// upsert creates or updates the contact that in's e-mail (or, without an
// e-mail, its phone) identifies. It reports whether the contact was created.
func (b *brandState) upsert(in *contactInput, now time.Time, replaceTags bool) (*contact, bool, *apiError) {
	var c *contact
	switch {
	case in.Email != nil:
		c = b.byEmail[in.Email.ID]
	case in.Phone != nil:
		c = b.byPhone[in.Phone.ID]
	}
	if c != nil {
		err := b.update(c, in, now, conflictIgnore, replaceTags)
		return c, false, err
	}
	if in.Email == nil && in.Phone == nil {
		return nil, false, errValidation(fieldError{fieldPath{"identifiers"}, "required", "At least one identifier is required"})
	}
	c = &contact{ID: b.ids.next(now), seq: len(b.order), Fields: map[string]string{}, Props: map[string]any{},
		tagSet: map[string]struct{}{}, CreatedAt: now}
	if err := b.update(c, in, now, conflictIgnore, replaceTags); err != nil {
		return nil, false, err
	}
	b.contacts[c.ID] = c
	b.order = append(b.order, c)
	return c, true, nil
}

// update merges in into c: identifiers (respecting ownership), channel
// statuses (last write by date wins), personal fields, tags (union unless
// replaceTags), custom properties (per key).
func (b *brandState) update(c *contact, in *contactInput, now time.Time, policy conflictPolicy, replaceTags bool) *apiError {
	email, phone, err := b.claimIdentifiers(c, in, policy)
	if err != nil {
		return err
	}
	if err := checkPropertyCount(c, in.Props); err != nil {
		return err
	}
	if email != nil {
		if c.Email != email.ID {
			if c.Email != "" {
				delete(b.byEmail, c.Email)
			}
			c.Email = email.ID
			b.byEmail[c.Email] = c
			c.Welcomed += boolInt(email.Welcome)
		}
		c.EmailCh = applyStatus(c, "email", c.EmailCh, email, now)
		addConsent(c, "email", email.Consent, now)
	}
	if phone != nil {
		if c.Phone != phone.ID {
			if c.Phone != "" {
				delete(b.byPhone, c.Phone)
			}
			c.Phone = phone.ID
			b.byPhone[c.Phone] = c
			c.Welcomed += boolInt(phone.Welcome)
		}
		c.SMSCh = applyStatus(c, "sms", c.SMSCh, phone, now)
		addConsent(c, "sms", phone.Consent, now)
	}
	for k, v := range in.Fields {
		c.Fields[k] = v
	}
	if in.HasTags {
		if replaceTags {
			c.Tags, c.tagSet = nil, map[string]struct{}{}
		}
		c.addTags(in.Tags)
	}
	for k, v := range in.Props {
		if v == nil {
			delete(c.Props, k)
			continue
		}
		c.Props[k] = v
	}
	c.UpdatedAt = now
	return nil
}

// claimIdentifiers decides which of in's identifiers c may take. An
// identifier owned by another contact is dropped (conflictIgnore) or is a
// 409 (conflictReject).
func (b *brandState) claimIdentifiers(c *contact, in *contactInput, policy conflictPolicy) (email, phone *identifierInput, err *apiError) {
	email, phone = in.Email, in.Phone
	if email != nil {
		if owner := b.byEmail[email.ID]; owner != nil && owner != c {
			if policy == conflictReject {
				return nil, nil, errConflict(fmt.Sprintf("Contact identifier %q already exists", email.ID))
			}
			email = nil
		}
	}
	if phone != nil {
		if owner := b.byPhone[phone.ID]; owner != nil && owner != c {
			if policy == conflictReject {
				return nil, nil, errConflict(fmt.Sprintf("Contact identifier %q already exists", phone.ID))
			}
			phone = nil
		}
	}
	if c.Email == "" && c.Phone == "" && email == nil && phone == nil {
		return nil, nil, errValidation(fieldError{fieldPath{"identifiers"}, "invalid_value",
			"All identifiers already belong to other contacts; contact not created"})
	}
	return email, phone, nil
}

func checkPropertyCount(c *contact, props map[string]any) *apiError {
	n := len(c.Props)
	for k, v := range props {
		_, had := c.Props[k]
		switch {
		case v == nil && had:
			n--
		case v != nil && !had:
			n++
		}
	}
	if n > maxCustomProperties {
		return errValidation(fieldError{fieldPath{"customProperties"}, "too_many",
			fmt.Sprintf("A contact can have at most %d custom properties (would have %d)", maxCustomProperties, n)})
	}
	return nil
}

// applyStatus keeps the status with the latest date: a status dated before
// the stored one is ignored; no status on a new channel means nonSubscribed.
func applyStatus(c *contact, channel string, cur *channelState, in *identifierInput, now time.Time) *channelState {
	if in.Status == "" {
		if cur == nil {
			return &channelState{Status: "nonSubscribed", ChangedAt: now}
		}
		return cur
	}
	at := in.ChangedAt
	if at.IsZero() {
		at = now
	}
	if cur != nil && at.Before(cur.ChangedAt) {
		return cur
	}
	if in.Status == "subscribed" && (cur == nil || cur.Status != "subscribed") {
		c.OptIns = append(c.OptIns, optIn{Channel: channel, At: at})
	}
	return &channelState{Status: in.Status, ChangedAt: at}
}

func addConsent(c *contact, channel string, rec *consentRecord, now time.Time) {
	if rec == nil {
		return
	}
	r := *rec
	r.Channel = channel
	if r.CreatedAt.IsZero() {
		r.CreatedAt = now
	}
	c.Consents = append(c.Consents, r)
}

func (c *contact) addTags(tags []string) {
	for _, t := range tags {
		if _, ok := c.tagSet[t]; ok {
			continue
		}
		c.tagSet[t] = struct{}{}
		c.Tags = append(c.Tags, t)
	}
}

func (c *contact) removeTags(tags []string) bool {
	changed := false
	for _, t := range tags {
		if _, ok := c.tagSet[t]; !ok {
			continue
		}
		delete(c.tagSet, t)
		c.Tags = slices.DeleteFunc(c.Tags, func(x string) bool { return x == t })
		changed = true
	}
	return changed
}

func (c *contact) hasTag(t string) bool {
	_, ok := c.tagSet[t]
	return ok
}

func (c *contact) emailStatus() string {
	if c.EmailCh == nil {
		return "nonSubscribed"
	}
	return c.EmailCh.Status
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
