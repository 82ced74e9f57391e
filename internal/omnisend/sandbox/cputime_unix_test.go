//go:build unix

package sandbox

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time the process has used (all threads, the garbage
// collector's included): steadier than wall time on a shared machine.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
