package sandbox

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The behaviours Omnisend's documents leave open (OMNISEND-API.md marks
// them UNCONFIRMED) are switchable. Each mode's zero value is the
// sandbox's long-standing choice, so a zero Config behaves as before.

// TagsMode is what tags sent on an upsert, a batch item or a PATCH do to
// the contact's existing tags.
type TagsMode string

const (
	// TagsUnion adds the tags sent to the contact's (the default; the
	// evidence points to it).
	TagsUnion TagsMode = "union"
	// TagsReplace makes the tags sent the contact's only tags: a merchant's
	// own tags (e.g. "source: shopify") are lost unless sent again.
	TagsReplace TagsMode = "replace"
)

// DowngradeMode is whether a newer-dated nonSubscribed replaces a
// contact's subscribed or unsubscribed status.
type DowngradeMode string

const (
	// DowngradeAllow applies the date rule alone (the default): the status
	// with the latest date wins, nonSubscribed included.
	DowngradeAllow DowngradeMode = "allow"
	// DowngradeBlock never lets nonSubscribed replace subscribed or
	// unsubscribed, whatever its date.
	DowngradeBlock DowngradeMode = "block"
)

// FutureDatesMode is what happens to a status date later than the moment
// the request is applied.
type FutureDatesMode string

const (
	// FutureDatesKeep stores the date as given (the default).
	FutureDatesKeep FutureDatesMode = "keep"
	// FutureDatesDrop drops the date: the status applies dated now, as if
	// no date had been sent (Omnisend's file import does not save future
	// opt-in dates).
	FutureDatesDrop FutureDatesMode = "drop"
)

// RateLimitHeaders is which rate-limit headers answers carry, besides the
// sandbox's own X-Sandbox-Retry-After-Ms on every 429.
type RateLimitHeaders string

const (
	// HeadersNone sends none (the default; the 2026 docs mention none).
	HeadersNone RateLimitHeaders = "none"
	// HeadersV3 sends the v3 docs' X-Rate-Limit-Limit, X-Rate-Limit-Remaining
	// and X-Rate-Limit-Reset on every answer to an authenticated request.
	HeadersV3 RateLimitHeaders = "v3"
	// HeadersRetryAfter sends Retry-After (seconds, the body's retryAfter)
	// on every 429.
	HeadersRetryAfter RateLimitHeaders = "retry-after"
)

// GatewayErrors is what injected server errors look like.
type GatewayErrors string

const (
	// GatewayJSON answers 500, 502 or 503 in the dialect's error format
	// (the default).
	GatewayJSON GatewayErrors = "json"
	// GatewayHTML answers 500 in the dialect's error format, or 502, 503 or
	// 504 with an HTML page, as a gateway in front of the API does.
	GatewayHTML GatewayErrors = "html"
)

// CursorMode is how GET /contacts paging cursors are made.
type CursorMode string

const (
	// CursorsPlain (the default): 2026-03-15 cursors are base64 of the
	// position; v3's paging links carry the last contact's ID.
	CursorsPlain CursorMode = "plain"
	// CursorsOpaque: in both dialects a cursor is a random-looking token
	// that only the sandbox can resolve; a cursor a client made up (a
	// contact ID, a decoded and re-encoded position) is a 400.
	CursorsOpaque CursorMode = "opaque"
)

// Valid reports whether m is a known mode.
func (m TagsMode) Valid() bool { return m == TagsUnion || m == TagsReplace }

// Valid reports whether m is a known mode.
func (m DowngradeMode) Valid() bool { return m == DowngradeAllow || m == DowngradeBlock }

// Valid reports whether m is a known mode.
func (m FutureDatesMode) Valid() bool { return m == FutureDatesKeep || m == FutureDatesDrop }

// Valid reports whether h is a known mode.
func (h RateLimitHeaders) Valid() bool {
	return h == HeadersNone || h == HeadersV3 || h == HeadersRetryAfter
}

// Valid reports whether g is a known mode.
func (g GatewayErrors) Valid() bool { return g == GatewayJSON || g == GatewayHTML }

// Valid reports whether m is a known mode.
func (m CursorMode) Valid() bool { return m == CursorsPlain || m == CursorsOpaque }

// SecondsRange is an inclusive range of whole seconds; the zero value is
// "not set".
type SecondsRange struct {
	Min, Max int
}

// IsZero reports whether r is unset.
func (r SecondsRange) IsZero() bool { return r == SecondsRange{} }

// String formats r as MIN-MAX.
func (r SecondsRange) String() string { return fmt.Sprintf("%d-%d", r.Min, r.Max) }

// ParseSecondsRange parses MIN-MAX (whole seconds, 1 ≤ MIN ≤ MAX) or a
// single N (MIN = MAX = N). An empty string is the zero range.
func ParseSecondsRange(s string) (SecondsRange, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return SecondsRange{}, nil
	}
	lo, hi, found := strings.Cut(s, "-")
	if !found {
		hi = lo
	}
	minimum, err1 := strconv.Atoi(strings.TrimSpace(lo))
	maximum, err2 := strconv.Atoi(strings.TrimSpace(hi))
	r := SecondsRange{Min: minimum, Max: maximum}
	if err1 != nil || err2 != nil || r.validate() != "" {
		return SecondsRange{}, fmt.Errorf("%q: want whole seconds MIN-MAX with 1 <= MIN <= MAX, e.g. 1-30", s)
	}
	return r, nil
}

// validate returns what is wrong with a set range, or "".
func (r SecondsRange) validate() string {
	if r.IsZero() {
		return ""
	}
	if r.Min < 1 || r.Max < r.Min {
		return "must be whole seconds with 1 <= Min <= Max"
	}
	return ""
}

// BlockConfig makes the sandbox block a key that caused too many errors,
// as v3 documents ("403 – blocked due to many errors in particular time").
// Omnisend's thresholds are UNCONFIRMED. Durations are sandbox time.
type BlockConfig struct {
	// AfterErrors: once a key has had this many error answers (status 400
	// or more, injected faults and 429s included) within Window, its
	// requests are answered 403 for For. Zero never blocks (the default).
	AfterErrors int
	// Window is the sliding window errors are counted in. Default 60 s.
	Window time.Duration
	// For is how long every request of a blocked key is answered 403 (not
	// applied, not counted against the rate limit). Default 60 s.
	For time.Duration
}

func (b BlockConfig) withDefaults() BlockConfig {
	if b.Window == 0 {
		b.Window = time.Minute
	}
	if b.For == 0 {
		b.For = time.Minute
	}
	return b
}
