package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"segbridge/internal/profile"
)

// SearchBy is what a profile search matches.
type SearchBy string

const (
	// SearchID matches profiles whose id starts with the search (an index
	// range of the primary key), in id order.
	SearchID SearchBy = "id"
	// SearchEmail matches profiles whose email attribute starts with the
	// search, ignoring case (an index on the lower-cased e-mail), in e-mail
	// order, then id.
	SearchEmail SearchBy = "email"
	// SearchValue matches profiles with an attribute whose value is the
	// search, ignoring case, in id order. It reads the profiles, so it is
	// slower; callers bound it (CountProfileMatches' max, page limits).
	SearchValue SearchBy = "value"
)

// ProfileKey is a profile's place in a search's order: its id, and for
// SearchEmail its lower-cased e-mail first.
type ProfileKey struct {
	Email string `json:"e,omitempty"`
	ID    string `json:"i"`
}

// ProfileQuery is one page of a profile search.
type ProfileQuery struct {
	By SearchBy
	// Q is the search; "" matches every profile (SearchEmail: every
	// profile with an e-mail).
	Q string
	// After returns the profiles after this key; Before those before it
	// (the page before, still in ascending order). Neither: the first page.
	After, Before *ProfileKey
	// Limit caps the profiles returned (1..1000; 0 means 100).
	Limit int
}

// EffectiveLimit is the limit with its default.
func (q ProfileQuery) EffectiveLimit() int {
	return ListOptions{Limit: q.Limit}.EffectiveLimit()
}

// KeyOf is p's key in a search by by.
func KeyOf(by SearchBy, p profile.Profile) ProfileKey {
	k := ProfileKey{ID: p.ID}
	if by == SearchEmail {
		if e, ok := p.Attrs["email"]; ok {
			k.Email = strings.ToLower(FormatValue(e))
		}
	}
	return k
}

// FormatValue is an attribute value as text, as the value search
// compares it.
func FormatValue(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

// PrefixEnd is the least string greater than every string starting with
// prefix: a range [prefix, PrefixEnd(prefix)) is a prefix search.
func PrefixEnd(prefix string) string { return prefix + "\U0010FFFF" }

// ProfileSearch finds profiles.
type ProfileSearch interface {
	// SearchProfiles returns a page of the profiles matching q, in the
	// search's order, and whether more match beyond it in the page's
	// direction (after the last for After or no key, before the first for
	// Before).
	SearchProfiles(ctx context.Context, q ProfileQuery) (ps []profile.Profile, more bool, err error)
	// CountProfileMatches counts the profiles matching a search, stopping
	// at max+1: a result above max means "more than max".
	CountProfileMatches(ctx context.Context, by SearchBy, q string, max int) (int, error)
	// ProfileSegments returns the ids of the segments profile id is a
	// stored member of, in id order.
	ProfileSegments(ctx context.Context, id string) ([]int64, error)
	// ExportStatesOf returns, per export whose confirmed state holds the
	// e-mail (trimmed, lower-cased), that state, in export id order.
	ExportStatesOf(ctx context.Context, email string) ([]ExportState, error)
	ProfileImports
}

// ExportState is an export's confirmed state for one e-mail.
type ExportState struct {
	ExportID  int64
	ProfileID string
	Tags      []string
	// Confirmed is false when no batch of the contact was confirmed yet.
	Confirmed   bool
	ConfirmedAt time.Time
	// Unsure marks a contact whose last batch has no known outcome.
	Unsure bool
}

// ProfileImport is one import of profiles, as the import history keeps it.
type ProfileImport struct {
	ID int64     `json:"id"`
	At time.Time `json:"at"`
	// Actor is who imported (an e-mail, "cli", a token's name).
	Actor string `json:"actor"`
	// Source names the input: the uploaded file's name, a path, "stdin".
	Source    string `json:"source"`
	Format    string `json:"format"`
	Bytes     int64  `json:"bytes"`
	Rows      int    `json:"rows"`
	Inserted  int    `json:"imported"`
	Updated   int    `json:"updated"`
	Unchanged int    `json:"unchanged"`
	Rejected  int    `json:"rejected"`
	// Status is ImportDone, ImportPartial or ImportFailed.
	Status string `json:"status" enum:"done,partial,failed"`
	// Message is why an import failed or stopped ("" when done).
	Message string `json:"message,omitempty"`
}

// The statuses of an import.
const (
	ImportDone    = "done"
	ImportPartial = "partial"
	ImportFailed  = "failed"
)

// ProfileImports keeps the import history.
type ProfileImports interface {
	// RecordProfileImport stores an import (its ID is ignored) and returns
	// it with its id.
	RecordProfileImport(ctx context.Context, im ProfileImport) (ProfileImport, error)
	// ListProfileImports returns the latest imports, newest first, at most
	// limit (1..1000; 0 means 100), with ids below before (0: from the
	// newest).
	ListProfileImports(ctx context.Context, before int64, limit int) ([]ProfileImport, error)
}

// JSONLike is a LIKE pattern (escape character \) matching the
// canonical JSON text of attributes that hold the value q somewhere, and
// whether there is one: a q with characters JSON escapes (quotes,
// backslashes, <, >, &, control characters) has none.
func JSONLike(q string) (string, bool) {
	var b strings.Builder
	b.WriteByte('%')
	for _, r := range q {
		switch {
		case r < 0x20 || r == '"' || r == '\\' || r == '<' || r == '>' || r == '&' || r == 0x2028 || r == 0x2029 || r == 0x7f:
			return "", false
		case r == '%' || r == '_':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	b.WriteByte('%')
	return b.String(), true
}
