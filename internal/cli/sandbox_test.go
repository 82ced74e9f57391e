package cli

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// sandboxOutput is an io.Writer that a test may read while a command writes.
type sandboxOutput struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *sandboxOutput) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *sandboxOutput) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// startSandbox runs `segbridge sandbox --addr 127.0.0.1:0 args…` until the
// test ends and returns its base URL and its output so far.
func startSandbox(t *testing.T, args ...string) (string, *sandboxOutput) {
	t.Helper()
	out := &sandboxOutput{}
	g := &globals{in: strings.NewReader(""), out: out, errOut: io.Discard, getenv: func(string) string { return "" }}
	root := newRoot(g)
	root.SetArgs(append([]string{"sandbox", "--addr", "127.0.0.1:0"}, args...))
	root.SetOut(out)
	root.SetErr(io.Discard)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- root.ExecuteContext(ctx) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-errc)
	})
	addr := regexp.MustCompile(`v3 API:\s+(http://\S+)/v3`)
	var base string
	require.Eventually(t, func() bool {
		if m := addr.FindStringSubmatch(out.String()); m != nil {
			base = m[1]
			return true
		}
		return false
	}, 10*time.Second, 10*time.Millisecond, "sandbox did not start: %s", out.String())
	return base, out
}

func sandboxGet(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	req.Header.Set("X-API-KEY", "sandbox-key")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(body)
}

// TestSandboxBehaviourFlags starts the sandbox command with the switches
// for open behaviours and checks over HTTP that they took effect.
func TestSandboxBehaviourFlags(t *testing.T) {
	t.Parallel()
	base, out := startSandbox(t, "--rate-limit-headers", "v3", "--rate-limit", "7",
		"--fault-5xx", "1", "--gateway-errors", "html", "--seed", "3", "--tags-on-upsert", "replace",
		"--cursors", "opaque", "--max-body-bytes", "5000")
	require.Contains(t, out.String(), "tags-on-upsert=replace")
	require.Contains(t, out.String(), "cursors=opaque")
	require.Contains(t, out.String(), "max-body-bytes=5000")
	var pages, limited int
	for range 12 {
		resp, body := sandboxGet(t, base+"/v3/contacts")
		if resp.StatusCode == http.StatusTooManyRequests {
			limited++
			continue
		}
		require.Contains(t, []int{500, 502, 503, 504}, resp.StatusCode)
		require.Equal(t, "7", resp.Header.Get("X-Rate-Limit-Limit"))
		require.NotEmpty(t, resp.Header.Get("X-Rate-Limit-Remaining"))
		if resp.Header.Get("Content-Type") == "text/html" {
			pages++
			require.Contains(t, body, "<title>")
		}
	}
	require.Positive(t, pages, "gateway pages")
	require.Equal(t, 5, limited, "7 per window, then 429")

	base, _ = startSandbox(t, "--fault-408", "1", "--rate-limit-headers", "retry-after")
	resp, body := sandboxGet(t, base+"/v3/contacts")
	require.Equal(t, http.StatusRequestTimeout, resp.StatusCode)
	require.JSONEq(t, `{"error":"Request timeout"}`, body)
}

func TestSandboxBehaviourFlagErrors(t *testing.T) {
	b := setup(t)
	help := b.ok("sandbox", "--help")
	for _, flag := range []string{"--tags-on-upsert", "--status-downgrade", "--future-status-dates", "--rate-limit-headers",
		"--retry-after", "--gateway-errors", "--fault-408", "--block-after-errors", "--tag-jitter", "--foreign-batches",
		"--cursors", "--max-body-bytes"} {
		require.Contains(t, help, flag)
	}
	cases := map[string][]string{
		"--tags-on-upsert must be union or replace":               {"--tags-on-upsert", "append"},
		"--status-downgrade must be allow or block":               {"--status-downgrade", "no"},
		"--future-status-dates must be keep or drop":              {"--future-status-dates", "now"},
		"--rate-limit-headers must be none, v3 or retry-after":    {"--rate-limit-headers", "all"},
		"--gateway-errors must be json or html":                   {"--gateway-errors", "xml"},
		"--cursors must be plain or opaque":                       {"--cursors", "secret"},
		"--fault-408 must be between 0 and 1":                     {"--fault-408", "2"},
		"--max-body-bytes must be > 0":                            {"--max-body-bytes", "0"},
		"--foreign-batches must be >= 0":                          {"--foreign-batches", "-1"},
		`--retry-after "30-5": want whole seconds MIN-MAX with 1`: {"--retry-after", "30-5"},
	}
	for want, args := range cases {
		require.Contains(t, b.fails(append([]string{"sandbox"}, args...)...), want)
	}
}
