package omnisend

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/omnisend/sandbox"
)

func TestClassifyReadsRateLimitHeaders(t *testing.T) {
	t.Parallel()
	h := func(kv ...string) http.Header {
		out := http.Header{}
		for i := 0; i+1 < len(kv); i += 2 {
			out.Set(kv[i], kv[i+1])
		}
		return out
	}
	cases := []struct {
		name   string
		status int
		header http.Header
		want   RateLimit
	}{
		{"none", 200, h(), RateLimit{}},
		{"all three on 200", 200, h("X-Rate-Limit-Limit", "400", "X-Rate-Limit-Remaining", "17", "X-Rate-Limit-Reset", "42"),
			RateLimit{Known: true, Limit: 400, Remaining: 17, Reset: 42 * time.Second}},
		{"on a 400 too", 400, h("X-Rate-Limit-Limit", "400", "X-Rate-Limit-Remaining", "3", "X-Rate-Limit-Reset", "1"),
			RateLimit{Known: true, Limit: 400, Remaining: 3, Reset: time.Second}},
		{"on a 429, zero left", 429, h("X-Rate-Limit-Remaining", "0", "X-Rate-Limit-Reset", "12"),
			RateLimit{Known: true, Remaining: 0, Reset: 12 * time.Second}},
		{"fractional reset", 200, h("X-Rate-Limit-Remaining", "5", "X-Rate-Limit-Reset", "0.25"),
			RateLimit{Known: true, Remaining: 5, Reset: 250 * time.Millisecond}},
		{"reset as a Unix time", 200, h("X-Rate-Limit-Remaining", "5", "X-Rate-Limit-Reset",
			strconv.FormatInt(time.Date(2026, 3, 15, 12, 0, 30, 0, time.UTC).Unix(), 10), "Date", "Sun, 15 Mar 2026 12:00:00 GMT"),
			RateLimit{Known: true, Remaining: 5, Reset: 30 * time.Second}},
		{"Unix time without Date", 200, h("X-Rate-Limit-Remaining", "5", "X-Rate-Limit-Reset", "1773576030"),
			RateLimit{Known: true, Remaining: 5}},
		{"no remaining", 200, h("X-Rate-Limit-Limit", "400", "X-Rate-Limit-Reset", "10"), RateLimit{}},
		{"garbage", 200, h("X-Rate-Limit-Remaining", "lots", "X-Rate-Limit-Limit", "x"), RateLimit{}},
		{"negative remaining", 200, h("X-Rate-Limit-Remaining", "-1"), RateLimit{}},
		{"bad reset kept out", 200, h("X-Rate-Limit-Remaining", "9", "X-Rate-Limit-Reset", "NaN"),
			RateLimit{Known: true, Remaining: 9}},
	}
	for _, tc := range cases {
		res := Classify(&http.Response{StatusCode: tc.status, Header: tc.header}, []byte(`{}`), nil)
		require.Equal(t, tc.want, res.RateLimit, tc.name)
	}
	require.Equal(t, RateLimit{}, Classify(nil, nil, io.EOF).RateLimit, "no response, no headers")
}

func TestClassifyNonJSONAndTimeoutsAreTransient(t *testing.T) {
	t.Parallel()
	page := func(status int) string {
		text := strconv.Itoa(status) + " " + http.StatusText(status)
		return "<html>\r\n<head><title>" + text + "</title></head>\r\n<body><center><h1>" + text + "</h1></center></body></html>"
	}
	cases := []struct {
		status  int
		ctype   string
		body    string
		outcome Outcome
		message string
	}{
		{502, "text/html", page(502), RetryLater, "HTML page: 502 Bad Gateway"},
		{503, "text/html", page(503), RetryLater, "HTML page: 503 Service Unavailable"},
		{504, "text/html", page(504), RetryLater, "HTML page: 504 Gateway Timeout"},
		{502, "text/plain", "upstream connect error", RetryLater, "upstream connect error"},
		{504, "", "", RetryLater, ""},
		{408, "application/json", `{"error":"Request timeout"}`, RetryLater, "Request timeout"},
		{408, "application/json", `{"type":"https://problems.omnisend.com/request-timeout","title":"Request timeout","status":408,"detail":"Request timeout"}`, RetryLater, "Request timeout"},
		{408, "text/html", page(408), RetryLater, "HTML page: 408 Request Timeout"},
		{408, "", "", RetryLater, ""},
		{400, "text/html", page(400), Permanent, "HTML page: 400 Bad Request"}, // the status decides, not the body
	}
	for _, tc := range cases {
		res := Classify(&http.Response{StatusCode: tc.status, Header: http.Header{"Content-Type": {tc.ctype}}}, []byte(tc.body), nil)
		require.Equal(t, tc.outcome, res.Outcome, "%d %s", tc.status, tc.body)
		var apiErr *APIError
		require.True(t, errors.As(res.Err, &apiErr))
		require.Equal(t, tc.message, apiErr.Message, "%d %s", tc.status, tc.body)
	}
}

