package connection_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/connection"
	"segbridge/internal/omnisend"
	"segbridge/internal/omnisend/sandbox"
	"segbridge/internal/secret"
	"segbridge/internal/store/sqlite"
)

// Keys the sandbox knows. They are long and distinctive so that a leak
// test can look for them anywhere.
const (
	goodKey = "sb-good-0123456789abcdef0123456789abcdef-wxyz"
	roKey   = "sb-readonly-0123456789abcdef0123456789-ro12"
	v3Key   = "sb-v3-0123456789abcdef0123456789abcdef-v3k9"
)

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type bundle struct {
	ctx     context.Context
	dir     string
	sbURL   string
	st      *sqlite.Store
	keys    *secret.Keyring
	svc     *connection.Service
	logs    *syncBuffer
	now     time.Time
	advance func(time.Duration)
}

func setup(t *testing.T) *bundle {
	t.Helper()
	t.Parallel()
	sb, err := sandbox.New(sandbox.Config{Keys: []sandbox.Key{
		{Key: goodKey, BrandID: "brand-good", BrandName: "Good Shop"},
		{Key: roKey, BrandID: "brand-good", BrandName: "Good Shop", ReadOnly: true},
		{Key: v3Key, BrandID: "brand-v3", BrandName: "V3 Shop"},
	}, TagDelay: time.Nanosecond})
	require.NoError(t, err)
	srv := httptest.NewServer(sb)
	t.Cleanup(func() { srv.Close(); sb.Close() })

	b := &bundle{ctx: context.Background(), dir: t.TempDir(), sbURL: srv.URL, logs: &syncBuffer{},
		now: time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)}
	b.st, err = sqlite.Open(b.ctx, filepath.Join(b.dir, "segbridge.db"))
	require.NoError(t, err)
	t.Cleanup(func() { b.st.Close() })
	require.NoError(t, b.st.Migrate(b.ctx))
	b.keys, err = secret.Load(secret.Config{DataDir: b.dir})
	require.NoError(t, err)

	var mu sync.Mutex
	clock := b.now
	b.advance = func(d time.Duration) { mu.Lock(); clock = clock.Add(d); mu.Unlock() }
	b.svc, err = connection.NewService(connection.Config{
		Store: b.st, Keys: b.keys, Timeout: 2 * time.Second,
		Retry:  omnisend.RetryConfig{MaxAttempts: 2, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond},
		Logger: slog.New(slog.NewTextHandler(b.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:    func() time.Time { mu.Lock(); defer mu.Unlock(); return clock },
	})
	require.NoError(t, err)
	return b
}

// draft is a valid draft for the sandbox with key.
func (b *bundle) draft(name, key string) connection.Draft {
	return connection.Draft{
		Name: name, APIKey: omnisend.NewSecret(key), BaseURL: b.sbURL, ExportUser: "admin@example.com",
		Consent: connection.Consent{By: "alice", At: b.now, NoticeVersion: connection.NoticeVersion},
	}
}
