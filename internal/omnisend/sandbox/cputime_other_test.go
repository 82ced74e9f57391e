//go:build !unix

package sandbox

import "time"

// cpuTime is unknown here: benchmarks report 0 cpu-ns/item.
func cpuTime() time.Duration { return 0 }
