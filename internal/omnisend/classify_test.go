package omnisend

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

type classifyCase struct {
	name       string
	status     int
	header     http.Header
	body       string
	err        error
	outcome    Outcome
	retryAfter time.Duration
	message    string       // expected APIError.Message ("" = don't check)
	fields     []FieldError // expected APIError.Fields (nil = don't check)
}

func statusCases() []classifyCase {
	problem := func(st int, title string) string {
		return fmt.Sprintf(`{"type":"https://problems.omnisend.com/problem","title":%q,"status":%d,"detail":"d%d","instance":"urn:omnisend:request:1"}`, title, st, st)
	}
	v3 := func(msg string) string { return fmt.Sprintf(`{"error":%q}`, msg) }
	return []classifyCase{
		{name: "200", status: 200, body: `{}`, outcome: OK},
		{name: "201", status: 201, body: `{"batchID":"x"}`, outcome: OK},
		{name: "202 empty", status: 202, outcome: OK},
		{name: "204", status: 204, outcome: OK},
		{name: "400 problem", status: 400, body: problem(400, "Validation failed"), outcome: Permanent, message: "d400"},
		{name: "400 v3", status: 400, body: v3("Bad Request - invalid parameters"), outcome: Permanent, message: "Bad Request - invalid parameters"},
		{name: "401 problem", status: 401, body: problem(401, "Unauthorized"), outcome: Permanent, message: "d401"},
		{name: "401 v3", status: 401, body: v3("Unauthorized - authorization error"), outcome: Permanent, message: "Unauthorized - authorization error"},
		{name: "403 problem", status: 403, body: problem(403, "Forbidden"), outcome: Permanent, message: "d403"},
		{name: "403 v3 blocked", status: 403, body: v3("Forbidden – blocked due to many errors"), outcome: RetryLater, retryAfter: time.Minute},
		{name: "403 v3 refused", status: 403, body: v3("Forbidden - the access is not allowed"), outcome: Permanent},
		{name: "404", status: 404, body: problem(404, "Not found"), outcome: Permanent, message: "d404"},
		{name: "408 v3", status: 408, body: v3("Request timeout"), outcome: RetryLater, message: "Request timeout"},
		{name: "409", status: 409, body: problem(409, "Conflict"), outcome: Permanent},
		{name: "410 retired", status: 410, body: problem(410, "Gone"), outcome: Permanent},
		{name: "422 v3", status: 422, body: v3("Unprocessable Entity"), outcome: Permanent},
		{name: "429 problem retryAfter", status: 429,
			body:    `{"type":"https://problems.omnisend.com/rate-limit-exceeded","title":"Rate limit exceeded","status":429,"detail":"slow down","retryAfter":7}`,
			outcome: RetryLater, retryAfter: 7 * time.Second, message: "slow down"},
		{name: "429 v3 no hint", status: 429, body: v3(" to many requests (rate limit) - current "), outcome: RetryLater},
		{name: "429 Retry-After seconds", status: 429, header: http.Header{"Retry-After": {"3"}}, body: v3("x"),
			outcome: RetryLater, retryAfter: 3 * time.Second},
		{name: "429 Retry-After date", status: 429, header: http.Header{
			"Retry-After": {"Sun, 15 Mar 2026 12:00:05 GMT"}, "Date": {"Sun, 15 Mar 2026 12:00:00 GMT"}},
			outcome: RetryLater, retryAfter: 5 * time.Second},
		{name: "429 body wins over header", status: 429, header: http.Header{"Retry-After": {"30"}},
			body: `{"status":429,"retryAfter":2}`, outcome: RetryLater, retryAfter: 2 * time.Second},
		{name: "500 problem", status: 500, body: problem(500, "Unexpected error occurred"), outcome: RetryLater},
		{name: "502 html", status: 502, body: "<html><body>Bad gateway</body></html>", outcome: RetryLater,
			message: "<html><body>Bad gateway</body></html>"},
		{name: "503 Retry-After", status: 503, header: http.Header{"Retry-After": {"1"}}, outcome: RetryLater, retryAfter: time.Second},
		{name: "504 empty", status: 504, outcome: RetryLater},
		{name: "301 redirect", status: 301, outcome: Permanent},
	}
}

func bodyCases() []classifyCase {
	return []classifyCase{
		{name: "v3 fields object", status: 400,
			body:    `{"error":"2 error(s) found.","fields":{"10":["b: two"],"2":["identifiers[0].channels: field required but not found in Json"]}}`,
			outcome: Permanent, message: "2 error(s) found.",
			fields: []FieldError{{Field: "identifiers[0].channels", Message: "field required but not found in Json"}, {Field: "b", Message: "two"}}},
		{name: "v3 fields array of arrays", status: 400,
			body:    `{"error":"2 error(s)","fields":[["cartSum: field required but not found in Json"],["currency: bad value"]]}`,
			outcome: Permanent,
			fields:  []FieldError{{Field: "cartSum", Message: "field required but not found in Json"}, {Field: "currency", Message: "bad value"}}},
		{name: "v3 fields odd shapes", status: 400, body: `{"error":"e","fields":{"0":"a: b","1":{"x":1}}}`,
			outcome: Permanent, fields: []FieldError{{Field: "a", Message: "b"}, {Message: `{"x":1}`}}},
		{name: "problem errors", status: 400,
			body:    `{"title":"Validation failed","status":400,"detail":"One or more fields are invalid.","errors":[{"field":"identifiers.0.id","code":"invalid_format","message":"Must be a valid email address"}]}`,
			outcome: Permanent, message: "One or more fields are invalid.",
			fields: []FieldError{{Field: "identifiers.0.id", Code: "invalid_format", Message: "Must be a valid email address"}}},
		{name: "truncated json", status: 400, body: `{"error":"cut`, outcome: Permanent, message: `{"error":"cut`},
		{name: "json array", status: 500, body: `[1,2]`, outcome: RetryLater},
		{name: "error not a string", status: 422, body: `{"error":{"nested":true}}`, outcome: Permanent},
		{name: "retryAfter string", status: 429, body: `{"retryAfter":"soon"}`, outcome: RetryLater},
		{name: "retryAfter negative", status: 429, body: `{"retryAfter":-5}`, outcome: RetryLater},
		{name: "huge body", status: 400, body: string(make([]byte, 10000)), outcome: Permanent},
	}
}

