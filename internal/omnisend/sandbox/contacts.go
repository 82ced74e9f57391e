package sandbox

import (
	"fmt"
	"iter"
	"slices"
	"strings"
	"time"
)

// personalFields are the contact's plain string fields, identical in both
// dialects' request and response bodies.
var personalFields = [numPersonal]string{
	"firstName", "lastName", "address", "city", "state", "postalCode",
	"country", "countryCode", "gender", "birthdate",
}

// personalPaths are the personalFields as field paths (shared: paths are
// copied, never changed).
var personalPaths = func() (ps [numPersonal]fieldPath) {
	for i, f := range personalFields {
		ps[i] = fieldPath{f}
	}
	return ps
}()

// Indexes into personalFields of the fields with rules of their own.
const (
	fieldCountryCode = 7
	fieldGender      = 8
	fieldBirthdate   = 9
	numPersonal      = 10
)

// fieldValues are the personal fields of a request.
type fieldValues struct {
	vals [numPersonal]string
	has  uint16 // bit i: personalFields[i] is present
}

func (f *fieldValues) set(i int, v string) { f.vals[i], f.has = v, f.has|1<<i }

func (f *fieldValues) get(i int) (string, bool) { return f.vals[i], f.has&(1<<i) != 0 }

// storedFields are a contact's personal fields, packed: the values of
// personalFields one after the other in data, ends[i] where field i's ends.
// One string instead of a map of them.
type storedFields struct {
	data string
	ends [numPersonal]uint32
	set  uint16 // bit i: personalFields[i] is present
}

func (f *storedFields) get(i int) (string, bool) {
	start := uint32(0)
	if i > 0 {
		start = f.ends[i-1]
	}
	return f.data[start:f.ends[i]], f.set&(1<<i) != 0
}

// merge overwrites the fields present in in.
func (f *storedFields) merge(in *fieldValues) {
	if in.has == 0 {
		return
	}
	vals, n := [numPersonal]string{}, 0
	for i := range numPersonal {
		if in.has&(1<<i) != 0 {
			vals[i] = in.vals[i]
		} else {
			vals[i], _ = f.get(i)
		}
		n += len(vals[i])
	}
	var b strings.Builder
	b.Grow(n)
	for i, v := range vals {
		b.WriteString(v)
		f.ends[i] = uint32(b.Len())
	}
	f.data, f.set = b.String(), f.set|in.has
}

// all yields the present fields as name, value.
func (f *storedFields) all() iter.Seq2[string, string] {
	return func(yield func(string, string) bool) {
		for i, name := range personalFields {
			if v, ok := f.get(i); ok && !yield(name, v) {
				return
			}
		}
	}
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
// It is kept compact, a million of them live in a benchmark: personal
// fields packed in one string, tags interned per brand (no tag set: a
// contact has few tags), custom properties allocated on first use.
type contact struct {
	ID        string
	seq       int // creation order, the paging key
	Email     string
	Phone     string
	EmailCh   *channelState
	SMSCh     *channelState
	Fields    storedFields
	Tags      []string
	Props     map[string]any // nil until the first property
	Consents  []consentRecord
	OptIns    []optIn
	Welcomed  int // welcome messages Omnisend would have sent to this contact
	CreatedAt time.Time
	UpdatedAt time.Time
	// answer is the batch item whose answer shows this contact as it is
	// now, rendered only when asked for; see brandState.settle.
	answer *batchResult
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
	Fields  fieldValues
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

// mergeRules are the switchable parts of how a request changes a contact
// (see Config: TagsOnUpsert, StatusDowngrade, FutureStatusDates).
type mergeRules struct {
	replaceTags    bool
	blockDowngrade bool
	dropFuture     bool
}

func rulesOf(cfg Config) mergeRules {
	return mergeRules{
		replaceTags:    cfg.TagsOnUpsert == TagsReplace,
		blockDowngrade: cfg.StatusDowngrade == DowngradeBlock,
		dropFuture:     cfg.FutureStatusDates == FutureDatesDrop,
	}
}

// maxCustomProperties is Omnisend's per-contact limit.
const maxCustomProperties = 200

// upsert creates or updates the contact that in's e-mail (or, without an
// e-mail, its phone) identifies. It reports whether the contact was created.
func (b *brandState) upsert(in *contactInput, now time.Time, rules mergeRules) (*contact, bool, *apiError) {
	var c *contact
	switch {
	case in.Email != nil:
		c = b.byEmail[in.Email.ID]
	case in.Phone != nil:
		c = b.byPhone[in.Phone.ID]
	}
	if c != nil {
		err := b.update(c, in, now, conflictIgnore, rules)
		return c, false, err
	}
	if in.Email == nil && in.Phone == nil {
		return nil, false, errValidation(fieldError{fieldPath{"identifiers"}, "required", "At least one identifier is required"})
	}
	c = &contact{ID: b.ids.next(now), seq: b.nextSeq(), CreatedAt: now}
	if err := b.update(c, in, now, conflictIgnore, rules); err != nil {
		return nil, false, err
	}
	b.contacts[c.ID] = c
	b.order = append(b.order, c)
	return c, true, nil
}

// update merges in into c: identifiers (respecting ownership), channel
// statuses (last write by date wins), personal fields, tags (union unless
// rules.replaceTags), custom properties (per key).
func (b *brandState) update(c *contact, in *contactInput, now time.Time, policy conflictPolicy, rules mergeRules) *apiError {
	b.settle(c)
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
		c.EmailCh = applyStatus(c, "email", c.EmailCh, email, now, rules)
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
		c.SMSCh = applyStatus(c, "sms", c.SMSCh, phone, now, rules)
		addConsent(c, "sms", phone.Consent, now)
	}
	c.Fields.merge(&in.Fields)
	if in.HasTags {
		if rules.replaceTags {
			c.Tags = nil
		}
		c.addTags(b.intern(in.Tags))
	}
	for k, v := range in.Props {
		if v == nil {
			delete(c.Props, k)
			continue
		}
		if c.Props == nil {
			c.Props = map[string]any{}
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
// rules may drop a future date (the status is then dated now) and block
// nonSubscribed from replacing subscribed or unsubscribed.
func applyStatus(c *contact, channel string, cur *channelState, in *identifierInput, now time.Time, rules mergeRules) *channelState {
	if in.Status == "" {
		if cur == nil {
			return &channelState{Status: "nonSubscribed", ChangedAt: now}
		}
		return cur
	}
	at := in.ChangedAt
	if at.IsZero() || rules.dropFuture && at.After(now) {
		at = now
	}
	if cur != nil && at.Before(cur.ChangedAt) {
		return cur
	}
	if rules.blockDowngrade && in.Status == "nonSubscribed" && cur != nil && cur.Status != "nonSubscribed" {
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
	if c.Tags == nil {
		c.Tags = make([]string, 0, len(tags))
	}
	for _, t := range tags {
		if !c.hasTag(t) {
			c.Tags = append(c.Tags, t)
		}
	}
}

func (c *contact) removeTags(tags []string) bool {
	changed := false
	for _, t := range tags {
		if !c.hasTag(t) {
			continue
		}
		c.Tags = slices.DeleteFunc(c.Tags, func(x string) bool { return x == t })
		changed = true
	}
	return changed
}

func (c *contact) hasTag(t string) bool { return slices.Contains(c.Tags, t) }

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
