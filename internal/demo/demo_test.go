package demo_test

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"segbridge/internal/app"
	"segbridge/internal/audit"
	"segbridge/internal/demo"
)

// TestDemoActsThroughTheServices: the demo's two runs succeed, and what
// it changed is audited as the services record it, acted by "demo".
func TestDemoActsThroughTheServices(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	a, err := app.Open(ctx, app.Config{DataDir: dir, DatabaseURL: "sqlite://" + filepath.Join(dir, "segbridge.db")})
	require.NoError(t, err)
	t.Cleanup(func() { _ = a.Close() })
	var out bytes.Buffer
	require.NoError(t, demo.Run(ctx, a, demo.Options{Profiles: 300, Seed: 1, Out: &out}))
	require.Contains(t, out.String(), "8. second run")

	entries, err := a.Audit.List(ctx, audit.ListOptions{Limit: 100})
	require.NoError(t, err)
	var got []string
	for _, e := range entries {
		if e.Actor == "demo" {
			got = append(got, e.Action+" "+e.Target)
		}
	}
	require.Subset(t, got, []string{"segment.create VIP buyers", "export.create VIP and lapsed to Omnisend", "run.start VIP and lapsed to Omnisend"})
	runs := 0
	for _, g := range got {
		if g == "run.start VIP and lapsed to Omnisend" {
			runs++
		}
	}
	require.Equal(t, 2, runs)
	jobs, err := a.Jobs.JobCounts(ctx)
	require.NoError(t, err)
	require.Zero(t, jobs["available"], "the demo's runs are executed in process, not queued")
}
