package cli

import (
	"fmt"
	"runtime/debug"
	"strings"
)

// defaultImportMemoryLimit is the soft memory limit "import profiles" gives
// the Go runtime unless SEGBRIDGE_MEMORY_LIMIT or GOMEMLIMIT says
// otherwise. The import's duplicate-id check holds about 15.5 bytes an id
// (155 MB at 10,000,000 rows), and the garbage collector's default heap
// goal is twice the live heap; near the limit the collector runs more
// often instead. Below a few million rows the heap stays far below it.
const defaultImportMemoryLimit = 224 << 20

// The import raises its limit when the duplicate-id check outgrows it
// (followRows): to importIDBytes a row read plus importHeadroom, the room
// the collector needs to work without running all the time.
const (
	importIDBytes  = 16
	importHeadroom = 64 << 20
)

// minMemoryLimit is the lowest SEGBRIDGE_MEMORY_LIMIT accepted: below it
// the collector would run all the time.
const minMemoryLimit = 64 << 20

// memoryLimitSetting is the soft memory limit for the Go runtime in bytes
// from SEGBRIDGE_MEMORY_LIMIT ("off": none), else def; 0 means leave the
// runtime's limit alone, which is also the answer when the user set
// GOMEMLIMIT (the runtime reads it itself).
func (g *globals) memoryLimitSetting(def int64) (int64, error) {
	if g.getenv("GOMEMLIMIT") != "" {
		return 0, nil
	}
	v := strings.TrimSpace(g.getenv("SEGBRIDGE_MEMORY_LIMIT"))
	switch {
	case v == "":
		return def, nil
	case strings.EqualFold(v, "off"):
		return 0, nil
	}
	n, err := parseSize(v)
	if err != nil || n < minMemoryLimit {
		return 0, fmt.Errorf("SEGBRIDGE_MEMORY_LIMIT %q: want a size of at least %s, such as 256MiB or 1GiB, or off",
			v, formatSize(minMemoryLimit))
	}
	return n, nil
}

// memoryLimit is the soft memory limit a command set.
type memoryLimit struct {
	bytes int64 // 0: none set
	set   func(bytes int64)
}

// limitMemory sets the runtime's soft memory limit from
// memoryLimitSetting(def).
func (g *globals) limitMemory(def int64) (*memoryLimit, error) {
	n, err := g.memoryLimitSetting(def)
	if err != nil {
		return nil, err
	}
	m := &memoryLimit{bytes: n, set: g.setMemoryLimit}
	if m.set == nil {
		m.set = func(n int64) { debug.SetMemoryLimit(n) }
	}
	if n > 0 {
		m.set(n)
	}
	return m, nil
}

// followRows raises the limit, when one is set, to what an import that
// has read rows needs (importIDBytes a row plus importHeadroom), in steps
// of a sixteenth: a limit the live heap nears would keep the collector
// running all the time.
func (m *memoryLimit) followRows(rows int) {
	want := int64(rows)*importIDBytes + importHeadroom
	if m.bytes == 0 || want <= m.bytes {
		return
	}
	m.bytes = want + want/16
	m.set(m.bytes)
}
