package cli

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestWorkerFlagErrors(t *testing.T) {
	b := setup(t)
	help := b.ok("worker", "--help")
	for _, flag := range []string{"--refresh-schedule", "--time-zone", "--concurrency"} {
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
}
