package omnisend

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync"
)

// maxBody bounds how much of a response the client reads.
const maxBody = 8 << 20

// Client talks to one Omnisend brand with one API key. It is safe for
// concurrent use.
type Client struct {
	cfg     Config
	backoff *backoff
	outage  *outage
	log     *slog.Logger
}

// New returns a client for cfg (defaults applied, then validated).
func New(cfg Config) (*Client, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, cfg.APIKey.redactErr(err)
	}
	// Never follow redirects: a redirect to another host would carry the
	// X-API-KEY header (net/http strips only Authorization). A 3xx is
	// classified as permanent.
	hc := *cfg.HTTPClient
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	cfg.HTTPClient = &hc
	return &Client{
		cfg:     cfg,
		backoff: &backoff{cfg: cfg.Retry, rnd: cfg.Rand},
		outage:  &outage{},
		log:     cfg.Logger.With(slog.String("component", "omnisend"), slog.String("brand", cfg.budgetBrand())),
	}, nil
}

// Dialect returns the dialect the client speaks.
func (c *Client) Dialect() Dialect { return c.cfg.Dialect }

// String describes the client without its key.
func (c *Client) String() string {
	return fmt.Sprintf("omnisend.Client{BaseURL: %q, Dialect: %q, BrandID: %q, APIKey: %s}",
		c.cfg.BaseURL, c.cfg.Dialect, c.cfg.BrandID, redacted)
}

// Format implements fmt.Formatter: every verb prints String, so reflection
// never walks into the config.
func (c *Client) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, c.String()) }

// LogValue implements slog.LogValuer.
func (c *Client) LogValue() slog.Value { return c.cfg.LogValue() }

func (c Config) budgetBrand() string {
	if c.BrandID == "" {
		return "unknown"
	}
	return c.BrandID
}

// Error is what every method returns when a call fails after the client
// gave up: the operation, how many attempts were made, whether a later call
// may succeed, and the last cause (an *APIError or a transport error).
type Error struct {
	Op        string
	Attempts  int
	Retryable bool
	Err       error
}

