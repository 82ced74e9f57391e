package connection_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/connection"
	"segbridge/internal/omnisend"
	"segbridge/internal/omnisend/sandbox"
	"segbridge/internal/store"
)

func problem(t *testing.T, err error) connection.Problem {
	t.Helper()
	var ce *connection.CheckError
	require.ErrorAs(t, err, &ce)
	return ce.Problem
}

func TestConnectGoodKey(t *testing.T) {
	b := setup(t)
	brand, err := b.svc.Connect(b.ctx, b.draft("Shop", goodKey))
	require.NoError(t, err)
	require.Equal(t, connection.Brand{ID: "brand-good", Name: "Good Shop"}, brand)
}

func TestConnectV3(t *testing.T) {
	b := setup(t)
	d := b.draft("Shop", v3Key)
	d.Dialect = omnisend.DialectV3
	brand, err := b.svc.Connect(b.ctx, d)
	require.NoError(t, err)
	require.Equal(t, "brand-v3", brand.ID)
	require.Equal(t, "brand-v3", brand.Label(), "v3 gives no brand name; the id stands in")
}

func TestConnectWrongKey(t *testing.T) {
	b := setup(t)
	_, err := b.svc.Connect(b.ctx, b.draft("Shop", "sb-not-a-key-at-all"))
	require.Equal(t, connection.ProblemWrongKey, problem(t, err))
	require.Contains(t, err.Error(), "Omnisend rejected the API key (HTTP 401)")
	var apiErr *omnisend.APIError
	require.ErrorAs(t, err, &apiErr, "the client's error is the cause")
}

func TestConnectReadOnlyKeyFails(t *testing.T) {
	b := setup(t)
	_, err := b.svc.Connect(b.ctx, b.draft("Shop", roKey))
	require.Equal(t, connection.ProblemReadOnly, problem(t, err))
	require.Contains(t, err.Error(), "read-only")
	require.Contains(t, err.Error(), "write")
}

func TestConnectUnreachable(t *testing.T) {
	b := setup(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	d := b.draft("Shop", goodKey)
	d.BaseURL = "http://" + addr
	_, err = b.svc.Connect(b.ctx, d)
	require.Equal(t, connection.ProblemUnreachable, problem(t, err))
	require.Contains(t, err.Error(), "cannot reach Omnisend at http://"+addr)
}

func TestConnectCancelled(t *testing.T) {
	b := setup(t)
	ctx, cancel := context.WithCancel(b.ctx)
	cancel()
	_, err := b.svc.Connect(ctx, b.draft("Shop", goodKey))
	require.ErrorIs(t, err, context.Canceled)
}

func TestConnectWithoutConsentCallsNobody(t *testing.T) {
	b := setup(t)
	d := b.draft("Shop", goodKey)
	d.Consent = connection.Consent{}
	d.BaseURL = "http://127.0.0.1:1" // would be unreachable
	_, err := b.svc.Connect(b.ctx, d)
	require.ErrorIs(t, err, connection.ErrConsentRequired)
}

func TestCreateCheckRemove(t *testing.T) {
	b := setup(t)
	c, err := b.svc.Create(b.ctx, b.draft("Main shop", goodKey))
	require.NoError(t, err)
	require.Equal(t, "wxyz", c.KeyLast4)
	require.Equal(t, "brand-good", c.BrandID)
	require.Equal(t, connection.AccessAdmins, c.Access, "admins only by default")
	require.Equal(t, omnisend.Dialect20260315, c.Dialect)
	require.Equal(t, connection.Consent{By: "alice", At: b.now, NoticeVersion: connection.NoticeVersion}, c.Consent)
	require.True(t, c.CheckedAt.Equal(b.now))

	key, err := b.svc.Key(b.ctx, c)
	require.NoError(t, err)
	require.Equal(t, goodKey, key.Reveal())

	b.advance(time.Hour)
	checked, err := b.svc.Check(b.ctx, "main SHOP")
	require.NoError(t, err)
	require.True(t, checked.CheckedAt.Equal(b.now.Add(time.Hour)), "checked_at: %v", checked.CheckedAt)

	_, err = b.svc.Create(b.ctx, b.draft("MAIN SHOP", goodKey))
	require.ErrorIs(t, err, store.ErrConflict)

	removed, err := b.svc.Remove(b.ctx, "Main shop")
	require.NoError(t, err)
	require.Equal(t, c.ID, removed.ID)
	_, err = b.svc.Check(b.ctx, "Main shop")
	require.ErrorIs(t, err, store.ErrNotFound)
}

func TestSealedKeyIsBoundToItsRow(t *testing.T) {
	b := setup(t)
	one, err := b.svc.Create(b.ctx, b.draft("One", goodKey))
	require.NoError(t, err)
	two, err := b.svc.Create(b.ctx, b.draft("Two", goodKey))
	require.NoError(t, err)
	sealed, err := b.st.ConnectionKey(b.ctx, one.ID)
	require.NoError(t, err)
	_, err = b.keys.Open(sealed, connection.KeyAD(two.ID))
	require.Error(t, err, "a key copied to another row does not open")
}

func TestNewServiceValidates(t *testing.T) {
	t.Parallel()
	_, err := connection.NewService(connection.Config{})
	require.ErrorContains(t, err, "Store: required")
}

// TestConnectBlockedKeyIsNotReadOnly: v3's "blocked due to many errors"
// 403 is transient (the client's classifier says so): a key check that
// gives up on it says Omnisend could not answer now, not that the key is
// read-only or lacks permissions.
func TestConnectBlockedKeyIsNotReadOnly(t *testing.T) {
	b := setup(t)
	sb, err := sandbox.New(sandbox.Config{Keys: []sandbox.Key{{Key: goodKey, BrandID: "brand-good", BrandName: "Good Shop"}},
		Block: sandbox.BlockConfig{AfterErrors: 1, Window: time.Hour, For: time.Hour}})
	require.NoError(t, err)
	srv := httptest.NewServer(sb)
	t.Cleanup(func() { srv.Close(); sb.Close() })
	// A 404 for a contact that does not exist: the one error that blocks
	// the key.
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/api/contacts/no-such-contact", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Omnisend-API-Key "+goodKey)
	req.Header.Set("Omnisend-Version", string(omnisend.Dialect20260315))
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusNotFound, res.StatusCode)

	svc, err := connection.NewService(connection.Config{Store: b.st, Keys: b.keys, Timeout: 2 * time.Second,
		Retry: omnisend.RetryConfig{MaxAttempts: 2, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond, MaxRetryAfter: time.Millisecond}})
	require.NoError(t, err)
	d := b.draft("Shop", goodKey)
	d.BaseURL = srv.URL
	_, err = svc.Connect(b.ctx, d)
	require.Equal(t, connection.ProblemOmnisend, problem(t, err))
	require.Contains(t, err.Error(), "right now (HTTP 403")
	require.NotContains(t, err.Error(), "read-only")
}
