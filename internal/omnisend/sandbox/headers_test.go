package sandbox

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func rateHeaderNames(res *result) []string {
	var out []string
	for _, h := range []string{"X-Rate-Limit-Limit", "X-Rate-Limit-Remaining", "X-Rate-Limit-Reset", "Retry-After"} {
		if res.header.Get(h) != "" {
			out = append(out, h)
		}
	}
	return out
}

func TestRateLimitHeaderModes(t *testing.T) {
	t.Parallel()
	limit3 := func(h RateLimitHeaders) func(*Config) {
		return func(c *Config) { c.RateLimit.General, c.RateLimit.Headers = 3, h }
	}

	b := setup(t, limit3(HeadersNone))
	require.Empty(t, rateHeaderNames(b.api(http.MethodGet, "/api/contacts", nil)))
	b.api(http.MethodGet, "/api/contacts", nil)
	b.api(http.MethodGet, "/api/contacts", nil)
	res := b.api(http.MethodGet, "/api/contacts", nil)
	require.Equal(t, http.StatusTooManyRequests, res.status)
	require.Empty(t, rateHeaderNames(res), "none: today's behaviour")
	require.NotEmpty(t, res.header.Get("X-Sandbox-Retry-After-Ms"))

	b = setup(t, limit3(HeadersV3))
	res = b.api(http.MethodGet, "/api/contacts", nil)
	require.Equal(t, []string{"3", "2", "60"}, []string{res.header.Get("X-Rate-Limit-Limit"),
		res.header.Get("X-Rate-Limit-Remaining"), res.header.Get("X-Rate-Limit-Reset")})
	b.clock.Advance(10 * time.Second)
	res = b.v3(http.MethodPost, "/v3/contacts", map[string]any{}) // a 400 carries them too
	require.Equal(t, http.StatusBadRequest, res.status)
	require.Equal(t, "1", res.header.Get("X-Rate-Limit-Remaining"))
	require.Equal(t, "50", res.header.Get("X-Rate-Limit-Reset"), "until the oldest request leaves the window")
	b.api(http.MethodGet, "/api/contacts", nil)
	res = b.api(http.MethodGet, "/api/contacts", nil)
	require.Equal(t, http.StatusTooManyRequests, res.status)
	require.Equal(t, []string{"X-Rate-Limit-Limit", "X-Rate-Limit-Remaining", "X-Rate-Limit-Reset"}, rateHeaderNames(res))
	require.Equal(t, "0", res.header.Get("X-Rate-Limit-Remaining"))

	b = setup(t, limit3(HeadersRetryAfter))
	for range 3 {
		require.Empty(t, rateHeaderNames(b.api(http.MethodGet, "/api/contacts", nil)))
	}
	res = b.api(http.MethodGet, "/api/contacts", nil)
	require.Equal(t, []string{"Retry-After"}, rateHeaderNames(res))
	require.Equal(t, "60", res.header.Get("Retry-After"))
	require.EqualValues(t, 60, res.body["retryAfter"])
}

func TestRateLimitHeadersScaled(t *testing.T) {
	t.Parallel()
	// At time scale 60 a sandbox minute lasts a wall-clock second: header
	// seconds keep their milliseconds.
	b := setup(t, func(c *Config) { c.TimeScale, c.RateLimit.Headers = 60, HeadersV3 })
	require.Equal(t, "1", b.api(http.MethodGet, "/api/contacts", nil).header.Get("X-Rate-Limit-Reset"))
	b.clock.Advance(100 * time.Millisecond) // 6 sandbox seconds
	res := b.api(http.MethodGet, "/api/contacts", nil)
	require.Equal(t, "0.9", res.header.Get("X-Rate-Limit-Reset"))
	require.Equal(t, "398", res.header.Get("X-Rate-Limit-Remaining"))
}

// retryAfters returns the retryAfter of n requests to a brand whose limit
// of 1 is used up, checking that Retry-After says the same.
func retryAfters(t *testing.T, seed int64, n int) []int {
	b := setup(t, func(c *Config) {
		c.RateLimit.General, c.RateLimit.Headers = 1, HeadersRetryAfter
		c.RateLimit.RetryAfter, c.Faults.Seed = SecondsRange{5, 30}, seed
	})
	b.api(http.MethodGet, "/api/contacts", nil)
	out := make([]int, n)
	for i := range out {
		res := b.api(http.MethodGet, "/api/contacts", nil)
		require.Equal(t, http.StatusTooManyRequests, res.status)
		out[i] = int(res.body["retryAfter"].(float64))
		require.Equal(t, strconv.Itoa(out[i]), res.header.Get("Retry-After"))
	}
	return out
}

func TestRetryAfterVariesWithinRange(t *testing.T) {
	t.Parallel()
	first := retryAfters(t, 7, 40)
	require.Equal(t, first, retryAfters(t, 7, 40), "the same seed gives the same values")
	require.NotEqual(t, first, retryAfters(t, 8, 40))
	seen := map[int]bool{}
	for _, s := range first {
		require.GreaterOrEqual(t, s, 5)
		require.LessOrEqual(t, s, 30)
		seen[s] = true
	}
	require.Greater(t, len(seen), 10, "values vary: %v", first)

	// Injected 429s draw from the range too.
	b := setup(t, func(c *Config) {
		c.Faults, c.RateLimit.RetryAfter = FaultConfig{Seed: 3, Extra429: 1}, SecondsRange{9, 9}
	})
	require.Equal(t, http.StatusTooManyRequests, b.v3(http.MethodGet, "/v3/contacts", nil).status)
	require.EqualValues(t, 9, b.api(http.MethodGet, "/api/contacts", nil).body["retryAfter"])
}