func transportCases() []classifyCase {
	urlErr := func(err error) error {
		return &url.Error{Op: "Post", URL: "https://api.omnisend.com/api/batches", Err: err}
	}
	return []classifyCase{
		{name: "attempt timeout", err: urlErr(context.DeadlineExceeded), outcome: RetryLater},
		{name: "net timeout", err: urlErr(&net.OpError{Op: "read", Err: timeoutErr{}}), outcome: RetryLater},
		{name: "reset", err: urlErr(&net.OpError{Op: "read", Err: os.NewSyscallError("read", syscall.ECONNRESET)}), outcome: RetryLater},
		{name: "refused", err: urlErr(&net.OpError{Op: "dial", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}), outcome: RetryLater},
		{name: "lost response EOF", err: urlErr(io.EOF), outcome: RetryLater},
		{name: "body cut short", err: fmt.Errorf("read: %w", io.ErrUnexpectedEOF), outcome: RetryLater},
		{name: "malformed 200", err: &MalformedResponseError{Status: 200, Err: errors.New("bad json")}, outcome: RetryLater},
		{name: "unknown", err: urlErr(errors.New("http2: stream closed")), outcome: RetryLater},
		{name: "caller cancelled", err: urlErr(context.Canceled), outcome: Permanent},
		{name: "bad certificate", err: urlErr(x509.UnknownAuthorityError{}), outcome: Permanent},
		{name: "no such host", err: urlErr(&net.DNSError{Err: "no such host", Name: "x", IsNotFound: true}), outcome: Permanent},
		{name: "dns timeout", err: urlErr(&net.DNSError{Err: "timeout", Name: "x", IsTimeout: true}), outcome: RetryLater},
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestClassify(t *testing.T) {
	t.Parallel()
	groups := map[string][]classifyCase{"status": statusCases(), "body": bodyCases(), "transport": transportCases()}
	for group, cases := range groups {
		for _, tt := range cases {
			t.Run(group+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				var resp *http.Response
				if tt.err == nil {
					resp = &http.Response{StatusCode: tt.status, Header: tt.header}
				}
				got := Classify(resp, []byte(tt.body), tt.err)
				require.Equal(t, tt.outcome, got.Outcome, "outcome")
				require.Equal(t, tt.retryAfter, got.RetryAfter, "retryAfter")
				if tt.outcome == OK {
					require.NoError(t, got.Err)
					return
				}
				require.Error(t, got.Err)
				if tt.err != nil {
					require.ErrorIs(t, got.Err, tt.err)
					return
				}
				checkAPIError(t, tt, got)
			})
		}
	}
}

func checkAPIError(t *testing.T, tt classifyCase, got Classification) {
	t.Helper()
	var apiErr *APIError
	require.ErrorAs(t, got.Err, &apiErr)
	require.Equal(t, tt.status, apiErr.Status)
	require.Equal(t, tt.status, got.Status)
	require.LessOrEqual(t, len(apiErr.Message), 204, "message is bounded")
	if tt.message != "" {
		require.Equal(t, tt.message, apiErr.Message)
		require.Contains(t, apiErr.Error(), tt.message)
	}
	if tt.fields != nil {
		require.Equal(t, tt.fields, apiErr.Fields)
		for _, f := range tt.fields {
			require.Contains(t, apiErr.Error(), f.Message)
		}
	}
}

// TestClassifyCoversSpecStatuses checks the table has a case for every
// status code any operation in omnisend-spec documents.
func TestClassifyCoversSpecStatuses(t *testing.T) {
	t.Parallel()
	dir := specDir(t)
	covered := map[int]bool{}
	for _, c := range statusCases() {
		covered[c.status] = true
	}
	files, err := filepath.Glob(filepath.Join(dir, "*", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		for _, code := range specStatuses(t, f) {
			require.True(t, covered[code], "%s documents HTTP %d, which TestClassify does not cover", f, code)
		}
	}
}

func specStatuses(t *testing.T, file string) []int {
	t.Helper()
	raw, err := os.ReadFile(file)
	require.NoError(t, err)
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	require.NoError(t, json.Unmarshal(raw, &doc))
	var codes []int
	for _, ops := range doc.Paths {
		for _, raw := range ops {
			var op struct {
				Responses map[string]json.RawMessage `json:"responses"`
			}
			if json.Unmarshal(raw, &op) != nil {
				continue // "parameters" arrays
			}
			for code := range op.Responses {
				n, err := strconv.Atoi(code)
				require.NoError(t, err, "%s: response %q", file, code)
				codes = append(codes, n)
			}
		}
	}
	return codes
}

// specDir finds ../shared/omnisend-spec from the package directory. It
// skips the test when the spec is missing, except in CI.
func specDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join("..", "..", "..", "shared", "omnisend-spec")
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("omnisend spec not found at %s: %v", dir, err)
		}
		t.Skipf("omnisend spec not found at %s", dir)
	}
	return dir
}
