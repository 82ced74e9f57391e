package sandbox

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestConfigDefaults(t *testing.T) {
	t.Parallel()
	c := Config{}.WithDefaults()
	require.NoError(t, c.Validate())
	require.Equal(t, []Key{{Key: DefaultKey, BrandID: DefaultBrandID, BrandName: DefaultBrandID}}, c.Keys)
	require.Equal(t, 400, c.RateLimit.General)
	require.Equal(t, 60, c.RateLimit.Tags)
	require.Equal(t, time.Minute, c.RateLimit.Window)
	require.Equal(t, 100, c.Batches.MaxItems)
	require.Equal(t, 1000, c.Batches.MaxItemsV3)
	require.InDelta(t, 1.0, c.TimeScale, 0)
}

func TestConfigValidateNamesField(t *testing.T) {
	t.Parallel()
	cases := map[string]func(*Config){
		"sandbox: RateLimit.General must be > 0":       func(c *Config) { c.RateLimit.General = -1 },
		"sandbox: TimeScale must be > 0":               func(c *Config) { c.TimeScale = -2 },
		"sandbox: Faults.Lost must be between 0 and 1": func(c *Config) { c.Faults.Lost = 1.5 },
		"sandbox: Keys[1].Key is a duplicate": func(c *Config) {
			c.Keys = []Key{{Key: "a", BrandID: "x"}, {Key: "a", BrandID: "y"}}
		},
		"sandbox: Keys[0].BrandID must not be empty": func(c *Config) { c.Keys = []Key{{Key: "a"}} },
		`sandbox: Segments[0].BrandID "zzz" has no key`: func(c *Config) {
			c.Segments = []Segment{{ID: "s", BrandID: "zzz", Tag: "t"}}
		},
	}
	for want, mutate := range cases {
		c := Config{}
		mutate(&c)
		_, err := New(c)
		require.EqualError(t, err, want)
	}
}

func TestParseKeySpec(t *testing.T) {
	t.Parallel()
	k, err := ParseKeySpec("k1")
	require.NoError(t, err)
	require.Equal(t, Key{Key: "k1", BrandID: DefaultBrandID, BrandName: DefaultBrandID}, k)
	k, err = ParseKeySpec("k2:shop:ro")
	require.NoError(t, err)
	require.Equal(t, Key{Key: "k2", BrandID: "shop", BrandName: "shop", ReadOnly: true}, k)
	for _, bad := range []string{"", ":b", "k::ro", "k:b:rw", "a:b:ro:x"} {
		_, err := ParseKeySpec(bad)
		require.Error(t, err, bad)
	}
}

func TestSandboxClockScales(t *testing.T) {
	t.Parallel()
	fc := &fakeClock{t: time.Unix(1000, 0)}
	c := newSandboxClock(fc, 60)
	fc.Advance(time.Second)
	require.Equal(t, time.Unix(1060, 0), c.Now())
	require.Equal(t, time.Second, c.wallDuration(time.Minute))
}
