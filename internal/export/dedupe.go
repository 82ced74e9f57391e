package export

// Dedupe applies the duplicate e-mail rule of a run: when several profiles
// map to the same (normalized) e-mail address, the one with the lowest
// profile id wins and the others are skipped as SkipDuplicateEmail. It is
// cheapest when profiles come in ascending id order (as the store streams
// members), but any order gives the same winners. It holds one entry per
// distinct address, so a planner with more profiles than fit in memory
// should instead sort by e-mail in the database. Not safe for concurrent
// use.
type Dedupe struct {
	owner map[string]string
}

// NewDedupe returns an empty Dedupe sized for about n addresses.
func NewDedupe(n int) *Dedupe { return &Dedupe{owner: make(map[string]string, n)} }

// Claim records that profile id maps to email (normalized already). It
// returns the id of the profile that loses to another one with the same
// address: "" when email is new, id itself when an earlier (lower) id holds
// it, or the previous holder when id is lower than it — the caller must
// then skip that earlier profile as a duplicate.
func (d *Dedupe) Claim(email, id string) (loser string) {
	cur, ok := d.owner[email]
	switch {
	case !ok:
		d.owner[email] = id
		return ""
	case id == cur:
		return ""
	case id < cur:
		d.owner[email] = id
		return cur
	}
	return id
}

// Owner returns the profile id holding email, if any.
func (d *Dedupe) Owner(email string) (string, bool) {
	id, ok := d.owner[email]
	return id, ok
}

// Len is the number of distinct addresses claimed.
func (d *Dedupe) Len() int { return len(d.owner) }
