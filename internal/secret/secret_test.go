package secret_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"segbridge/internal/secret"
)

type bundle struct {
	key []byte
	kr  *secret.Keyring
}

func setup(t *testing.T) bundle {
	t.Helper()
	t.Parallel()
	key := randomKey(t)
	kr, err := secret.NewKeyring("test", nil, key)
	require.NoError(t, err)
	return bundle{key: key, kr: kr}
}

func randomKey(t *testing.T) []byte {
	t.Helper()
	key := make([]byte, secret.KeySize)
	_, err := rand.Read(key)
	require.NoError(t, err)
	return key
}

func TestRoundTrip(t *testing.T) {
	b := setup(t)
	plain := []byte("omnisend-api-key-1234")
	sealed, err := b.kr.Seal(plain, []byte("connection 1"))
	require.NoError(t, err)
	require.Len(t, sealed, len(plain)+secret.Overhead)
	require.False(t, bytes.Contains(sealed, plain))
	id, err := secret.SealedKeyID(sealed)
	require.NoError(t, err)
	require.Equal(t, b.kr.CurrentKeyID(), id)

	again, err := b.kr.Seal(plain, []byte("connection 1"))
	require.NoError(t, err)
	require.NotEqual(t, sealed, again, "every seal uses a fresh nonce")

	got, err := b.kr.Open(sealed, []byte("connection 1"))
	require.NoError(t, err)
	require.Equal(t, plain, got)
}

func TestTamperDetected(t *testing.T) {
	b := setup(t)
	sealed, err := b.kr.Seal([]byte("key"), []byte("ad"))
	require.NoError(t, err)
	for i := range sealed {
		bad := bytes.Clone(sealed)
		bad[i] ^= 0x01
		_, err := b.kr.Open(bad, []byte("ad"))
		require.ErrorIs(t, err, secret.ErrOpen, "byte %d flipped", i)
	}
	_, err = b.kr.Open(sealed[:len(sealed)-1], []byte("ad"))
	require.ErrorIs(t, err, secret.ErrOpen)
	_, err = b.kr.Open(sealed[:5], []byte("ad"))
	require.ErrorIs(t, err, secret.ErrOpen)
}

func TestWrongAssociatedData(t *testing.T) {
	b := setup(t)
	sealed, err := b.kr.Seal([]byte("key"), []byte("connection 1"))
	require.NoError(t, err)
	_, err = b.kr.Open(sealed, []byte("connection 2"))
	require.ErrorIs(t, err, secret.ErrOpen)
	require.Contains(t, err.Error(), "another record")
}

func TestWrongKey(t *testing.T) {
	b := setup(t)
	sealed, err := b.kr.Seal([]byte("key"), nil)
	require.NoError(t, err)
	other, err := secret.NewKeyring("other", nil, randomKey(t))
	require.NoError(t, err)
	_, err = other.Open(sealed, nil)
	require.ErrorIs(t, err, secret.ErrOpen)
	require.Contains(t, err.Error(), "same master key")

	// A keyring holding the old key as an older key still opens it, and
	// seals with its new current key.
	rotated, err := secret.NewKeyring("rotated", nil, randomKey(t), b.key)
	require.NoError(t, err)
	got, err := rotated.Open(sealed, nil)
	require.NoError(t, err)
	require.Equal(t, []byte("key"), got)
	resealed, err := rotated.Seal(got, nil)
	require.NoError(t, err)
	id, err := secret.SealedKeyID(resealed)
	require.NoError(t, err)
	require.Equal(t, rotated.CurrentKeyID(), id)
	require.NotEqual(t, b.kr.CurrentKeyID(), id)
}

func TestBadKeySize(t *testing.T) {
	t.Parallel()
	_, err := secret.NewKeyring("x", nil, make([]byte, 16))
	require.ErrorContains(t, err, "16 bytes, want 32")
}

func TestKeyringNeverPrintsKey(t *testing.T) {
	b := setup(t)
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("x", "kr", b.kr)
	js, err := json.Marshal(map[string]any{"kr": b.kr}) // as a field of a logged or served value
	require.NoError(t, err)
	out := fmt.Sprintf("%v %+v %#v %s %x %q", b.kr, b.kr, b.kr, b.kr, b.kr, b.kr) + logs.String() + string(js)
	for _, form := range []string{string(b.key), fmt.Sprintf("%x", b.key), base64.StdEncoding.EncodeToString(b.key)} {
		require.NotContains(t, out, form)
	}
	require.Contains(t, out, "secret.Keyring{current:")
}

