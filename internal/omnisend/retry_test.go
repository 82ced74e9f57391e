package omnisend

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestBackoffFullJitter(t *testing.T) {
	t.Parallel()
	cfg := RetryConfig{BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second}.WithDefaults()
	b := &backoff{cfg: cfg, rnd: rand.New(rand.NewPCG(7, 7))}
	ceilings := []time.Duration{100, 200, 400, 800, 1000, 1000, 1000}
	for n, ceiling := range ceilings {
		var maxSeen time.Duration
		for range 500 {
			d := b.delay(n+1, 0)
			require.GreaterOrEqual(t, d, time.Duration(0))
			require.Less(t, d, ceiling*time.Millisecond, "retry %d", n+1)
			maxSeen = max(maxSeen, d)
		}
		require.Greater(t, maxSeen, ceiling*time.Millisecond*8/10, "jitter spans the range")
	}
}

func TestBackoffHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	cfg := RetryConfig{BaseDelay: 100 * time.Millisecond, MaxRetryAfter: 10 * time.Second}.WithDefaults()
	b := &backoff{cfg: cfg, rnd: rand.New(rand.NewPCG(1, 1))}
	require.GreaterOrEqual(t, b.delay(1, 3*time.Second), 3*time.Second)
	require.Equal(t, 10*time.Second, b.delay(1, time.Hour), "capped by MaxRetryAfter")
}

func TestBackoffSameSeedSameDelays(t *testing.T) {
	t.Parallel()
	cfg := RetryConfig{}.WithDefaults()
	a := &backoff{cfg: cfg, rnd: rand.New(rand.NewPCG(3, 4))}
	b := &backoff{cfg: cfg, rnd: rand.New(rand.NewPCG(3, 4))}
	for n := 1; n < 6; n++ {
		require.Equal(t, a.delay(n, 0), b.delay(n, 0))
	}
}
