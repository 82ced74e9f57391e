package omnisend

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"
)

const testKey = "sk-LIVE-7f3a9c0e2b6d4f18a5c3e9b7d1f0a2c4"

func TestSecretNeverPrints(t *testing.T) {
	t.Parallel()
	s := NewSecret("  " + testKey + "\n")
	require.Equal(t, testKey, s.Reveal())
	cfg := Config{APIKey: s, BrandID: "b1"}.WithDefaults()
	client, err := New(cfg)
	require.NoError(t, err)

	type holder struct{ cfg Config } // unexported field: fmt cannot call methods
	values := []any{s, &s, cfg, &cfg, client, holder{cfg}, &holder{cfg}, []Secret{s}, map[string]Secret{"k": s}}
	verbs := []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T %v"}
	for _, v := range values {
		for _, verb := range verbs {
			out := fmt.Sprintf(verb, v)
			require.NotContains(t, out, testKey, "verb %s on %T", verb, v)
		}
		require.NotContains(t, fmt.Sprint(v), testKey)
		require.NotContains(t, fmt.Sprintln(v), testKey)
	}

	j, err := json.Marshal(map[string]any{"key": s, "ptr": &s})
	require.NoError(t, err)
	require.NotContains(t, string(j), testKey)
	var back map[string]string
	require.NoError(t, json.Unmarshal(j, &back))
	require.Equal(t, map[string]string{"key": redacted, "ptr": redacted}, back)

	var buf bytes.Buffer
	for _, h := range []slog.Handler{slog.NewTextHandler(&buf, nil), slog.NewJSONHandler(&buf, nil)} {
		slog.New(h).Info("x", "key", s, "cfg", cfg, "client", client, slog.Any("any", s))
	}
	require.NotContains(t, buf.String(), testKey)
	require.Contains(t, buf.String(), redacted)
}

func TestSecretPanicValue(t *testing.T) {
	t.Parallel()
	s := NewSecret(testKey)
	msg := func() (msg string) {
		defer func() { msg = fmt.Sprint(recover()) }()
		panic(s)
	}()
	require.Equal(t, redacted, msg)
}

func TestRedactErr(t *testing.T) {
	t.Parallel()
	s := NewSecret(testKey)
	inner := &APIError{Status: 401, Message: "bad key " + testKey}
	err := s.redactErr(fmt.Errorf("call: %w", inner))
	require.NotContains(t, err.Error(), testKey)
	var api *APIError
	require.ErrorAs(t, err, &api, "the chain survives redaction")
	clean := fmt.Errorf("nothing secret")
	require.Same(t, clean, s.redactErr(clean))
	require.NoError(t, s.redactErr(nil))
}