func TestLoadFromEnv(t *testing.T) {
	t.Parallel()
	key := randomKey(t)
	dir := t.TempDir()
	kr, err := secret.Load(secret.Config{EnvKey: secret.EnvKey(base64.StdEncoding.EncodeToString(key)), DataDir: dir})
	require.NoError(t, err)
	require.Equal(t, secret.KeyID(key), kr.CurrentKeyID())
	require.Equal(t, secret.EnvVar, kr.Source())
	_, err = os.Stat(filepath.Join(dir, secret.DefaultFileName))
	require.ErrorIs(t, err, os.ErrNotExist, "no key file when the variable is set")

	kr2, err := secret.Load(secret.Config{EnvKey: secret.EnvKey(base64.RawURLEncoding.EncodeToString(key) + "\n")})
	require.NoError(t, err)
	require.Equal(t, kr.CurrentKeyID(), kr2.CurrentKeyID(), "URL-safe, unpadded, trailing newline all accepted")
}

func TestLoadMalformedEnv(t *testing.T) {
	t.Parallel()
	for value, want := range map[string]string{
		"not base64 at all!!":                              "SEGBRIDGE_MASTER_KEY is not valid base64",
		base64.StdEncoding.EncodeToString([]byte("short")): "SEGBRIDGE_MASTER_KEY decodes to 5 bytes, want 32",
	} {
		_, err := secret.Load(secret.Config{EnvKey: secret.EnvKey(value), DataDir: t.TempDir()})
		require.ErrorContains(t, err, want)
		require.ErrorContains(t, err, "openssl rand -base64 32")
		require.NotContains(t, err.Error(), value, "the value is never echoed")
	}
}

func TestKeyFileCreated0600AndReused(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	kr, err := secret.Load(secret.Config{DataDir: dir})
	require.NoError(t, err)
	path := filepath.Join(dir, secret.DefaultFileName)
	require.Equal(t, path, kr.Source())
	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	sealed, err := kr.Seal([]byte("k"), nil)
	require.NoError(t, err)
	again, err := secret.Load(secret.Config{DataDir: dir})
	require.NoError(t, err)
	got, err := again.Open(sealed, nil)
	require.NoError(t, err, "the second start reads the same key")
	require.Equal(t, []byte("k"), got)
	leftovers, err := filepath.Glob(filepath.Join(dir, ".master-key-*"))
	require.NoError(t, err)
	require.Empty(t, leftovers)
}

func TestKeyFileLoosePermissionsRefused(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	_, err := secret.Load(secret.Config{DataDir: dir})
	require.NoError(t, err)
	path := filepath.Join(dir, secret.DefaultFileName)
	require.NoError(t, os.Chmod(path, 0o644))
	_, err = secret.Load(secret.Config{DataDir: dir})
	require.ErrorContains(t, err, "readable by group or others (mode 0644)")
	require.ErrorContains(t, err, "chmod 600 "+path)
}

func TestKeyFileMalformed(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, secret.DefaultFileName)
	require.NoError(t, os.WriteFile(path, []byte("garbage!!\n"), 0o600))
	_, err := secret.Load(secret.Config{DataDir: dir})
	require.ErrorContains(t, err, "master key file "+path+" is not valid base64")
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	_, err := secret.Load(secret.Config{})
	require.ErrorContains(t, err, "DataDir: required when SEGBRIDGE_MASTER_KEY is not set")
	_, err = secret.Load(secret.Config{DataDir: t.TempDir(), FileName: "../x"})
	require.ErrorContains(t, err, "FileName")
}

func TestEnvKeyNeverPrints(t *testing.T) {
	t.Parallel()
	cfg := secret.Config{EnvKey: "c2VjcmV0LW1hc3Rlci1rZXktdGhhdC1pcy0zMi1ieXRlcw=="}
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("x", "cfg", cfg, "key", cfg.EnvKey)
	js, err := json.Marshal(cfg)
	require.NoError(t, err)
	out := fmt.Sprintf("%v %+v %#v %s %q %x", cfg, cfg, cfg, cfg.EnvKey, cfg.EnvKey, cfg.EnvKey) + logs.String() + string(js)
	require.NotContains(t, out, string(cfg.EnvKey))
	require.Contains(t, out, "<secret>")
}
