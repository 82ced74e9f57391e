package sandbox

import (
	"net/http"
	"slices"
	"strings"
)

// DeleteContacts deletes the contacts with these e-mails from brand brandID
// (every brand when empty), as a merchant deleting them in Omnisend's app
// would: Omnisend's API has no route for it, so tests and people use this
// (or DELETE /_sandbox/contacts?email=…). It returns how many it deleted;
// unknown e-mails are ignored.
func (s *Server) DeleteContacts(brandID string, emails ...string) int {
	n := 0
	s.withBrands(func(b *brandState) {
		if brandID != "" && b.id != brandID {
			return
		}
		gone := map[*contact]bool{}
		for _, e := range emails {
			c := b.byEmail[strings.ToLower(strings.TrimSpace(e))]
			if c == nil || gone[c] {
				continue
			}
			b.settle(c) // a batch answer that shows it keeps showing it
			delete(b.contacts, c.ID)
			delete(b.byEmail, c.Email)
			if c.Phone != "" {
				delete(b.byPhone, c.Phone)
			}
			gone[c] = true
			b.deletedSeq = max(b.deletedSeq, c.seq+1)
		}
		if len(gone) > 0 {
			b.order = slices.DeleteFunc(b.order, func(c *contact) bool { return gone[c] })
			n += len(gone)
		}
	})
	return n
}

// nextSeq is the paging key of a new contact: after every contact's, also
// once contacts were deleted.
func (b *brandState) nextSeq() int {
	if len(b.order) == 0 {
		return b.deletedSeq
	}
	return max(b.order[len(b.order)-1].seq+1, b.deletedSeq)
}

func (s *Server) inspectDeleteContacts(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	n := s.DeleteContacts(q.Get("brand"), q["email"]...)
	writeJSON(w, http.StatusOK, map[string]any{"deleted": n})
}