// TestSandboxRateLimitHeadersClassified reads the sandbox's v3-style
// headers over HTTP through Classify, on successes and errors alike.
func TestSandboxRateLimitHeadersClassified(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *setupOpts) {
		o.sandbox = func(c *sandbox.Config) { c.RateLimit.Headers, c.RateLimit.General = sandbox.HeadersV3, 5 }
	})
	get := func(path string) Classification {
		req, err := http.NewRequest(http.MethodGet, b.ts.URL+path, nil)
		require.NoError(t, err)
		req.Header.Set("X-API-KEY", sbKey)
		resp, err := (&http.Client{Transport: b.rec}).Do(req) // recorded: checked against the spec
		require.NoError(t, err)
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return Classify(resp, body, nil)
	}
	first := get("/v3/contacts?limit=1")
	require.Equal(t, OK, first.Outcome)
	require.True(t, first.RateLimit.Known)
	require.Equal(t, 5, first.RateLimit.Limit)
	require.Equal(t, 4, first.RateLimit.Remaining)
	require.InDelta(t, time.Second, first.RateLimit.Reset, float64(50*time.Millisecond), "a scaled minute")
	bad := get("/v3/contacts/000000000000000000000000")
	require.Equal(t, Permanent, bad.Outcome)
	require.Equal(t, RateLimit{Known: true, Limit: 5, Remaining: 3, Reset: bad.RateLimit.Reset}, bad.RateLimit)
	get("/v3/contacts")
	get("/v3/contacts")
	get("/v3/contacts")
	limited := get("/v3/contacts")
	require.Equal(t, http.StatusTooManyRequests, limited.Status)
	require.Equal(t, RetryLater, limited.Outcome)
	require.True(t, limited.RateLimit.Known)
	require.Zero(t, limited.RateLimit.Remaining)
}

// TestClientRetriesGatewayPagesAnd408 runs calls through a sandbox that
// answers many requests with gateway HTML pages (502/503/504) and 408s:
// the client retries them and every call succeeds.
func TestClientRetriesGatewayPagesAnd408(t *testing.T) {
	t.Parallel()
	bothDialects(t, func(t *testing.T, d Dialect) {
		b := setup(t, withFaults(sandbox.FaultConfig{Seed: 21, Error5xx: 0.2, Timeout408: 0.2,
			GatewayErrors: sandbox.GatewayHTML}))
		c := b.clients[d]
		for i := range 20 {
			_, err := c.ListContacts(t.Context(), ListContactsOptions{Limit: 1})
			require.NoError(t, err, "call %d", i)
		}
		seen := map[int]int{}
		for _, r := range b.srv.Requests() {
			seen[r.Status]++
		}
		require.Positive(t, seen[http.StatusRequestTimeout], "408s were injected: %v", seen)
		require.Positive(t, seen[http.StatusBadGateway]+seen[http.StatusServiceUnavailable]+seen[http.StatusGatewayTimeout],
			"gateway pages were injected: %v", seen)
		require.Equal(t, 20, seen[http.StatusOK])
		require.Contains(t, b.logText(), "HTML page: 50", "the retry log names the gateway page")
	})
}
