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

// lockedBuffer is an output a test reads while a command writes it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestServe starts segbridge serve on a free port: the first start
// creates the admin from the environment, the API and health endpoints
// answer, and an interrupt stops it gracefully.
func TestServe(t *testing.T) {
	b := setup(t)
	b.env["SEGBRIDGE_ADMIN_EMAIL"] = "boss@example.com"
	b.env["SEGBRIDGE_ADMIN_PASSWORD"] = "a long enough password"
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut lockedBuffer
	g := &globals{in: strings.NewReader(""), out: &out, errOut: &errOut, getenv: func(k string) string { return b.env[k] }}
	root := newRoot(g)
	root.SetArgs([]string{"serve", "--addr", "127.0.0.1:0", "--workers", "1"})
	root.SetOut(&out)
	root.SetErr(&errOut)
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()

	addr := regexp.MustCompile(`http://(127\.0\.0\.1:\d+)/`)
	require.Eventually(t, func() bool { return addr.MatchString(errOut.String()) }, 30*time.Second, 20*time.Millisecond, errOut.String())
	base := "http://" + addr.FindStringSubmatch(errOut.String())[1]
	require.Contains(t, errOut.String(), "created the first admin boss@example.com")
	require.NotContains(t, errOut.String(), "a long enough password")

	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/metrics": 200, "/api/v1/me": 401, "/api/v1/openapi.json": 200} {
		res, err := http.Get(base + path)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		require.Equal(t, want, res.StatusCode, path)
	}
	login := strings.NewReader(`{"email":"boss@example.com","password":"a long enough password"}`)
	res, err := http.Post(base+"/api/v1/session", "application/json", login)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
	require.Contains(t, errOut.String(), "segbridge serve: stopped")
}

func TestServeFlags(t *testing.T) {
	b := setup(t)
	require.Contains(t, b.fails("serve", "--addr", "8080"), `--addr "8080": want HOST:PORT`)
	require.Contains(t, b.fails("serve", "--workers", "-1"), "--workers -1")
	require.Contains(t, b.fails("serve", "--refresh-schedule", "nope"), "--refresh-schedule")
	require.Contains(t, b.fails("serve", "--trusted-proxy", "10.0.0.0/8,not-a-net"),
		`--trusted-proxy: "not-a-net" is not a network such as 10.0.0.0/8 or an address such as 192.0.2.10`)
	require.Contains(t, b.fails("serve", "--max-upload", "lots"), `--max-upload: "lots" is not a size such as 256MiB`)
	require.Contains(t, b.fails("serve", "--max-upload", "10"), "--max-upload 10: want at least 1KiB")
}

func TestParseSize(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int64{"256MiB": 256 << 20, "1GiB": 1 << 30, "512mb": 512e6, "1048576": 1 << 20, " 4 KiB ": 4 << 10, "2g": 2 << 30} {
		got, err := parseSize(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "MiB", "-1MiB", "1.5GiB", "99999999999GiB"} {
		_, err := parseSize(in)
		require.Error(t, err, in)
	}
	require.Equal(t, "256MiB", formatSize(256<<20))
	require.Equal(t, "1500", formatSize(1500))
}
