package readback

import (
	"context"
	"slices"

	"segbridge/internal/export"
	"segbridge/internal/omnisend"
	"segbridge/internal/run"
)

// shownContact is what a verify keeps of a contact Omnisend listed: which
// of the export's tags it carries and the values of the compared fields
// (a few hundred bytes; memory grows with the contacts listed).
type shownContact struct {
	// tags has bit 0 for the source tag and bit i for segment tag i-1.
	tags    [2]uint64 // an export has at most 99 segments
	fields  []string
	viaTag  bool // a segment tag listing showed it
	inState bool
	status  omnisend.ChannelStatus
	at      string // when the status took effect
}

func (c *shownContact) has(bit int) bool { return c.tags[bit/64]&(1<<(bit%64)) != 0 }

// listing is every contact a verify read, by e-mail.
type listing struct {
	tagBit  map[string]int // tag → bit
	segTags []string
	fields  []field
	byEmail map[string]*shownContact
}

func newListing(t Target) *listing {
	l := &listing{tagBit: map[string]int{export.SourceTag: 0}, segTags: t.SegmentTags,
		fields: fieldsOf(t.Mapping), byEmail: map[string]*shownContact{}}
	for i, tag := range t.SegmentTags {
		l.tagBit[tag] = i + 1
	}
	return l
}

// list pages through the contacts opt selects.
func (l *listing) list(ctx context.Context, o Omnisend, opt omnisend.ListContactsOptions, viaTag bool) error {
	return o.EachContact(ctx, opt, func(page []omnisend.ContactRecord) error {
		for _, r := range page {
			l.add(r, viaTag)
		}
		return nil
	})
}

// add keeps r (once per e-mail: a contact listed again is the same).
func (l *listing) add(r omnisend.ContactRecord, viaTag bool) {
	email := omnisend.NormalizeEmail(r.Email)
	if email == "" {
		return
	}
	c := l.byEmail[email]
	if c == nil {
		c = &shownContact{fields: shownValues(l.fields, &r), status: r.Status}
		if r.Status == omnisend.StatusUnsubscribed {
			c.at = r.StatusDate
		}
		for _, t := range r.Tags {
			if bit, ok := l.tagBit[t]; ok {
				c.tags[bit/64] |= 1 << (bit % 64)
			}
		}
		l.byEmail[email] = c
	}
	c.viaTag = c.viaTag || viaTag
}

// compareTags reports the tags s says c carries that it lacks (the source
// tag included: every exported contact has it), and the export's segment
// tags c carries that s does not list.
func (l *listing) compareTags(s run.StateEntry, c *shownContact, rep *Report) {
	var missing, extra []string
	if !c.has(0) {
		missing = append(missing, export.SourceTag)
	}
	for _, t := range s.Tags {
		if bit, ok := l.tagBit[t]; ok && !c.has(bit) {
			missing = append(missing, t)
		}
	}
	for i, t := range l.segTags {
		if c.has(i+1) && !slices.Contains(s.Tags, t) {
			extra = append(extra, t)
		}
	}
	if len(missing) > 0 {
		rep.Findings = append(rep.Findings, Finding{Email: s.Email, Kind: MissingTag, ProfileID: s.ProfileID, Tags: missing})
	}
	if len(extra) > 0 {
		rep.Findings = append(rep.Findings, Finding{Email: s.Email, Kind: ExtraTag, ProfileID: s.ProfileID, Tags: extra})
	}
}

// extras reports the contacts a segment tag listing showed that are not
// in the state.
func (l *listing) extras(rep *Report) {
	for email, c := range l.byEmail {
		if !c.viaTag || c.inState {
			continue
		}
		var tags []string
		for i, t := range l.segTags {
			if c.has(i + 1) {
				tags = append(tags, t)
			}
		}
		rep.Findings = append(rep.Findings, Finding{Email: email, Kind: ExtraContact, Tags: tags})
	}
}

// unsubscribed returns the contacts read that Omnisend shows unsubscribed.
func (l *listing) unsubscribed() []Status {
	var out []Status
	for email, c := range l.byEmail {
		if c.status == omnisend.StatusUnsubscribed {
			out = append(out, Status{Email: email, Status: c.status, At: c.at})
		}
	}
	return out
}
