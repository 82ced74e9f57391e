package sandbox

import (
	"sync"
	"sync/atomic"
	"time"
)

// idGen issues 24-hex-digit IDs shaped like Omnisend's (MongoDB ObjectIDs):
// 8 digits of sandbox seconds, 16 of a counter. IDs are unique per Server
// and reproducible for the same sequence of calls and clock.
type idGen struct{ n atomic.Uint64 }

func (g *idGen) next(now time.Time) string {
	var id [24]byte
	putHex(id[:8], uint64(uint32(now.Unix())))
	putHex(id[8:], g.n.Add(1))
	return string(id[:])
}

// putHex writes v as len(dst) lower-case hex digits, zero-padded (as %0Nx
// does for values that fit).
func putHex(dst []byte, v uint64) {
	for i := len(dst) - 1; i >= 0; i-- {
		dst[i] = "0123456789abcdef"[v&0xf]
		v >>= 4
	}
}

// brandState is everything one brand owns: contacts, batches, pending tag
// operations, rate-limit windows and the fault sequence. mu guards all of it.
type brandState struct {
	mu       sync.Mutex
	id       string
	name     string
	ids      *idGen
	segments []Segment

	contacts map[string]*contact // by ID
	byEmail  map[string]*contact // by lower-cased e-mail
	byPhone  map[string]*contact // by E.164 phone
	order    []*contact          // creation order
	// deletedSeq is one past the paging key of the last deleted contact
	// (see DeleteContacts): keys are never reused.
	deletedSeq int

	batches map[string]*batch
	batchLs []*batch          // creation order
	active  []*batch          // not yet finished or stopped
	tagOps  []*tagOp          // accepted, not yet applied, in due order
	tagPool map[string]string // interned tag names, see intern

	limits map[string]*slidingWindow // "general", "tags"
	seq    uint64                    // requests seen, the fault sequence number
	blocks map[string]*blockState    // by API key, see Config.Block

	cursors cursorTable // opaque paging cursors issued (Config.Cursors)
}

func newBrandState(id, name string, ids *idGen, segs []Segment, rl RateLimitConfig) *brandState {
	b := &brandState{id: id, name: name, ids: ids}
	for _, s := range segs {
		if s.BrandID == id {
			b.segments = append(b.segments, s)
		}
	}
	b.reset(rl)
	return b
}

// reset forgets all data of the brand. The caller holds b.mu (or owns b).
func (b *brandState) reset(rl RateLimitConfig) {
	b.contacts = map[string]*contact{}
	b.byEmail = map[string]*contact{}
	b.byPhone = map[string]*contact{}
	b.order, b.deletedSeq = nil, 0
	b.batches = map[string]*batch{}
	b.batchLs, b.active, b.tagOps = nil, nil, nil
	b.tagPool = map[string]string{}
	b.limits = map[string]*slidingWindow{
		limitGeneral: newSlidingWindow(rl.General, rl.Window, rl.CountRejected),
		limitTags:    newSlidingWindow(rl.Tags, rl.Window, rl.CountRejected),
	}
	b.seq = 0
	b.blocks = map[string]*blockState{}
	b.cursors = cursorTable{}
}

// maxInternedTags bounds the tag pool: past it, new names are stored as
// they come (a pool of mostly unique names would only cost memory).
const maxInternedTags = 1 << 16

// intern replaces tags, in place, by the brand's copy of each name, so that
// a million contacts tagged alike share a few strings.
func (b *brandState) intern(tags []string) []string {
	for i, t := range tags {
		if p, ok := b.tagPool[t]; ok {
			tags[i] = p
		} else if len(b.tagPool) < maxInternedTags {
			b.tagPool[t] = t
		}
	}
	return tags
}

// segmentIDs returns the IDs of the tag-based segments c belongs to.
func (b *brandState) segmentIDs(c *contact) []string {
	ids := []string{}
	for _, s := range b.segments {
		if c.hasTag(s.Tag) {
			ids = append(ids, s.ID)
		}
	}
	return ids
}

func (b *brandState) segmentTag(id string) (string, bool) {
	for _, s := range b.segments {
		if s.ID == id {
			return s.Tag, true
		}
	}
	return "", false
}

// advance runs the brand's asynchronous work (batch items, tag operations)
// that is due at or before now, in due order. The sandbox advances lazily:
// every request to the brand and every inspection calls advance first, so
// the outcome depends only on sandbox time, never on goroutine scheduling.
func (s *Server) advance(b *brandState, now time.Time) {
	for {
		bat, batDue := b.nextBatchItem(s.cfg.Batches)
		op, opDue := b.nextTagOp()
		switch {
		case bat != nil && !batDue.After(now) && (op == nil || !opDue.Before(batDue)):
			s.processBatchItem(b, bat, batDue)
		case op != nil && !opDue.After(now):
			b.tagOps = b.tagOps[1:]
			b.applyTagOp(op, opDue)
		default:
			b.expireBatches(now, s.cfg.Batches)
			return
		}
	}
}
