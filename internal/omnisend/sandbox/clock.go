package sandbox

import "time"

// Clock supplies wall-clock time. Tests inject a fake to drive windows and
// batch pacing deterministically.
type Clock interface {
	Now() time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// sandboxClock turns wall-clock time into sandbox time: from epoch on, sandbox
// time runs scale times faster than the wall clock.
type sandboxClock struct {
	wall  Clock
	epoch time.Time
	scale float64
}

func newSandboxClock(wall Clock, scale float64) *sandboxClock {
	return &sandboxClock{wall: wall, epoch: wall.Now(), scale: scale}
}

// Now is the current sandbox time.
func (c *sandboxClock) Now() time.Time {
	elapsed := c.wall.Now().Sub(c.epoch)
	return c.epoch.Add(time.Duration(float64(elapsed) * c.scale))
}

// wall converts a sandbox duration into the wall-clock duration it takes.
func (c *sandboxClock) wallDuration(d time.Duration) time.Duration {
	return time.Duration(float64(d) / c.scale)
}
