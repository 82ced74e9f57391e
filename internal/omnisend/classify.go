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
	// Err is nil for OK; an *APIError for error responses; otherwise the
	// transport error.
	Err error
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
// 408, 429 and 5xx retry later, honouring retryAfter / Retry-After; every
// other status permanent. Transport errors are retried unless they cannot
// heal (cancelled context, TLS certificate or malformed URL problems).
func Classify(resp *http.Response, body []byte, err error) Classification {
	if err != nil {
		return classifyTransport(err)
	}
	if resp == nil {
		return Classification{Outcome: Permanent, Err: errors.New("omnisend: no response and no error")}
	}
	c := Classification{Status: resp.StatusCode}
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
