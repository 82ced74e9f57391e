package profile

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestEncodeAttrsIsMarshal: the canonical JSON is byte for byte what
// encoding/json writes, so hashes stored by earlier versions stay valid.
func TestEncodeAttrsIsMarshal(t *testing.T) {
	t.Parallel()
	strs := []string{"", "plain", `quote " and \ backslash`, "<html>&amp;", "\x00\x01\b\f\n\r\t\x1f\x7f", "José ☃ 😀",
		"bad \xff utf-8 \xe2\x82", "line\u2028sep\u2029", "ünïcödé", "2024-01-02"}
	floats := []float64{0, math.Copysign(0, -1), 1, -1.5, 0.1, 1e-6, 9.99e-7, 1e-7, 1.5e-300, 1e20, 1e21, 1.2345e22,
		math.MaxFloat64, math.SmallestNonzeroFloat64, 123456789.125, -0.000001}
	check := func(a Attrs) {
		t.Helper()
		want, err := json.Marshal(map[string]any(a))
		require.NoError(t, err)
		got, err := EncodeAttrs(a)
		require.NoError(t, err)
		require.Equal(t, string(want), string(got))
	}
	b, err := EncodeAttrs(nil)
	require.NoError(t, err)
	require.Equal(t, "{}", string(b))
	check(Attrs{})
	for _, s := range strs {
		check(Attrs{s: s, "k" + s: int64(-7)})
	}
	for _, f := range floats {
		check(Attrs{"f": f, "g": -f})
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		a := Attrs{}
		for range r.IntN(12) {
			k := strs[r.IntN(len(strs))] + string(rune('a'+r.IntN(26)))
			switch r.IntN(5) {
			case 0:
				a[k] = strs[r.IntN(len(strs))]
			case 1:
				a[k] = int64(r.Uint64())
			case 2:
				f := math.Float64frombits(r.Uint64())
				if math.IsNaN(f) || math.IsInf(f, 0) {
					f = r.NormFloat64()
				}
				a[k] = f
			case 3:
				a[k] = r.IntN(2) == 0
			case 4:
				a[k] = r.NormFloat64() * math.Pow(10, float64(r.IntN(40)-20))
			}
		}
		check(a)
	}
	_, err = EncodeAttrs(Attrs{"x": math.NaN()})
	require.Error(t, err)
	b, err = EncodeAttrs(Attrs{"n": 3}) // a type the fast path does not know
	require.NoError(t, err)
	require.Equal(t, `{"n":3}`, string(b))
}

func FuzzEncodeAttrs(f *testing.F) {
	f.Add("key", "value", 1.5, int64(3))
	f.Fuzz(func(t *testing.T, k, s string, fl float64, i int64) {
		if math.IsNaN(fl) || math.IsInf(fl, 0) {
			return
		}
		a := Attrs{k: s, k + "f": fl, k + "i": i}
		want, err := json.Marshal(map[string]any(a))
		if err != nil {
			t.Fatal(err)
		}
		got, err := EncodeAttrs(a)
		if err != nil || string(got) != string(want) {
			t.Fatalf("EncodeAttrs = %s, %v; json.Marshal = %s", got, err, want)
		}
	})
}

// TestEncoderReusesOrderSafely: profiles with the same number of
// attributes but other names are sorted anew, and shapes count as the
// attributes themselves do.
func TestEncoderReusesOrderSafely(t *testing.T) {
	t.Parallel()
	profiles := []Attrs{
		{"b": "x", "a": int64(1), "c": true},
		{"a": 2.5, "c": false, "b": "y"},
		{"d": "2024-01-02", "a": int64(1), "b": "z"},
		{"a": int64(3)},
		{"b": "q", "a": int64(1), "c": "2024-01-02T03:04:05Z"},
		{},
	}
	var e Encoder
	var byShape, byAttrs TypeCounts
	for _, a := range profiles {
		got, shape, err := e.Encode(a)
		require.NoError(t, err)
		want, err := json.Marshal(map[string]any(a))
		require.NoError(t, err)
		require.Equal(t, string(want), string(got))
		byShape.CountShape(shape, 1)
		byAttrs.Count(a, 1)
	}
	require.Equal(t, byAttrs.Sorted(), byShape.Sorted())
}
