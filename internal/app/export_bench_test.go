package app_test

import (
	"testing"

	"segbridge/internal/omnisend/sandbox"
)

// BenchmarkExportRun profiles one first run of an export of 50,000 sample
// profiles into an in-process sandbox (SQLite). scripts/bench-export.sh
// measures the same end to end at 100k and 1M.
func BenchmarkExportRun(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		e := newE2E(b, "", 50_000, sandbox.FaultConfig{})
		b.StartTimer()
		r := e.run()
		b.ReportMetric(float64(r.Counts.StepMillis["plan"]), "plan-ms")
		b.ReportMetric(float64(r.Requests), "requests")
	}
}
