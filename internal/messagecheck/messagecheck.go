// Package messagecheck is for tests: it collects the error messages that a
// package's tests provoke through an interface (the CLI's error line, the
// API's problem details, the web UI's error texts) and fails the package's
// test run when one of them shows internals — a storage driver's prefix
// ("sqlite: ", "postgres: ", "pq: ", "sql: "), a package path or a Go
// identifier such as export.FieldError or Options.Profiles — instead of
// plain words.
package messagecheck

import (
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
)

// internals matches what a user-facing message must not contain.
var internals = regexp.MustCompile(`\b(sqlite|postgres|pq|sql): |segbridge/internal/|\b[A-Za-z][A-Za-z0-9]*\.[A-Z][A-Za-z0-9]*[a-z][A-Za-z0-9]*\b`)

// Internals returns the part of msg that shows internals, or "".
func Internals(msg string) string {
	for _, m := range internals.FindAllString(msg, -1) {
		if !allowed(m) {
			return m
		}
	}
	return ""
}

// allowed are matches that are plain words after all: domain-like names
// users type, such as a file name with a capitalised extension.
func allowed(m string) bool {
	return strings.HasSuffix(strings.ToLower(m), ".csv") || strings.HasSuffix(strings.ToLower(m), ".jsonl")
}

// Collector gathers messages from parallel tests.
type Collector struct {
	mu   sync.Mutex
	bad  []string
	seen int
}

// Add checks one message provoked at where (the test's name, the command
// or the request) and keeps it if it shows internals.
func (c *Collector) Add(where, msg string) {
	if c == nil || strings.TrimSpace(msg) == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seen++
	if m := Internals(msg); m != "" {
		c.bad = append(c.bad, fmt.Sprintf("%s: %q shows %q", where, msg, m))
	}
}

// Main runs the package's tests and then fails the run (exit code 1) if
// any collected message showed internals, listing them on w.
func (c *Collector) Main(m *testing.M, w io.Writer) int {
	code := m.Run()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.bad) > 0 {
		slices.Sort(c.bad)
		fmt.Fprintf(w, "FAIL: %d of %d error messages the tests provoked show internals instead of plain words:\n  %s\n",
			len(c.bad), c.seen, strings.Join(slices.Compact(c.bad), "\n  "))
		return 1
	}
	return code
}
