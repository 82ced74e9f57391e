package demodata_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"segbridge/internal/demodata"
	"segbridge/internal/profile"
)

var formats = []profile.Format{profile.FormatCSV, profile.FormatJSONL}

func generate(t testing.TB, opts demodata.Options) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, demodata.Generate(&b, opts))
	return b.Bytes()
}

// readBack reads generated data through profile.Reader and requires that
// no row is rejected.
func readBack(t *testing.T, data []byte, format profile.Format) []profile.Profile {
	t.Helper()
	r, err := profile.NewReader(bytes.NewReader(data), profile.ReadOptions{Format: format, IDColumn: "id"})
	require.NoError(t, err)
	var out []profile.Profile
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		require.NoError(t, err)
		require.Nil(t, rec.Err, "generated row rejected")
		out = append(out, rec.Profile)
	}
}

func TestGenerateDeterministic(t *testing.T) {
	t.Parallel()
	for _, f := range formats {
		t.Run(string(f), func(t *testing.T) {
			t.Parallel()
			a := generate(t, demodata.Options{Profiles: 2000, Seed: 42, Format: f})
			b := generate(t, demodata.Options{Profiles: 2000, Seed: 42, Format: f})
			c := generate(t, demodata.Options{Profiles: 2000, Seed: 43, Format: f})
			require.Equal(t, a, b, "same seed, same bytes")
			require.NotEqual(t, a, c, "different seed, different data")
		})
	}
}

func TestGenerateRowCount(t *testing.T) {
	t.Parallel()
	header := strings.Join(demodata.Columns(), ",") + "\n"
	require.Equal(t, header, string(generate(t, demodata.Options{Format: profile.FormatCSV})))
	require.Empty(t, generate(t, demodata.Options{Format: profile.FormatJSONL}))
	require.Equal(t, header, string(generate(t, demodata.Options{})), "CSV is the default")

	csv := generate(t, demodata.Options{Profiles: 1234, Seed: 1, Format: profile.FormatCSV})
	require.True(t, bytes.HasPrefix(csv, []byte(header)))
	jsonl := generate(t, demodata.Options{Profiles: 1234, Seed: 1, Format: profile.FormatJSONL})
	require.Equal(t, 1234, bytes.Count(jsonl, []byte("\n")))
	require.Len(t, readBack(t, csv, profile.FormatCSV), 1234)
}

func TestGenerateReadsBack(t *testing.T) {
	t.Parallel()
	const n = 10_000
	csv := readBack(t, generate(t, demodata.Options{Profiles: n, Seed: 7, Format: profile.FormatCSV}), profile.FormatCSV)
	jsonl := readBack(t, generate(t, demodata.Options{Profiles: n, Seed: 7, Format: profile.FormatJSONL}), profile.FormatJSONL)
	require.Len(t, csv, n)
	require.Len(t, jsonl, n)
	require.Equal(t, "C0000001", csv[0].ID)
	require.Equal(t, "C0010000", csv[n-1].ID)
	for i := range csv {
		c, j := csv[i], jsonl[i]
		require.Equal(t, c.ID, j.ID)
		for _, col := range []string{"first_name", "last_name", "email", "city", "country", "country_code",
			"email_consent", "email_consent_date", "orders", "lifetime_value", "created"} {
			require.Contains(t, c.Attrs, col, "%s of %s", col, c.ID)
		}
		require.IsType(t, int64(0), c.Attrs["orders"])
		require.IsType(t, float64(0), c.Attrs["lifetime_value"])
		require.Equal(t, c.Attrs["orders"], j.Attrs["orders"])
		require.Equal(t, c.Attrs["lifetime_value"], j.Attrs["lifetime_value"])
		require.Equal(t, c.Attrs["email"], j.Attrs["email"])
		require.Equal(t, c.Attrs["orders"] == int64(0), c.Attrs["last_order_date"] == nil,
			"last_order_date is empty exactly when orders is 0 (%s)", c.ID)
		orders := c.Attrs["orders"].(int64)
		require.True(t, orders >= 0 && orders <= 60, "orders %d", orders)
	}
}

func TestGenerateEmailProportions(t *testing.T) {
	t.Parallel()
	const n = 10_000
	profiles := readBack(t, generate(t, demodata.Options{Profiles: n, Seed: 99}), profile.FormatCSV)
	domains := []string{"example.com", "example.org", "example.net",
		"mail.example.com", "shop.example.org", "post.example.net"}
	var invalid, mixed, duplicates int
	seen := make(map[string]bool, n)
	for _, p := range profiles {
		email := p.Attrs["email"].(string)
		switch {
		case strings.Count(email, "@") != 1 || strings.Contains(email, " ") || strings.Contains(email, ".."):
			invalid++
		case email != strings.ToLower(email):
			mixed++
		}
		if seen[email] {
			duplicates++
		}
		seen[email] = true
		if at := strings.LastIndex(email, "@"); at >= 0 {
			domain := strings.ToLower(strings.ReplaceAll(email[at+1:], "..", "."))
			require.Contains(t, domains, domain, email)
		}
	}
	within := func(name string, got int, lo, hi float64) {
		share := float64(got) / n
		require.True(t, share >= lo && share <= hi, "%s: %d of %d (%.2f%%)", name, got, n, 100*share)
	}
	within("invalid", invalid, 0.006, 0.015)
	within("duplicates", duplicates, 0.006, 0.015)
	within("mixed case", mixed, 0.013, 0.028)
}

func TestGenerateOptionErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		opts demodata.Options
		want string
	}{
		{demodata.Options{Profiles: -1}, "Options.Profiles must be between 0 and 50000000, got -1"},
		{demodata.Options{Profiles: demodata.MaxProfiles + 1}, "Options.Profiles"},
		{demodata.Options{Format: "xml"}, `Options.Format: unknown format "xml"`},
	}
	for _, tt := range tests {
		err := demodata.Generate(io.Discard, tt.opts)
		require.ErrorContains(t, err, tt.want)
	}
}

type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }

func TestGenerateWriteError(t *testing.T) {
	t.Parallel()
	errFull := errors.New("disk full")
	err := demodata.Generate(failingWriter{errFull}, demodata.Options{Profiles: 100_000, Seed: 1})
	require.ErrorIs(t, err, errFull)
}

func BenchmarkGenerate(b *testing.B) {
	const n = 100_000
	for _, f := range formats {
		b.Run(string(f), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := demodata.Generate(io.Discard, demodata.Options{Profiles: n, Seed: 1, Format: f}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/row")
		})
	}
}
