package notify

import (
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultPublicURL is where links in notifications point unless
// configured (serve --public-url).
const DefaultPublicURL = "http://127.0.0.1:8080"

// Keys seals and opens channel secrets; *secret.Keyring satisfies it.
type Keys interface {
	Seal(plaintext, associatedData []byte) ([]byte, error)
	Open(sealed, associatedData []byte) ([]byte, error)
}

// Retry is how deliveries are retried: the n-th retry waits BaseDelay ×
// 2^(n-1), at most MaxDelay, and a delivery is given up after
// MaxAttempts attempts.
type Retry struct {
	// MaxAttempts per delivery (default 10: about 3 hours of trying at
	// the default delays).
	MaxAttempts int
	// BaseDelay is the wait before the first retry (default 30 s).
	BaseDelay time.Duration
	// MaxDelay caps a wait (default 1 h).
	MaxDelay time.Duration
}

// Config configures a Service.
type Config struct {
	// Store keeps channels, rules, the outbox and the deliveries. Required.
	Store Store
	// Keys seals channel secrets. Required.
	Keys Keys
	// Logger receives one line per delivery and per change (default:
	// discard). It never sees a secret.
	Logger *slog.Logger
	// Now is the clock (default time.Now): of events, retries, signatures.
	Now func() time.Time
	// PublicURL is the web UI's address as people reach it; notifications
	// link to pages under it (default DefaultPublicURL).
	PublicURL string
	// HTTPClient sends webhooks (default: its own, which follows no
	// redirect).
	HTTPClient *http.Client
	// Timeout bounds each delivery attempt: the request and its answer,
	// or the whole SMTP conversation (default 10 s).
	Timeout time.Duration
	// Retry is the retry policy.
	Retry Retry
	// FailingAfter is how many failed attempts in a row mark a channel
	// failing (default 3).
	FailingAfter int
	// PollInterval is how often the background loop looks for events and
	// due deliveries (default 1 s).
	PollInterval time.Duration
	// Concurrency is how many channels are delivered to at once; each
	// channel's deliveries go one at a time (default 4).
	Concurrency int
	// Retention is how long processed events and finished deliveries are
	// kept (default 30 days).
	Retention time.Duration
	// SMTPRootCAs verifies SMTP servers' STARTTLS certificates (default:
	// the system's roots).
	SMTPRootCAs *x509.CertPool
	// Owner names this process in claims (default: random).
	Owner string
}

// WithDefaults returns c with every unset field at its default.
func (c Config) WithDefaults() Config {
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.PublicURL == "" {
		c.PublicURL = DefaultPublicURL
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{
			Transport:     http.DefaultTransport.(*http.Transport).Clone(),
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	if c.Timeout == 0 {
		c.Timeout = 10 * time.Second
	}
	if c.Retry.MaxAttempts == 0 {
		c.Retry.MaxAttempts = 10
	}
	if c.Retry.BaseDelay == 0 {
		c.Retry.BaseDelay = 30 * time.Second
	}
	if c.Retry.MaxDelay == 0 {
		c.Retry.MaxDelay = time.Hour
	}
	if c.FailingAfter == 0 {
		c.FailingAfter = 3
	}
	if c.PollInterval == 0 {
		c.PollInterval = time.Second
	}
	if c.Concurrency == 0 {
		c.Concurrency = 4
	}
	if c.Retention == 0 {
		c.Retention = 30 * 24 * time.Hour
	}
	if c.Owner == "" {
		var b [6]byte
		_, _ = rand.Read(b[:])
		c.Owner = "notify-" + hex.EncodeToString(b[:])
	}
	return c
}

// Validate reports the first invalid field, naming it.
func (c Config) Validate() error {
	switch {
	case c.Store == nil:
		return errors.New("notify: config: Store: required")
	case c.Keys == nil:
		return errors.New("notify: config: Keys: required")
	case c.Timeout < 0:
		return fmt.Errorf("notify: config: Timeout: must be positive, got %s", c.Timeout)
	case c.Retry.MaxAttempts < 1 || c.Retry.BaseDelay < 0 || c.Retry.MaxDelay < c.Retry.BaseDelay:
		return errors.New("notify: config: Retry: want MaxAttempts ≥ 1 and 0 ≤ BaseDelay ≤ MaxDelay")
	case c.FailingAfter < 1:
		return fmt.Errorf("notify: config: FailingAfter: want at least 1, got %d", c.FailingAfter)
	case c.PollInterval <= 0 || c.Concurrency < 1 || c.Retention <= 0:
		return errors.New("notify: config: PollInterval, Concurrency and Retention must be positive")
	}
	return ValidatePublicURL(c.PublicURL)
}

// ValidatePublicURL checks a public base URL: http(s), a host, no query.
func ValidatePublicURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("public URL %q: want the web UI's address, such as https://segbridge.example.com", raw)
	}
	return nil
}

// delay is the wait after the attempts-th failed attempt.
func (r Retry) delay(attempts int) time.Duration {
	d := r.BaseDelay
	for i := 1; i < attempts && d < r.MaxDelay; i++ {
		d *= 2
	}
	return min(d, r.MaxDelay)
}
