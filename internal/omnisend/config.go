package omnisend

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Dialect selects which generation of Omnisend's API the client speaks.
type Dialect string

const (
	// Dialect20260315 is the dated 2026-03-15 API under /api (the default).
	Dialect20260315 Dialect = "2026-03-15"
	// DialectV3 is the v3 API under /v3.
	DialectV3 Dialect = "v3"
)

// MaxBatchItems is the most items one POST /batches accepts in the dialect:
// 100 on 2026-03-15, 1000 on v3.
func (d Dialect) MaxBatchItems() int {
	if d == DialectV3 {
		return 1000
	}
	return 100
}

// Defaults.
const (
	DefaultBaseURL = "https://api.omnisend.com"
	DefaultTimeout = 10 * time.Second
	// MaxTagEmails is the most e-mails one tag add/remove call takes.
	MaxTagEmails = 250
	// MaxTagsPerCall is the most tags one tag add/remove call takes.
	MaxTagsPerCall = 100
	// DefaultMaxBatchBytes is Omnisend's advice for a batch body, "at most
	// 1 MB" (OMNISEND-API.md §3.1), read as 1,000,000 bytes.
	DefaultMaxBatchBytes = 1_000_000
	// minBatchBytes is the smallest MaxBatchBytes accepted: room for the
	// batch envelope and a small contact.
	minBatchBytes = 1024
)

// Config configures a Client. The zero value plus an APIKey is usable:
// WithDefaults fills in the rest.
type Config struct {
	// BaseURL is the API host root without a version path; requests go to
	// BaseURL+"/api/…" (2026-03-15, and tag calls in every dialect) or
	// BaseURL+"/v3/…". Default https://api.omnisend.com. Sandboxes and tests
	// set their own.
	BaseURL string
	// Dialect is the API generation; default 2026-03-15.
	Dialect Dialect
	// APIKey is the brand's API key. Required.
	APIKey Secret
	// BrandID names the rate budget this client draws from. Clients of the
	// same brand must use the same BrandID and share one Budget. Before the
	// brand is known (checking a new key) leave it empty: all such clients
	// share one conservative budget under the name "unknown".
	BrandID string
	// Timeout bounds each attempt (connect, send, read). Default 10 s, as
	// Omnisend recommends.
	Timeout time.Duration
	// Budget is the per-brand rate budget shared by everything that talks to
	// the brand. Default: a fresh in-process WindowBudget with default
	// limits (which is only right if this is the brand's only client).
	Budget RateBudget
	// Share names who this client's requests are for inside the brand's
	// budget (see WithShare): segbridge gives each export its own, so that
	// exports to one brand share its budget fairly. A share carried by a
	// request's context wins. Default "" (one share for all such clients).
	Share string
	// MaxBatchBytes bounds the encoded body of every POST /batches:
	// SubmitContacts splits the dialect's item count further so that no
	// body is larger, and refuses a contact that alone would be. Default
	// DefaultMaxBatchBytes (Omnisend's 1 MB); at least 1024.
	MaxBatchBytes int
	// Retry bounds retries. Zero fields take defaults.
	Retry RetryConfig
	// HTTPClient sends requests. Default: a client with its own transport.
	HTTPClient *http.Client
	// Logger receives one debug line per attempt and warnings on retries.
	// Default: discard.
	Logger *slog.Logger
	// Clock drives waiting and backoff. Default SystemClock.
	Clock Clock
	// Rand is the jitter source (used under a lock). Default: randomly seeded.
	Rand *rand.Rand
}

// WithDefaults returns a copy of c with every unset field filled in.
func (c Config) WithDefaults() Config {
	if c.BaseURL == "" {
		c.BaseURL = DefaultBaseURL
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if c.Dialect == "" {
		c.Dialect = Dialect20260315
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.MaxBatchBytes == 0 {
		c.MaxBatchBytes = DefaultMaxBatchBytes
	}
	if c.Clock == nil {
		c.Clock = SystemClock{}
	}
	if c.Budget == nil {
		c.Budget = NewWindowBudget(WindowBudgetConfig{}, c.Clock)
	}
	c.Retry = c.Retry.WithDefaults()
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.Rand == nil {
		c.Rand = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	return c
}

// Validate reports the first invalid field, naming it.
func (c Config) Validate() error {
	u, err := url.Parse(c.BaseURL)
	switch {
	case err != nil:
		return fmt.Errorf("omnisend: config: BaseURL: %w", err)
	case u.Scheme != "http" && u.Scheme != "https" || u.Host == "":
		return errors.New("omnisend: config: BaseURL: must be an absolute http(s) URL")
	case u.User != nil || u.RawQuery != "":
		return errors.New("omnisend: config: BaseURL: must not carry credentials or a query")
	}
	if c.Dialect != Dialect20260315 && c.Dialect != DialectV3 {
		return fmt.Errorf("omnisend: config: Dialect: unknown dialect %q (want %q or %q)",
			c.Dialect, Dialect20260315, DialectV3)
	}
	if c.APIKey.IsZero() {
		return errors.New("omnisend: config: APIKey: required")
	}
	if strings.ContainsAny(c.APIKey.Reveal(), "\r\n") {
		return errors.New("omnisend: config: APIKey: must be one line")
	}
	if c.Timeout < 0 {
		return fmt.Errorf("omnisend: config: Timeout: must be positive, got %s", c.Timeout)
	}
	if c.MaxBatchBytes < minBatchBytes {
		return fmt.Errorf("omnisend: config: MaxBatchBytes: must be at least %d, got %d", minBatchBytes, c.MaxBatchBytes)
	}
	if err := c.Retry.validate(); err != nil {
		return fmt.Errorf("omnisend: config: %w", err)
	}
	return nil
}

// String keeps the key out of %v and %s (APIKey prints as <secret> anyway).
func (c Config) String() string {
	return fmt.Sprintf("omnisend.Config{BaseURL: %q, Dialect: %q, BrandID: %q, APIKey: %s, Timeout: %s}",
		c.BaseURL, c.Dialect, c.BrandID, redacted, c.Timeout)
}

// GoString implements fmt.GoStringer (%#v).
func (c Config) GoString() string { return c.String() }

// LogValue implements slog.LogValuer.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("base_url", c.BaseURL),
		slog.String("dialect", string(c.Dialect)),
		slog.String("brand", c.BrandID),
		slog.String("api_key", redacted),
	)
}
