package segment

import "time"

// Kind says how a segment selects its members.
type Kind string

const (
	// KindRule segments select profiles by a CEL rule over the profile `p`.
	KindRule Kind = "rule"
	// KindStatic segments hold a fixed list of profile ids.
	KindStatic Kind = "static"
)

// Segment is a stored segment definition with the state of its last refresh.
type Segment struct {
	ID   int64
	Name string
	// Slug is the tag-safe, unique form of Name used in Omnisend tags.
	Slug string
	Kind Kind
	// Rule is the CEL source of a rule segment; empty for static ones.
	Rule string
	// StaticCount is the number of ids listed for a static segment.
	StaticCount int
	CreatedAt   time.Time
	UpdatedAt   time.Time
	// RefreshedAt is the time of the last refresh; zero if never refreshed.
	RefreshedAt time.Time
	// MemberCount is the number of members stored by the last refresh.
	MemberCount int
}

// MembershipChange replaces a segment's stored membership by applying the
// difference from the previous refresh.
type MembershipChange struct {
	SegmentID   int64
	Add         []string
	Remove      []string
	MemberCount int
	RefreshedAt time.Time
}
