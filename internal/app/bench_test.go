package app_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/demodata"
	"segbridge/internal/profile"
	"segbridge/internal/segment"
	"segbridge/internal/store"
	"segbridge/internal/store/sqlite"
)

// benchProfiles is the size of the in-process benchmarks
// (SEGBRIDGE_BENCH_PROFILES overrides it); scripts/bench.sh measures 100k
// and 1M end to end with peak RSS.
var benchProfiles = func() int {
	if n, err := strconv.Atoi(os.Getenv("SEGBRIDGE_BENCH_PROFILES")); err == nil && n > 0 {
		return n
	}
	return 50_000
}()

func sampleCSV(b *testing.B, n int) []byte {
	b.Helper()
	var buf bytes.Buffer
	require.NoError(b, demodata.Generate(&buf, demodata.Options{Profiles: n, Seed: 42, Format: profile.FormatCSV}))
	return buf.Bytes()
}

func openSQLite(b *testing.B) store.Store {
	b.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
	require.NoError(b, err)
	b.Cleanup(func() { st.Close() })
	require.NoError(b, st.Migrate(context.Background()))
	return st
}

func importCSV(b *testing.B, st store.Store, data []byte) profile.ImportSummary {
	b.Helper()
	open := func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
	sum, err := profile.Import(context.Background(), open, st, profile.ImportOptions{
		Read: profile.ReadOptions{Format: profile.FormatCSV, IDColumn: "id"},
	})
	require.NoError(b, err)
	return sum
}

func BenchmarkImportSQLite(b *testing.B) {
	data := sampleCSV(b, benchProfiles)
	for b.Loop() {
		b.StopTimer()
		st := openSQLite(b)
		b.StartTimer()
		sum := importCSV(b, st, data)
		require.Equal(b, benchProfiles, sum.Inserted)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchProfiles), "ns/profile")
}

func BenchmarkRefreshSQLite(b *testing.B) {
	st := openSQLite(b)
	importCSV(b, st, sampleCSV(b, benchProfiles))
	ctx := context.Background()
	d, err := segment.NewRuleDraft("VIP", `p.orders >= 10 && p.lifetime_value >= 500.0`)
	require.NoError(b, err)
	seg, err := st.CreateSegment(ctx, d, time.Now())
	require.NoError(b, err)
	for b.Loop() {
		_, err := segment.Refresh(ctx, st, seg, time.Now())
		require.NoError(b, err)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchProfiles), "ns/profile")
}
