package sandbox

import (
	"io"
	"log/slog"
	"time"
)

// Default values used by Config.WithDefaults.
const (
	DefaultKey          = "sandbox-key"
	DefaultBrandID      = "sandbox-brand"
	DefaultWindow       = 60 * time.Second
	DefaultGeneralLimit = 400
	DefaultTagsLimit    = 60
	DefaultBatchDelay   = time.Second
	DefaultBatchPace    = 50 * time.Millisecond
	DefaultTagDelay     = 2 * time.Second
	DefaultRetention    = 7 * 24 * time.Hour
	DefaultHangFor      = 30 * time.Second
	DefaultLogSize      = 10000
	// DefaultMaxBodyBytes is the largest request body accepted: Omnisend
	// asks to keep a batch at or under 1 MB (OMNISEND-API.md §3.1, [SYNC])
	// and states no hard limit; the sandbox reads 1 MB as 1,000,000 bytes,
	// the stricter reading, so a client it accepts fits either.
	DefaultMaxBodyBytes = 1_000_000
)

// Config configures a sandbox Server. The zero value plus WithDefaults is a
// usable sandbox: one key, one brand, Omnisend's documented limits, no faults.
//
// Durations in RateLimit, Batches, TagDelay, TagJitter and Block are
// "sandbox time": they run TimeScale times faster than the wall clock. Durations in Faults are wall-clock
// durations, because they are measured against the client's real timeouts.
type Config struct {
	// Keys maps API keys to brands. Several keys may share a brand (and its
	// contacts and rate limits). Default: one key DefaultKey for DefaultBrandID.
	Keys []Key

	// TimeScale makes every sandbox duration (rate-limit windows, batch pacing,
	// tag delay, retryAfter, batch retention) run TimeScale times faster than
	// the wall clock. Default 1.
	TimeScale float64

	// Clock supplies wall-clock time; tests inject a fake. Default: time.Now.
	Clock Clock

	// Logger receives one debug line per request. Default: discard.
	Logger *slog.Logger

	// RateLimit configures Omnisend's per-brand sliding-window limits.
	RateLimit RateLimitConfig

	// Batches configures the asynchronous batch engine.
	Batches BatchConfig

	// TagDelay is how long after a 202 from POST/DELETE /api/contacts/tags the
	// tags are actually added or removed (Omnisend applies them asynchronously).
	// Default DefaultTagDelay; use time.Nanosecond for "at the next request".
	TagDelay time.Duration

	// TagJitter adds to each tag operation's TagDelay a seeded random delay
	// in [0, TagJitter), so operations accepted one after the other may
	// apply in another order. Default 0: in the order accepted.
	TagJitter time.Duration

	// TagsOnUpsert is what tags sent on an upsert, a batch item or a PATCH
	// do to the contact's tags: TagsUnion (default) adds them, TagsReplace
	// makes them the only ones. Omnisend's behaviour is UNCONFIRMED; the
	// evidence points to union.
	TagsOnUpsert TagsMode

	// ReplaceTags is the older form of TagsOnUpsert = TagsReplace.
	//
	// Deprecated: set TagsOnUpsert.
	ReplaceTags bool

	// StatusDowngrade is whether a newer-dated nonSubscribed replaces
	// subscribed or unsubscribed: DowngradeAllow (default, the date rule
	// alone) or DowngradeBlock. UNCONFIRMED.
	StatusDowngrade DowngradeMode

	// FutureStatusDates is what a status date later than now does:
	// FutureDatesKeep (default) stores it, FutureDatesDrop applies the
	// status dated now. UNCONFIRMED for the API.
	FutureStatusDates FutureDatesMode

	// Cursors is how GET /contacts paging cursors are made: CursorsPlain
	// (default) or CursorsOpaque (tokens only the sandbox can resolve).
	Cursors CursorMode

	// ForeignBatches is how many batches of other integrations appear in
	// the brand's batch list for every batch a client creates: finished
	// contacts batches created since the client's previous batch, so GET
	// /batches lists are crowded and interleaved. Default 0.
	ForeignBatches int

	// MaxBodyBytes is the largest request body accepted; a larger one is a
	// 400 naming "body". Default DefaultMaxBodyBytes (Omnisend's 1 MB).
	MaxBodyBytes int

	// Block answers 403 to a key that caused too many errors (v3's "blocked
	// due to many errors"). Off by default.
	Block BlockConfig

	// Segments are tag-based segments: every contact carrying Tag is a member.
	// They back the segmentID filter, the segmentID tag selector and the
	// contacts' segments[] field.
	Segments []Segment

	// Faults injects seeded, reproducible network and server faults.
	Faults FaultConfig

	// RequestLogSize is how many recent requests /_sandbox/requests keeps.
	// Default DefaultLogSize.
	RequestLogSize int
}

// Key is one API key and the brand it belongs to.
type Key struct {
	Key       string // the secret sent by clients
	BrandID   string // brand the key acts on
	BrandName string // display name (default: BrandID)
	ReadOnly  bool   // writes (POST, PATCH, PUT, DELETE) get 403
}

// Segment is a tag-based segment of one brand.
type Segment struct {
	ID      string
	BrandID string
	Tag     string
}

