package cli

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestWorkerFlagErrors(t *testing.T) {
	b := setup(t)
	help := b.ok("worker", "--help")
	for _, flag := range []string{"--refresh-schedule", "--time-zone", "--concurrency", "--job-timeout", "--rescue-after"} {
		require.Contains(t, help, flag)
	}
	require.Contains(t, b.fails("worker", "--concurrency", "0"), "--concurrency 0")
	require.Contains(t, b.fails("worker", "--concurrency", "101"), "--concurrency 101")
	require.Contains(t, b.fails("worker", "--time-zone", "Mars/Olympus"), `--time-zone "Mars/Olympus"`)
	require.Contains(t, b.fails("worker", "--time-zone", "Local"), "--time-zone")
	require.Contains(t, b.fails("worker", "--refresh-schedule", "0 25 * * *"), "--refresh-schedule")
	require.Contains(t, b.fails("worker", "--refresh-schedule", ""), "--refresh-schedule")
	require.Contains(t, b.fails("worker", "--refresh-schedule", "@every 1h"), "--refresh-schedule")
	require.Contains(t, b.fails("worker", "extra"), "unknown command")
	require.Contains(t, b.fails("worker", "--job-timeout", "10m", "--rescue-after", "5m"), "--rescue-after 5m0s: must exceed --job-timeout (10m0s)")
	require.Contains(t, b.fails("worker", "--job-timeout", "2h"), "--rescue-after 1h0m0s: must exceed --job-timeout (2h0m0s)")
	require.Contains(t, b.fails("worker", "--rescue-after", "-1s"), "must not be negative")
	b.env["SEGBRIDGE_OMNISEND_BUDGET"] = "401"
	require.Contains(t, b.fails("worker"), `SEGBRIDGE_OMNISEND_BUDGET "401": want 1 to 400`)
}
