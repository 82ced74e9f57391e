package connection_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"segbridge/internal/connection"
)

// TestKeyNeverLeaks drives every path that touches a plaintext key —
// success, wrong key, read-only key, check, remove — and then scans
// everything the package lets out: errors, logs (debug level, including
// the Omnisend client's), every fmt verb and JSON of every type, and the
// bytes of the SQLite database files.
func TestKeyNeverLeaks(t *testing.T) {
	b := setup(t)
	var seen []any
	d := b.draft("Shop", goodKey)
	c, err := b.svc.Create(b.ctx, d)
	require.NoError(t, err)
	brand, err := b.svc.Connect(b.ctx, d)
	require.NoError(t, err)
	checked, err := b.svc.Check(b.ctx, "Shop")
	require.NoError(t, err)
	seen = append(seen, d, c, brand, checked, b.svc, b.keys)
	for _, bad := range []connection.Draft{b.draft("Shop", roKey), b.draft("Other", roKey), b.draft("Shop", goodKey+"x")} {
		_, err := b.svc.Create(b.ctx, bad)
		require.Error(t, err)
		seen = append(seen, err, bad)
	}
	spaced := b.draft("Spaced", goodKey[:10]+" "+goodKey[10:])
	_, err = b.svc.Create(b.ctx, spaced)
	require.Error(t, err)
	seen = append(seen, err, spaced)

	var out strings.Builder
	for _, v := range seen {
		fmt.Fprintf(&out, "%v %+v %#v %s %q\n", v, v, v, v, v)
		if e, ok := v.(error); ok {
			out.WriteString(e.Error())
		}
		if js, err := json.Marshal(v); err == nil {
			out.Write(js)
		}
	}
	out.WriteString(b.logs.String())
	require.Contains(t, out.String(), "<secret>", "the scan looked at the drafts")
	require.Contains(t, b.logs.String(), "connection created", "the scan looked at the logs")
	for _, key := range []string{goodKey, roKey, goodKey + "x", goodKey[10:]} {
		require.NotContains(t, out.String(), key)
	}

	require.NoError(t, b.st.Close(), "flush the database")
	files, err := filepath.Glob(filepath.Join(b.dir, "segbridge.db*"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	var all strings.Builder
	for _, f := range files {
		raw, err := os.ReadFile(f)
		require.NoError(t, err)
		all.Write(raw)
		require.NotContains(t, string(raw), goodKey, "plaintext key in %s", f)
		require.NotContains(t, string(raw), goodKey[:len(goodKey)-4], "most of the key in %s", f)
	}
	require.Contains(t, all.String(), "brand-good", "the scan looked at the stored connection")
}
