package sandbox

import (
	"encoding/base64"
	"encoding/binary"
	"hash/fnv"
	"time"
)

// maxCursors bounds the opaque cursors a brand remembers; the oldest are
// forgotten first (a client paging through a million contacts 250 at a
// time needs 4,000).
const maxCursors = 1 << 16

// cursorTable maps the opaque cursors a brand issued to page positions.
type cursorTable struct {
	keys  map[string]pageKey
	order []string // issue order, for forgetting the oldest
	next  uint64   // cursors issued so far
}

// cursor returns the cursor of position k for a page of d's list: plain
// (base64 of the position on 2026-03-15, the contact's ID on v3) or, with
// Config.Cursors opaque, a new token that only this brand resolves.
func (s *Server) cursor(b *brandState, d dialect, k pageKey, c *contact) string {
	if s.cfg.Cursors != CursorsOpaque {
		if d == dialectV3 {
			return c.ID
		}
		return encodeCursor(k)
	}
	t := &b.cursors
	if t.keys == nil {
		t.keys = map[string]pageKey{}
	}
	t.next++
	h := fnv.New64a()
	_, _ = h.Write([]byte(b.id))
	var raw [16]byte
	binary.BigEndian.PutUint64(raw[:8], mix(s.cfg.Faults.Seed, t.next, streamCursor)^h.Sum64())
	binary.BigEndian.PutUint64(raw[8:], mix(s.cfg.Faults.Seed, t.next, streamCursor+1))
	tok := base64.RawURLEncoding.EncodeToString(raw[:])
	if len(t.order) >= maxCursors {
		delete(t.keys, t.order[0])
		t.order = t.order[1:]
	}
	t.keys[tok] = k
	t.order = append(t.order, tok)
	return tok
}

// pivot resolves a cursor of d's list to a contact standing for its
// position, or nil if the cursor is not one the sandbox issued.
func (s *Server) pivot(b *brandState, d dialect, cursor string) *contact {
	var k pageKey
	switch {
	case s.cfg.Cursors == CursorsOpaque:
		var ok bool
		if k, ok = b.cursors.keys[cursor]; !ok {
			return nil
		}
	case d == dialectV3:
		return b.contacts[cursor]
	default:
		var ok bool
		if k, ok = decodeCursor(cursor); !ok {
			return nil
		}
	}
	return &contact{seq: int(k.seq), UpdatedAt: time.Unix(0, k.primary)}
}
