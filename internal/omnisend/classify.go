package omnisend

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"
)

// Outcome is what to do about one attempt.
type Outcome int

const (
	// OK: the request succeeded.
	OK Outcome = iota
	// RetryLater: a transient failure (429, 408, 5xx, timeout, reset, lost
	// or malformed response); the same request may succeed later.
	RetryLater
	// Permanent: retrying the same request will fail the same way (other
	// 4xx, a bad base URL or certificate, a cancelled call).
	Permanent
)

func (o Outcome) String() string {
	switch o {
	case OK:
		return "ok"
	case RetryLater:
		return "retry"
	case Permanent:
		return "permanent"
	}
	return fmt.Sprintf("Outcome(%d)", int(o))
}

// Classification is the verdict on one attempt.
type Classification struct {
	Outcome Outcome
	// Status is the HTTP status, 0 for transport errors.
	Status int
	// RetryAfter is the server-requested wait (0 if none was given).
	RetryAfter time.Duration
	// RateLimit is what the response's X-Rate-Limit-* headers said, on
	// any status (zero for transport errors and when absent).
	RateLimit RateLimit
	// Err is nil for OK; an *APIError for error responses; otherwise the
	// transport error.
	Err error
}

// RateLimit is the brand's budget as a response's headers reported it:
// X-Rate-Limit-Limit, X-Rate-Limit-Remaining and X-Rate-Limit-Reset, which
// Omnisend's v3 documents put on every response (UNCONFIRMED today: use
// them when present, never depend on them).
type RateLimit struct {
	// Known is true when the response carried a readable
	// X-Rate-Limit-Remaining; the other fields mean nothing otherwise.
	Known bool
	// Limit is the requests allowed per window (0 if not said).
	Limit int
	// Remaining is how many more requests the brand may send now, counting
	// every integration that shares its limit.
	Remaining int
	// Reset is how long until the window frees requests again ("seconds
	// left in period"; 0 if not said).
	Reset time.Duration
}

// MalformedResponseError reports a 2xx response whose body could not be
// decoded (truncated, not JSON, wrong shape). Classify treats it as
// retryable: a response cut short is indistinguishable from a lost one.
type MalformedResponseError struct {
	Status int
	Err    error
}

func (e *MalformedResponseError) Error() string {
	return fmt.Sprintf("omnisend: malformed HTTP %d response: %v", e.Status, e.Err)
}

func (e *MalformedResponseError) Unwrap() error { return e.Err }

// Classify is the one place that decides what a response or transport error
// means. Pass the response (nil if none) with its fully read body, or the
// error from sending the request or reading its body. Statuses: 2xx ok;
// 408, 429 and 5xx retry later, honouring retryAfter / Retry-After, whatever
// the body (a gateway's HTML page included); every other status permanent.
// Transport errors are retried unless they cannot heal (cancelled context,
// TLS certificate or malformed URL problems). The rate-limit headers are
// read from every response.
func Classify(resp *http.Response, body []byte, err error) Classification {
	if err != nil {
		return classifyTransport(err)
	}
	if resp == nil {
		return Classification{Outcome: Permanent, Err: errors.New("omnisend: no response and no error")}
	}
	c := Classification{Status: resp.StatusCode, RateLimit: rateLimitHeaders(resp.Header)}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return c
	}
	apiErr := parseAPIError(resp.StatusCode, resp.Header, body)
	c.Err, c.RetryAfter = apiErr, apiErr.RetryAfter
	switch {
	case resp.StatusCode == http.StatusTooManyRequests,
		resp.StatusCode == http.StatusRequestTimeout,
		resp.StatusCode >= 500:
		c.Outcome = RetryLater
	case resp.StatusCode == http.StatusForbidden && isBlocked(apiErr):
		// v3 blocks a key "due to many errors in particular time" for a
		// while: a back-off signal from a key that worked, not a refusal.
		c.Outcome, c.RetryAfter = RetryLater, max(c.RetryAfter, blockedBackoff)
	default:
		// 1xx/3xx never reach here in practice (the transport follows
		// redirects); like other 4xx they are not worth repeating.
		c.Outcome = Permanent
	}
	return c
}

func classifyTransport(err error) Classification {
	c := Classification{Outcome: RetryLater, Err: err}
	var malformed *MalformedResponseError
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var dnsErr *net.DNSError
	switch {
	case errors.As(err, &malformed):
		c.Status = malformed.Status
	case errors.Is(err, context.Canceled):
		// The caller gave up; an attempt timeout is DeadlineExceeded.
		c.Outcome = Permanent
	case errors.As(err, &certErr), errors.As(err, &unknownAuth), errors.As(err, &hostErr):
		c.Outcome = Permanent
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		c.Outcome = Permanent
	case errors.Is(err, context.DeadlineExceeded), isTimeout(err),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.ECONNABORTED):
		// Timeouts, resets, lost responses: retry later.
	default:
		// Unknown transport failures are assumed transient; attempts are
		// bounded anyway.
	}
	return c
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// blockedBackoff is the least wait after v3's "blocked due to many errors"
// 403: hammering a blocked key would only keep it blocked.
const blockedBackoff = time.Minute

// isBlocked reports whether a 403 says the key is blocked for too many
// errors (v3's documented wording).
func isBlocked(e *APIError) bool {
	return strings.Contains(strings.ToLower(e.Message+" "+e.Title), "blocked due to many errors")
}
