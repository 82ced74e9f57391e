package omnisend

import (
	"bytes"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/omnisend/sandbox"
)

// Sandbox keys.
const (
	sbKey      = "sb-key-2c9f61d0a7e84b3f"
	sbKeyRO    = "sb-ro-key-5e1d"
	sbBrand    = "brand-a"
	sbBrandNam = "Brand A"
	// sbScale makes a 60 s window last one wall-clock second.
	sbScale = 60
)

// testBundle is what setup returns: a time-scaled sandbox over httptest,
// a client per dialect sharing one rate budget, a recorder of every request
// for spec validation, and the captured client logs.
type testBundle struct {
	srv     *sandbox.Server
	ts      *httptest.Server
	budget  *WindowBudget
	rec     *recorder
	logs    *syncWriter
	logBuf  *bytes.Buffer
	clients map[Dialect]*Client
	spec    specRouters
}

type setupOpts struct {
	scale   float64       // sandbox time scale; default sbScale
	margin  time.Duration // budget margin (wall clock); default 10 ms
	sandbox func(*sandbox.Config)
	client  func(*Config)
	budget  *WindowBudgetConfig // default: scaledBudget(scale)
}

// setup starts the sandbox (time scale 60, Omnisend's limits, fast batch
// processing) and clients for both dialects. When the test ends, every
// request the clients sent is validated against omnisend-spec.
func setup(t testing.TB, opts ...func(*setupOpts)) *testBundle {
	t.Helper()
	o := setupOpts{scale: sbScale, margin: 10 * time.Millisecond}
	for _, f := range opts {
		f(&o)
	}
	if o.budget == nil {
		bc := scaledBudget(o.scale, o.margin)
		o.budget = &bc
	}
	sbCfg := sandbox.Config{
		TimeScale: o.scale,
		Keys: []sandbox.Key{{Key: sbKey, BrandID: sbBrand, BrandName: sbBrandNam},
			{Key: sbKeyRO, BrandID: sbBrand, ReadOnly: true}},
		Batches:  sandbox.BatchConfig{StartDelay: 100 * time.Millisecond, ItemInterval: 5 * time.Millisecond},
		TagDelay: 100 * time.Millisecond,
	}
	if o.sandbox != nil {
		o.sandbox(&sbCfg)
	}
	srv, err := sandbox.New(sbCfg)
	require.NoError(t, err)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)

	b := &testBundle{srv: srv, ts: ts, budget: NewWindowBudget(*o.budget, SystemClock{}),
		rec:    &recorder{next: http.DefaultTransport.(*http.Transport).Clone()},
		logBuf: &bytes.Buffer{}, clients: map[Dialect]*Client{}, spec: loadSpecRouters(t)}
	b.logs = &syncWriter{w: b.logBuf}
	for i, d := range []Dialect{Dialect20260315, DialectV3} {
		b.clients[d] = b.newClient(t, d, sbKey, o.client, uint64(i))
	}
	t.Cleanup(func() { requireRequestsMatchSpec(t, b.spec, b.rec.requests()) })
	return b
}

// scaledBudget is the default budget (360 and 54 per window) with the
// window scaled like the sandbox (60 s → 1 s at scale 60) and a margin in
// wall-clock time (time scaling does not shrink clock granularity).
func scaledBudget(scale float64, margin time.Duration) WindowBudgetConfig {
	w := time.Duration(float64(time.Minute) / scale)
	return WindowBudgetConfig{General: Limit{360, w}, Tags: Limit{54, w}, Margin: margin}
}

func (b *testBundle) newClient(t testing.TB, d Dialect, key string, edit func(*Config), seed uint64) *Client {
	t.Helper()
	cfg := Config{
		BaseURL: b.ts.URL, Dialect: d, APIKey: NewSecret(key), BrandID: sbBrand,
		Timeout: 2 * time.Second, Budget: b.budget,
		Retry:      RetryConfig{BaseDelay: 5 * time.Millisecond, MaxDelay: 200 * time.Millisecond},
		HTTPClient: &http.Client{Transport: b.rec},
		Logger:     slog.New(slog.NewTextHandler(b.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Rand:       rand.New(rand.NewPCG(seed, 42)),
	}
	if edit != nil {
		edit(&cfg)
	}
	c, err := New(cfg)
	require.NoError(t, err)
	return c
}

func (b *testBundle) logText() string {
	b.logs.mu.Lock()
	defer b.logs.mu.Unlock()
	return b.logBuf.String()
}

// sandboxContacts returns the sandbox's contacts of the brand by e-mail.
func (b *testBundle) sandboxContacts() map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, c := range b.srv.Contacts(sbBrand) {
		email, _ := c["email"].(string)
		out[email] = c
	}
	return out
}

// eventually polls cond every 20 ms for up to 10 s.
func eventually(t *testing.T, cond func() bool, msg string) {
	t.Helper()
	require.Eventually(t, cond, 10*time.Second, 20*time.Millisecond, msg)
}
