package sandbox

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestRateLimitGeneralAtTimeScale(t *testing.T) {
	t.Parallel()
	// At time scale 100 a sandbox minute is 600 ms of (fake) wall clock.
	b := setup(t, func(c *Config) { c.TimeScale = 100 })
	for i := range 400 {
		res := b.api(http.MethodGet, "/api/contacts?limit=1", nil)
		require.Equal(t, http.StatusOK, res.status, "request %d", i+1)
		if i%40 == 0 {
			b.clock.Advance(10 * time.Millisecond) // 1 s of sandbox time
		}
	}
	res := b.api(http.MethodGet, "/api/contacts?limit=1", nil)
	require.Equal(t, http.StatusTooManyRequests, res.status, "the 401st request inside one window")
	require.Equal(t, "https://problems.omnisend.com/rate-limit-exceeded", res.body["type"])
	// The first request left the window at sandbox second 60: 50 s away, 0.5 s wall.
	require.EqualValues(t, 1, res.body["retryAfter"])
	require.Equal(t, "500", res.header.Get("X-Sandbox-Retry-After-Ms"))
	res = b.v3(http.MethodGet, "/v3/contacts", nil)
	require.Equal(t, http.StatusTooManyRequests, res.status, "both dialects share the brand's budget")
	require.Contains(t, res.body, "error")
	require.Equal(t, http.StatusOK, b.call(dialect2026, keyOther, http.MethodGet, "/api/contacts", nil).status,
		"another brand has its own budget")

	b.clock.Advance(499 * time.Millisecond)
	require.Equal(t, http.StatusTooManyRequests, b.api(http.MethodGet, "/api/contacts", nil).status)
	b.clock.Advance(time.Millisecond)
	require.Equal(t, http.StatusOK, b.api(http.MethodGet, "/api/contacts", nil).status, "after the window slides")

	st := b.srv.Stats().Brands["brand-a"].Limits[limitGeneral]
	require.Equal(t, 400, st.Busiest)
	require.LessOrEqual(t, st.Busiest, st.Limit)
	require.Equal(t, 401, st.Admitted)
	require.Equal(t, 3, st.Rejected)
	require.Equal(t, 2, b.srv.Stats().Requests["GET /api/contacts"]["429"])
	require.Equal(t, 1, b.srv.Stats().Requests["GET /v3/contacts"]["429"])
}

func TestRateLimitTagsSeparateBudget(t *testing.T) {
	t.Parallel()
	for _, h := range []RateLimitHeaders{HeadersRetryAfter, HeadersV3} {
		b := setup(t, func(c *Config) { c.RateLimit.Headers = h })
		body := map[string]any{"tags": []string{"t"}, "emails": []string{"a@example.com"}}
		for i := range 60 {
			require.Equal(t, http.StatusAccepted, b.api(http.MethodPost, "/api/contacts/tags", body).status, "request %d", i+1)
		}
		res := b.api(http.MethodDelete, "/api/contacts/tags", body)
		require.Equal(t, http.StatusTooManyRequests, res.status)
		require.EqualValues(t, 60, res.body["retryAfter"])
		if h == HeadersRetryAfter {
			require.Equal(t, "60", res.header.Get("Retry-After"))
		} else {
			require.Equal(t, "0", res.header.Get("X-Rate-Limit-Remaining"))
			require.Equal(t, "60", res.header.Get("X-Rate-Limit-Limit"))
		}
		require.Equal(t, http.StatusOK, b.api(http.MethodGet, "/api/contacts", nil).status, "general budget untouched")
		st := b.srv.Stats().Brands["brand-a"].Limits
		require.Equal(t, 60, st[limitTags].Busiest)
		require.Equal(t, 1, st[limitGeneral].Busiest)
	}
}

func TestRateLimitCountRejected(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *Config) { c.RateLimit.General, c.RateLimit.CountRejected = 2, true })
	b.api(http.MethodGet, "/api/contacts", nil)
	b.clock.Advance(30 * time.Second)
	b.api(http.MethodGet, "/api/contacts", nil)
	b.clock.Advance(20 * time.Second)
	require.Equal(t, http.StatusTooManyRequests, b.api(http.MethodGet, "/api/contacts", nil).status) // at 50 s
	b.clock.Advance(11 * time.Second)                                                                // 61 s: first left
	require.Equal(t, http.StatusTooManyRequests, b.api(http.MethodGet, "/api/contacts", nil).status,
		"the rejected request at 50 s still occupies the window")
}

func TestRateLimitRealClockScaled(t *testing.T) {
	t.Parallel()
	// A real clock at scale 600: a sandbox minute lasts 100 ms.
	b := setup(t, func(c *Config) { c.Clock, c.TimeScale, c.RateLimit.General = systemClock{}, 600, 5 })
	start := time.Now()
	for range 5 {
		require.Equal(t, http.StatusOK, b.api(http.MethodGet, "/api/contacts", nil).status)
	}
	res := b.api(http.MethodGet, "/api/contacts", nil)
	if time.Since(start) > 80*time.Millisecond {
		t.Skip("machine too slow to fit 6 requests into 100 ms")
	}
	require.Equal(t, http.StatusTooManyRequests, res.status)
	ms, err := strconv.Atoi(res.header.Get("X-Sandbox-Retry-After-Ms"))
	require.NoError(t, err)
	require.LessOrEqual(t, ms, 100)
	time.Sleep(time.Duration(ms+5) * time.Millisecond)
	require.Equal(t, http.StatusOK, b.api(http.MethodGet, "/api/contacts", nil).status)
}

func TestSlidingWindowBusiestExact(t *testing.T) {
	t.Parallel()
	w := newSlidingWindow(3, time.Minute, false)
	t0 := time.Unix(0, 0)
	for _, s := range []int{0, 10, 59, 60, 61, 119, 130} {
		ok, _ := w.take(t0.Add(time.Duration(s) * time.Second))
		require.True(t, ok || s == 59 || s == 61, "t=%d", s)
	}
	require.Equal(t, 3, w.busiest)
	require.LessOrEqual(t, w.busiest, w.limit)
}
