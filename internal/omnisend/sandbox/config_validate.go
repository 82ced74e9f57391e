package sandbox

import (
	"errors"
	"fmt"
	"strings"
)

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
		{c.TagJitter < 0, "TagJitter", "must be >= 0"},
		{!c.TagsOnUpsert.Valid(), "TagsOnUpsert", `must be "union" or "replace"`},
		{c.ReplaceTags && c.TagsOnUpsert != TagsReplace, "ReplaceTags", `contradicts TagsOnUpsert (set only TagsOnUpsert)`},
		{!c.StatusDowngrade.Valid(), "StatusDowngrade", `must be "allow" or "block"`},
		{!c.FutureStatusDates.Valid(), "FutureStatusDates", `must be "keep" or "drop"`},
		{!c.Cursors.Valid(), "Cursors", `must be "plain" or "opaque"`},
		{c.ForeignBatches < 0, "ForeignBatches", "must be >= 0"},
		{c.MaxBodyBytes <= 0, "MaxBodyBytes", "must be > 0"},
		{c.Block.AfterErrors < 0, "Block.AfterErrors", "must be >= 0"},
		{c.Block.Window <= 0, "Block.Window", "must be > 0"},
		{c.Block.For <= 0, "Block.For", "must be > 0"},
		{!c.RateLimit.Headers.Valid(), "RateLimit.Headers", `must be "none", "v3" or "retry-after"`},
		{c.RateLimit.RetryAfter.validate() != "", "RateLimit.RetryAfter", c.RateLimit.RetryAfter.validate()},
		{badRate(c.Faults.Error5xx), "Faults.Error5xx", "must be between 0 and 1"},
		{badRate(c.Faults.Extra429), "Faults.Extra429", "must be between 0 and 1"},
		{badRate(c.Faults.Lost), "Faults.Lost", "must be between 0 and 1"},
		{badRate(c.Faults.Hang), "Faults.Hang", "must be between 0 and 1"},
		{badRate(c.Faults.Timeout408), "Faults.Timeout408", "must be between 0 and 1"},
		{!c.Faults.GatewayErrors.Valid(), "Faults.GatewayErrors", `must be "json" or "html"`},
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
