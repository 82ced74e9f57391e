package profile

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDecodeAttrsRoundTrip(t *testing.T) {
	t.Parallel()
	for _, a := range []Attrs{
		{},
		{"s": "x", "i": int64(-3), "f": 2.5, "t": true, "n": false},
		{"esc": "quote \" back \\ nl \n tab \t uni ž 😀", "big": int64(1) << 62, "tiny": 1e-9, "neg": -0.5},
		{"float_integral": 3.0},
	} {
		b, err := EncodeAttrs(a)
		require.NoError(t, err)
		got, err := DecodeAttrs(b)
		require.NoError(t, err)
		if v, ok := a["float_integral"]; ok {
			// 3.0 is written as 3 and read back as a whole number.
			require.Equal(t, v, float64(got["float_integral"].(int64)))
			continue
		}
		require.Equal(t, a, got)
	}
}

func TestDecodeAttrsPostgresSpacing(t *testing.T) {
	t.Parallel()
	got, err := DecodeAttrs([]byte(`{"a": 1, "b": "x", "c": true, "d": 1.5}`))
	require.NoError(t, err)
	require.Equal(t, Attrs{"a": int64(1), "b": "x", "c": true, "d": 1.5}, got)
}

func TestDecodeSelected(t *testing.T) {
	t.Parallel()
	b := []byte(`{"a":1,"b":"x","c":true,"d":2.5,"e":"esc\"aped"}`)
	got, err := DecodeSelected(b, []string{"b", "d"})
	require.NoError(t, err)
	require.Equal(t, Attrs{"b": "x", "d": 2.5}, got)
	got, err = DecodeSelected(b, []string{"e", "zz"})
	require.NoError(t, err, "escaped strings take the slow path, still filtered")
	require.Equal(t, Attrs{"e": `esc"aped`}, got)
	got, err = DecodeSelected(b, []string{})
	require.NoError(t, err)
	require.Empty(t, got)
}

func TestDecodeAttrsRejectsGarbage(t *testing.T) {
	t.Parallel()
	for _, in := range []string{``, `{`, `[]`, `{"a":}`, `{"a":[1]}`, `{"a":{"b":1}}`, `{"a":1,}`, `{"a":-}`} {
		_, err := DecodeAttrs([]byte(in))
		require.Error(t, err, "input %q", in)
	}
}

// FuzzDecodeAttrs checks that the fast scanner agrees with encoding/json.
func FuzzDecodeAttrs(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `{"a": "x", "b": 2.5}`, `{"a":true,"b":false}`, `{}`, `{"a":"\u00e9"}`, `{"a":1e400}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fast, errFast := DecodeAttrs(b)
		slow, errSlow := decodeAttrsSlow(b)
		if errSlow != nil {
			return // the fast path may accept a superset (for example, a trailing-space variant); it must not panic
		}
		require.NoError(t, errFast)
		require.Equal(t, slow, fast)
		sel, err := DecodeSelected(b, []string{"a"})
		require.NoError(t, err)
		want := Attrs{}
		if v, ok := slow["a"]; ok {
			want["a"] = v
		}
		require.Equal(t, want, sel)
	})
}