func (e *Error) Error() string {
	kind := "failed"
	if e.Retryable {
		kind = "gave up"
	}
	return fmt.Sprintf("omnisend: %s: %s after %d attempt(s): %v", e.Op, kind, e.Attempts, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// IsRetryable reports whether err is a failure that a later call may not
// hit (rate limits, server errors, timeouts, lost responses).
func IsRetryable(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Retryable
}

// call is one logical API call.
type call struct {
	op     string
	method string
	api    Dialect // which API's base path and auth to use
	path   string  // below the base, e.g. "/contacts"
	query  url.Values
	body   any
	class  RouteClass
	out    any // decoded from a 2xx body when non-nil
}

// do runs a call with rate budgeting and retries, and returns the final
// HTTP status. Transient failures are retried with growing backoff while
// the client's outage lasts less than Retry.OutageLimit.
func (c *Client) do(ctx context.Context, cl call) (int, error) {
	var body []byte
	if cl.body != nil {
		var err error
		if body, err = json.Marshal(cl.body); err != nil {
			return 0, c.fail(cl, 0, false, fmt.Errorf("encode request: %w", err))
		}
	}
	brand := c.cfg.budgetBrand()
	wctx := ctx
	if c.cfg.Share != "" && ShareOf(ctx) == "" {
		wctx = WithShare(ctx, c.cfg.Share)
	}
	for n := 1; ; n++ {
		done, err := c.cfg.Budget.Wait(wctx, brand, cl.class)
		if err != nil {
			return 0, c.fail(cl, n-1, false, fmt.Errorf("wait for rate budget: %w", err))
		}
		res := c.attempt(ctx, cl, body, n)
		done()
		if res.RateLimit.Known {
			// Omnisend's own count: other integrations share the brand's limit.
			c.cfg.Budget.ReportRemaining(brand, cl.class, res.RateLimit.Remaining, res.RateLimit.Reset)
		}
		switch res.Outcome {
		case OK:
			c.outage.answered()
			return res.Status, nil
		case Permanent:
			if ctx.Err() == nil {
				c.outage.answered()
			}
			return res.Status, c.fail(cl, n, false, res.Err)
		}
		since := c.outage.failed(c.cfg.Clock.Now(), res.Err)
		retryAfter := min(res.RetryAfter, c.cfg.Retry.MaxRetryAfter)
		if res.Status == http.StatusTooManyRequests {
			c.cfg.Budget.Report429(brand, cl.class, retryAfter)
		}
		if c.cfg.Retry.MaxAttempts > 0 && n >= c.cfg.Retry.MaxAttempts {
			return res.Status, c.fail(cl, n, true, res.Err)
		}
		if lasted := c.cfg.Clock.Now().Sub(since); lasted >= c.cfg.Retry.OutageLimit {
			return res.Status, c.fail(cl, n, true, &OutageError{Since: since, Limit: c.cfg.Retry.OutageLimit, Err: res.Err})
		}
		d := c.backoff.delay(n, retryAfter)
		c.log.LogAttrs(ctx, slog.LevelWarn, "omnisend retry",
			slog.String("op", cl.op), slog.Int("attempt", n), slog.Int("status", res.Status),
			slog.Duration("wait", d), slog.Time("outage_since", since),
			slog.String("error", c.cfg.APIKey.redactString(errString(res.Err))))
		if err := c.cfg.Clock.Sleep(ctx, d); err != nil {
			return res.Status, c.fail(cl, n, true, fmt.Errorf("%w (while backing off from: %w)", err, res.Err))
		}
	}
}

// Outage reports the client's current outage (the zero Outage if its
// latest attempt got an answer): a run shows it as "waiting for Omnisend
// since …".
func (c *Client) Outage() Outage {
	o := c.outage
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.since.IsZero() {
		return Outage{}
	}
	return Outage{Since: o.since, Cause: c.cfg.APIKey.redactString(oneLineErr(o.cause)), Failures: o.fails}
}

func oneLineErr(err error) string {
	return strings.Join(strings.Fields(errString(err)), " ")
}

// attempt sends the request once and classifies the result.
func (c *Client) attempt(ctx context.Context, cl call, body []byte, n int) Classification {
	actx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	if hook := attemptHook(ctx); hook != nil {
		// Called once a connection is ready, right before the request is
		// written on it: a request counted is one that reaches Omnisend
		// (a refused connection is never counted).
		// Once an attempt: the transport may write a request again on a
		// second connection when the first one it took turned out dead.
		var once sync.Once
		actx = httptrace.WithClientTrace(actx, &httptrace.ClientTrace{GotConn: func(httptrace.GotConnInfo) {
			once.Do(func() {
				if err := hook(ctx); err != nil {
					c.log.LogAttrs(ctx, slog.LevelWarn, "omnisend request not counted", slog.String("op", cl.op), slog.String("error", err.Error()))
				}
			})
		}})
	}
	start := c.cfg.Clock.Now()
	res := c.roundTrip(actx, cl, body)
	if ctx.Err() != nil && res.Outcome != OK {
		// The caller gave up, not the attempt: never retry that.
		res = Classification{Outcome: Permanent, Status: res.Status, Err: ctx.Err()}
	}
	c.log.LogAttrs(ctx, slog.LevelDebug, "omnisend request",
		slog.String("op", cl.op), slog.String("method", cl.method), slog.String("path", cl.path),
		slog.Int("attempt", n), slog.Int("status", res.Status), slog.String("outcome", res.Outcome.String()),
		slog.Duration("took", c.cfg.Clock.Now().Sub(start)))
	return res
}

func (c *Client) roundTrip(ctx context.Context, cl call, body []byte) Classification {
	req, err := c.newRequest(ctx, cl, body)
	if err != nil {
		return Classification{Outcome: Permanent, Err: err}
	}
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return Classify(nil, nil, err)
	}
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return Classify(nil, nil, fmt.Errorf("read HTTP %d response: %w", resp.StatusCode, err))
	}
	res := Classify(resp, data, nil)
	var apiErr *APIError
	if errors.As(res.Err, &apiErr) {
		c.redactAPIError(apiErr)
	}
	if res.Outcome == OK && cl.out != nil {
		if err := json.Unmarshal(data, cl.out); err != nil {
			return Classify(nil, nil, &MalformedResponseError{Status: resp.StatusCode, Err: err})
		}
	}
	return res
}

func (c *Client) newRequest(ctx context.Context, cl call, body []byte) (*http.Request, error) {
	u := c.cfg.BaseURL + basePath(cl.api) + cl.path
	if len(cl.query) > 0 {
		u += "?" + cl.query.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, u, rd)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if cl.api == DialectV3 {
		req.Header.Set("X-API-KEY", c.cfg.APIKey.Reveal())
	} else {
		req.Header.Set("Authorization", "Omnisend-API-Key "+c.cfg.APIKey.Reveal())
		req.Header.Set("Omnisend-Version", string(Dialect20260315))
	}
	return req, nil
}

func basePath(d Dialect) string {
	if d == DialectV3 {
		return "/v3"
	}
	return "/api"
}

// fail wraps the final cause of a call, with the key redacted.
func (c *Client) fail(cl call, attempts int, retryable bool, err error) error {
	return c.cfg.APIKey.redactErr(&Error{Op: cl.op, Attempts: attempts, Retryable: retryable, Err: err})
}

func (c *Client) redactAPIError(e *APIError) {
	k := c.cfg.APIKey
	e.Title, e.Message, e.Instance = k.redactString(e.Title), k.redactString(e.Message), k.redactString(e.Instance)
	for i := range e.Fields {
		e.Fields[i].Field = k.redactString(e.Fields[i].Field)
		e.Fields[i].Message = k.redactString(e.Fields[i].Message)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
