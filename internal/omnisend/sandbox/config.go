package sandbox

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
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
)

// Config configures a sandbox Server. The zero value plus WithDefaults is a
// usable sandbox: one key, one brand, Omnisend's documented limits, no faults.
//
// Durations in RateLimit, Batches and TagDelay are "sandbox time": they run
// TimeScale times faster than the wall clock. Durations in Faults are wall-clock
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

	// ReplaceTags makes tags sent on upsert/PATCH replace the contact's tags
	// instead of being added to them. Omnisend's behaviour is UNCONFIRMED; the
	// evidence points to union, which is the default (false).
	ReplaceTags bool

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
	// Headers adds the legacy X-Rate-Limit-Limit/-Remaining/-Reset headers and a
	// Retry-After header on 429 (UNCONFIRMED today; off by default).
	Headers bool
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

// Validate reports the first invalid field of c (after defaults), naming it.
func (c Config) Validate() error {
	if err := validateKeys(c.Keys); err != nil {
		return err
	}
	checks := []struct {
		bad  bool
		name string
		want string
	}{
		{c.TimeScale <= 0, "TimeScale", "must be > 0"},
		{c.RateLimit.Window <= 0, "RateLimit.Window", "must be > 0"},
		{c.RateLimit.General <= 0, "RateLimit.General", "must be > 0"},
		{c.RateLimit.Tags <= 0, "RateLimit.Tags", "must be > 0"},
		{c.Batches.StartDelay < 0, "Batches.StartDelay", "must be >= 0"},
		{c.Batches.ItemInterval < 0, "Batches.ItemInterval", "must be >= 0"},
		{c.Batches.StopAfterErrors < 0, "Batches.StopAfterErrors", "must be >= 0"},
		{c.Batches.Retention <= 0, "Batches.Retention", "must be > 0"},
		{c.Batches.MaxItems <= 0, "Batches.MaxItems", "must be > 0"},
		{c.Batches.MaxItemsV3 <= 0, "Batches.MaxItemsV3", "must be > 0"},
		{c.TagDelay < 0, "TagDelay", "must be >= 0"},
		{badRate(c.Faults.Error5xx), "Faults.Error5xx", "must be between 0 and 1"},
		{badRate(c.Faults.Extra429), "Faults.Extra429", "must be between 0 and 1"},
		{badRate(c.Faults.Lost), "Faults.Lost", "must be between 0 and 1"},
		{badRate(c.Faults.Hang), "Faults.Hang", "must be between 0 and 1"},
		{c.Faults.HangFor < 0, "Faults.HangFor", "must be >= 0"},
		{c.Faults.Latency < 0, "Faults.Latency", "must be >= 0"},
		{c.Faults.LatencyJitter < 0, "Faults.LatencyJitter", "must be >= 0"},
		{c.RequestLogSize <= 0, "RequestLogSize", "must be > 0"},
	}
	for _, ch := range checks {
		if ch.bad {
			return fmt.Errorf("sandbox: %s %s", ch.name, ch.want)
		}
	}
	return validateSegments(c)
}

func badRate(r float64) bool { return r < 0 || r > 1 || r != r }

func validateKeys(keys []Key) error {
	if len(keys) == 0 {
		return errors.New("sandbox: Keys must not be empty")
	}
	seen := map[string]bool{}
	for i, k := range keys {
		switch {
		case strings.TrimSpace(k.Key) == "":
			return fmt.Errorf("sandbox: Keys[%d].Key must not be empty", i)
		case k.BrandID == "":
			return fmt.Errorf("sandbox: Keys[%d].BrandID must not be empty", i)
		case seen[k.Key]:
			return fmt.Errorf("sandbox: Keys[%d].Key is a duplicate", i)
		}
		seen[k.Key] = true
	}
	return nil
}

func validateSegments(c Config) error {
	brands := map[string]bool{}
	for _, k := range c.Keys {
		brands[k.BrandID] = true
	}
	for i, s := range c.Segments {
		switch {
		case s.ID == "":
			return fmt.Errorf("sandbox: Segments[%d].ID must not be empty", i)
		case !brands[s.BrandID]:
			return fmt.Errorf("sandbox: Segments[%d].BrandID %q has no key", i, s.BrandID)
		case s.Tag == "":
			return fmt.Errorf("sandbox: Segments[%d].Tag must not be empty", i)
		}
	}
	return nil
}

// ParseKeySpec parses the CLI form KEY[:BRAND[:ro]] into a Key. BRAND
// defaults to DefaultBrandID.
func ParseKeySpec(spec string) (Key, error) {
	parts := strings.Split(spec, ":")
	if len(parts) > 3 || parts[0] == "" {
		return Key{}, fmt.Errorf("key %q: want KEY[:BRAND[:ro]]", spec)
	}
	k := Key{Key: parts[0], BrandID: DefaultBrandID}
	if len(parts) > 1 {
		if parts[1] == "" {
			return Key{}, fmt.Errorf("key %q: empty BRAND", spec)
		}
		k.BrandID = parts[1]
	}
	if len(parts) == 3 {
		if parts[2] != "ro" {
			return Key{}, fmt.Errorf("key %q: third part must be \"ro\", got %q", spec, parts[2])
		}
		k.ReadOnly = true
	}
	k.BrandName = k.BrandID
	return k, nil
}