// RateLimitConfig holds the per-brand limits. Each limit is a count of
// requests admitted in any sliding Window.
type RateLimitConfig struct {
	// Window is the sliding window length (sandbox time). Default 60s.
	Window time.Duration
	// General is the limit for every endpoint except /contacts/tags. Default 400.
	General int
	// Tags is the limit for POST/DELETE /api/contacts/tags, a separate budget.
	// Default 60.
	Tags int
	// CountRejected makes 429'd requests occupy the window too. Omnisend does
	// not say (UNCONFIRMED); default false: only admitted requests count.
	CountRejected bool
	// Headers is which rate-limit headers answers carry (UNCONFIRMED
	// today): HeadersNone (default), HeadersV3 (X-Rate-Limit-Limit,
	// -Remaining and -Reset on every answer) or HeadersRetryAfter
	// (Retry-After on 429s). Header seconds are wall-clock seconds: whole
	// at TimeScale 1, to the millisecond when time is scaled.
	Headers RateLimitHeaders
	// RetryAfter, when set, makes every 429 say a retryAfter drawn from it
	// (seeded by Faults.Seed and the request's sequence number), whatever
	// the real wait; default: the real wait in wall-clock seconds rounded
	// up, at least 1.
	RetryAfter SecondsRange
}

// BatchConfig paces batches: pending for StartDelay, then one item every
// ItemInterval (sandbox time) until finished. Zero durations take the
// defaults; use time.Nanosecond for "immediately".
type BatchConfig struct {
	StartDelay   time.Duration // pending → inProgress. Default 1s.
	ItemInterval time.Duration // time to process one item. Default 50ms.
	// StopAfterErrors stops a batch (status "stopped") once this many items
	// failed. Zero never stops (Omnisend's threshold is UNCONFIRMED).
	StopAfterErrors int
	// Retention is how long finished batches stay readable. Default 7 days.
	Retention  time.Duration
	MaxItems   int // 2026-03-15 limit per batch. Default 100.
	MaxItemsV3 int // v3 limit per batch. Default 1000.
}

// FaultConfig injects faults. Every decision depends only on Seed and the
// request's per-brand sequence number, so the same seed and the same request
// sequence give the same faults. Rates are probabilities in [0, 1].
type FaultConfig struct {
	Seed          int64
	Error5xx      float64       // answer 500/502/503 without applying the request
	Extra429      float64       // answer 429 although the limit was not reached
	Lost          float64       // apply the request, then drop the connection unanswered
	Hang          float64       // hold the request for HangFor (or until the client gives up), then drop it
	HangFor       time.Duration // wall clock; default DefaultHangFor
	Latency       time.Duration // wall-clock delay added to every request
	LatencyJitter time.Duration // extra uniform random delay in [0, LatencyJitter)
	Timeout408    float64       // answer 408 Request timeout without applying the request
	// GatewayErrors is what Error5xx answers look like: GatewayJSON
	// (default: 500/502/503 in the dialect's error format) or GatewayHTML
	// (500 in that format, 502/503/504 with an HTML body). UNCONFIRMED.
	GatewayErrors GatewayErrors
}

// WithDefaults returns a copy of c with zero fields set to their defaults.
func (c Config) WithDefaults() Config {
	if len(c.Keys) == 0 {
		c.Keys = []Key{{Key: DefaultKey, BrandID: DefaultBrandID}}
	} else {
		c.Keys = append([]Key(nil), c.Keys...)
	}
	for i := range c.Keys {
		if c.Keys[i].BrandName == "" {
			c.Keys[i].BrandName = c.Keys[i].BrandID
		}
	}
	if c.TimeScale == 0 {
		c.TimeScale = 1
	}
	if c.Clock == nil {
		c.Clock = systemClock{}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	c.RateLimit = c.RateLimit.withDefaults()
	c.Batches = c.Batches.withDefaults()
	if c.TagDelay == 0 {
		c.TagDelay = DefaultTagDelay
	}
	if c.TagsOnUpsert == "" {
		c.TagsOnUpsert = TagsUnion
		if c.ReplaceTags {
			c.TagsOnUpsert = TagsReplace
		}
	}
	if c.StatusDowngrade == "" {
		c.StatusDowngrade = DowngradeAllow
	}
	if c.FutureStatusDates == "" {
		c.FutureStatusDates = FutureDatesKeep
	}
	if c.Cursors == "" {
		c.Cursors = CursorsPlain
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	c.Block = c.Block.withDefaults()
	if c.Faults.GatewayErrors == "" {
		c.Faults.GatewayErrors = GatewayJSON
	}
	if c.Faults.HangFor == 0 {
		c.Faults.HangFor = DefaultHangFor
	}
	if c.RequestLogSize == 0 {
		c.RequestLogSize = DefaultLogSize
	}
	return c
}

func (r RateLimitConfig) withDefaults() RateLimitConfig {
	if r.Window == 0 {
		r.Window = DefaultWindow
	}
	if r.General == 0 {
		r.General = DefaultGeneralLimit
	}
	if r.Tags == 0 {
		r.Tags = DefaultTagsLimit
	}
	if r.Headers == "" {
		r.Headers = HeadersNone
	}
	return r
}

func (b BatchConfig) withDefaults() BatchConfig {
	if b.StartDelay == 0 {
		b.StartDelay = DefaultBatchDelay
	}
	if b.ItemInterval == 0 {
		b.ItemInterval = DefaultBatchPace
	}
	if b.Retention == 0 {
		b.Retention = DefaultRetention
	}
	if b.MaxItems == 0 {
		b.MaxItems = 100
	}
	if b.MaxItemsV3 == 0 {
		b.MaxItemsV3 = 1000
	}
	return b
}
