package sandbox

import (
	"cmp"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// listQuery is a parsed GET /contacts query.
type listQuery struct {
	limit         int
	email, phone  string
	status, tag   string
	segmentID     string
	updatedAtFrom time.Time
	byUpdated     bool // sort by updatedAt instead of createdAt
	desc          bool
	after, before string
}

// pageKey orders contacts: primary (seq or updatedAt nanos), then seq.
type pageKey struct{ primary, seq int64 }

func listContacts(s *Server, q *request) (*response, error) {
	lq, aerr := parseListQuery(q.r.URL.Query(), q.d)
	if aerr != nil {
		return nil, aerr
	}
	all := q.brand.filter(lq)
	key := func(c *contact) pageKey {
		if lq.byUpdated {
			return pageKey{c.UpdatedAt.UnixNano(), int64(c.seq)}
		}
		return pageKey{int64(c.seq), int64(c.seq)}
	}
	order := func(a, b *contact) int {
		ka, kb := key(a), key(b)
		r := cmp.Or(cmp.Compare(ka.primary, kb.primary), cmp.Compare(ka.seq, kb.seq))
		if lq.desc {
			return -r
		}
		return r
	}
	switch {
	case lq.byUpdated:
		slices.SortFunc(all, order)
	case lq.desc: // filter returns creation order already
		slices.Reverse(all)
	}
	lo, hi, aerr := s.pageBounds(all, lq, q.d, order, q.brand)
	if aerr != nil {
		return nil, aerr
	}
	page := all[lo:hi]
	contacts := make([]map[string]any, len(page))
	for i, c := range page {
		contacts[i] = q.brand.renderContact(c, q.d)
	}
	var after, before string
	if hi < len(all) && len(page) > 0 {
		last := page[len(page)-1]
		after = s.cursor(q.brand, q.d, key(last), last)
	}
	if lo > 0 && len(page) > 0 {
		before = s.cursor(q.brand, q.d, key(page[0]), page[0])
	}
	if q.d == dialectV3 {
		return &response{http.StatusOK, map[string]any{"contacts": contacts, "paging": v3Paging(q.r, after, before, lq.limit)}}, nil
	}
	cursors := map[string]any{"after": nil, "before": nil}
	if after != "" {
		cursors["after"] = after
	}
	if before != "" {
		cursors["before"] = before
	}
	paging := map[string]any{"cursors": cursors, "hasMore": hi < len(all), "limit": lq.limit}
	return &response{http.StatusOK, map[string]any{"contacts": contacts, "paging": paging}}, nil
}

// pageBounds finds the page [lo, hi) after or before the cursor.
func (s *Server) pageBounds(all []*contact, lq listQuery, d dialect,
	order func(a, b *contact) int, b *brandState) (lo, hi int, aerr *apiError) {
	cursor := lq.after
	if cursor == "" {
		cursor = lq.before
	}
	if cursor == "" {
		return 0, min(len(all), lq.limit), nil
	}
	pivot := s.pivot(b, d, cursor)
	if pivot == nil {
		name := "after"
		if lq.after == "" {
			name = "before"
		}
		return 0, 0, errValidation(fieldError{fieldPath{name}, "invalid_value", "Invalid paging cursor"})
	}
	// first index ordered strictly after the pivot
	idx, found := slices.BinarySearchFunc(all, pivot, order)
	if found {
		idx++
	}
	if lq.after != "" {
		return idx, min(len(all), idx+lq.limit), nil
	}
	end := idx
	if found {
		end = idx - 1
	}
	return max(0, end-lq.limit), end, nil
}

func encodeCursor(k pageKey) string {
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "%d:%d", k.primary, k.seq))
}

func decodeCursor(s string) (pageKey, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return pageKey{}, false
	}
	var k pageKey
	if _, err := fmt.Sscanf(string(raw), "%d:%d", &k.primary, &k.seq); err != nil {
		return pageKey{}, false
	}
	return k, true
}

