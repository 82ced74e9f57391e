package sandbox

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"time"
)

// maxSelectors is the 2026-03-15 limit of contactIDs, emails and phones each.
const maxSelectors = 250

// tagOp is an accepted POST/DELETE /api/contacts/tags, applied at due.
type tagOp struct {
	add        bool
	tags       []string
	contactIDs []string
	emails     []string
	phones     []string
	segmentID  string
	due        time.Time
}

func addTags(s *Server, q *request) (*response, error)    { return s.acceptTagOp(q, true) }
func removeTags(s *Server, q *request) (*response, error) { return s.acceptTagOp(q, false) }

// acceptTagOp validates the selectors (≤ 250 each, at least one) and tags
// (1–100), queues the operation for TagDelay (plus its seeded TagJitter)
// and answers 202 with no body.
func (s *Server) acceptTagOp(q *request, add bool) (*response, error) {
	var e errs
	obj, ok := decodeObject(q.body, nil, &e)
	if !ok {
		return nil, e.err()
	}
	delay := s.cfg.TagDelay
	if s.cfg.TagJitter > 0 {
		delay += time.Duration(unit(s.cfg.Faults.Seed, q.seq, streamTagJitter) * float64(s.cfg.TagJitter))
	}
	op := &tagOp{add: add, due: q.now.Add(delay)}
	tags, ok := decodeField[[]string](obj.get("tags"), &e, "an array of strings", nil, "tags")
	switch {
	case !ok || len(tags) == 0:
		e.add(fieldPath{"tags"}, "required", "At least one tag is required")
	default:
		s.v.tags(tags, fieldPath{"tags"}, &e)
	}
	op.tags = tags
	op.contactIDs = selectorList(obj.get("contactIDs"), "contactIDs", &e)
	op.emails = selectorList(obj.get("emails"), "emails", &e)
	op.phones = selectorList(obj.get("phones"), "phones", &e)
	op.segmentID, _ = decodeField[string](obj.get("segmentID"), &e, "a string", nil, "segmentID")
	for i, raw := range op.emails {
		norm, valid := validEmail(raw)
		if !valid {
			e.add(fieldPath{"emails", i}, "invalid_format", "Must be a valid email address")
		}
		op.emails[i] = norm
	}
	for i, p := range op.phones {
		if !validPhone(p) {
			e.add(fieldPath{"phones", i}, "invalid_format", "Must be a phone number in E.164 format")
		}
	}
	if len(op.contactIDs)+len(op.emails)+len(op.phones) == 0 && op.segmentID == "" {
		e.add(fieldPath{"contactIDs"}, "required", "At least one of contactIDs, emails, phones or segmentID is required")
	}
	if aerr := e.err(); aerr != nil {
		return nil, aerr
	}
	op.tags = q.brand.intern(op.tags)
	// Kept in due order; among equal due times, in the order accepted.
	ops := q.brand.tagOps
	i := sort.Search(len(ops), func(i int) bool { return ops[i].due.After(op.due) })
	q.brand.tagOps = slices.Insert(ops, i, op)
	return &response{status: http.StatusAccepted}, nil
}

func selectorList(raw []byte, name string, e *errs) []string {
	list, _ := decodeField[[]string](raw, e, "an array of strings", nil, name)
	if len(list) > maxSelectors {
		e.add(fieldPath{name}, "too_many", fmt.Sprintf("At most %d %s are allowed", maxSelectors, name))
	}
	return list
}

func (b *brandState) nextTagOp() (*tagOp, time.Time) {
	if len(b.tagOps) == 0 {
		return nil, time.Time{}
	}
	return b.tagOps[0], b.tagOps[0].due
}

// applyTagOp adds or removes the tags on the union of the selected
// contacts; unknown e-mails, phones and IDs are ignored.
func (b *brandState) applyTagOp(op *tagOp, now time.Time) {
	seen := map[*contact]bool{}
	visit := func(c *contact) {
		if c == nil || seen[c] {
			return
		}
		seen[c] = true
		b.settle(c)
		changed := true
		if op.add {
			n := len(c.Tags)
			c.addTags(op.tags)
			changed = len(c.Tags) != n
		} else {
			changed = c.removeTags(op.tags)
		}
		if changed {
			c.UpdatedAt = now
		}
	}
	for _, id := range op.contactIDs {
		visit(b.contacts[id])
	}
	for _, e := range op.emails {
		visit(b.byEmail[e])
	}
	for _, p := range op.phones {
		visit(b.byPhone[p])
	}
	if tag, ok := b.segmentTag(op.segmentID); ok {
		for _, c := range b.order {
			if c.hasTag(tag) {
				visit(c)
			}
		}
	}
}