// v3Paging builds {previous, next, limit} with full URLs carrying after= or
// before= (a cursor), as Omnisend's v3 does. Absent links are omitted.
func v3Paging(r *http.Request, after, before string, limit int) map[string]any {
	p := map[string]any{"limit": limit}
	link := func(param, id string) string {
		v := r.URL.Query()
		v.Del("after")
		v.Del("before")
		v.Set(param, id)
		v.Set("limit", strconv.Itoa(limit))
		return (&url.URL{Scheme: "http", Host: r.Host, Path: r.URL.Path, RawQuery: v.Encode()}).String()
	}
	if after != "" {
		p["next"] = link("after", after)
	}
	if before != "" {
		p["previous"] = link("before", before)
	}
	return p
}

// filter returns the contacts matching lq's filters, in creation order.
func (b *brandState) filter(lq listQuery) []*contact {
	if lq.email != "" || lq.phone != "" {
		var c *contact
		if lq.email != "" {
			c = b.byEmail[lq.email]
		} else {
			c = b.byPhone[lq.phone]
		}
		if c == nil || !b.matches(c, lq) {
			return nil
		}
		return []*contact{c}
	}
	out := make([]*contact, 0, min(len(b.order), 1024))
	for _, c := range b.order {
		if b.matches(c, lq) {
			out = append(out, c)
		}
	}
	return out
}

func (b *brandState) matches(c *contact, lq listQuery) bool {
	switch {
	case lq.email != "" && c.Email != lq.email, lq.phone != "" && c.Phone != lq.phone:
		return false
	case lq.status != "" && c.emailStatus() != lq.status:
		return false
	case lq.tag != "" && !c.hasTag(lq.tag):
		return false
	case !lq.updatedAtFrom.IsZero() && c.UpdatedAt.Before(lq.updatedAtFrom):
		return false
	}
	if lq.segmentID != "" {
		tag, ok := b.segmentTag(lq.segmentID)
		return ok && c.hasTag(tag)
	}
	return true
}

func parseListQuery(v url.Values, d dialect) (listQuery, *apiError) {
	var e errs
	lq := listQuery{limit: 100, desc: d == dialect2026, after: v.Get("after"), before: v.Get("before"),
		phone: v.Get("phone"), status: v.Get("status"), tag: v.Get("tag"), segmentID: v.Get("segmentID")}
	lq.email = strings.ToLower(strings.TrimSpace(v.Get("email")))
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 250 {
			e.add(fieldPath{"limit"}, "invalid_value", "Must be an integer from 1 to 250")
		}
		lq.limit = n
	}
	if lq.status != "" && !subscriptionStatuses[lq.status] {
		e.add(fieldPath{"status"}, "invalid_value", "Must be one of: subscribed, unsubscribed, nonSubscribed")
	}
	if lq.email != "" && d == dialectV3 {
		if _, ok := validEmail(lq.email); !ok {
			e.add(fieldPath{"email"}, "invalid_format", "Must be a valid email address")
		}
	}
	if d == dialect2026 {
		parse2026Options(v, &lq, &e)
	}
	return lq, e.err()
}

// parse2026Options reads sort, direction and updatedAtFrom and enforces the
// 2026-03-15 filter restrictions.
func parse2026Options(v url.Values, lq *listQuery, e *errs) {
	switch v.Get("sort") {
	case "", "createdAt":
	case "updatedAt":
		lq.byUpdated = true
	default:
		e.add(fieldPath{"sort"}, "invalid_value", "Must be one of: createdAt, updatedAt")
	}
	switch v.Get("direction") {
	case "", "desc":
	case "asc":
		lq.desc = false
	default:
		e.add(fieldPath{"direction"}, "invalid_value", "Must be one of: asc, desc")
	}
	if lq.tag != "" && lq.status != "" {
		e.add(fieldPath{"tag"}, "invalid_combination", "tag and status cannot be used together")
	}
	if s := v.Get("updatedAtFrom"); s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			e.add(fieldPath{"updatedAtFrom"}, "invalid_format", "Must be an RFC3339 date-time")
		}
		lq.updatedAtFrom = t
		if lq.email != "" || lq.phone != "" || lq.status != "" || lq.segmentID != "" || lq.tag != "" {
			e.add(fieldPath{"updatedAtFrom"}, "invalid_combination",
				"updatedAtFrom cannot be combined with email, phone, status, segmentID or tag")
		}
	}
}
