package profile

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestIDSetFindsEveryRepeat adds many ids to a set of two runs, so that
// each run is long and every insertion lands between earlier entries,
// then adds them all again: each repeat is found with its first line, and
// nothing else is.
func TestIDSetFindsEveryRepeat(t *testing.T) {
	t.Parallel()
	s := newIDSetRuns(1)
	const n = 20000
	for i := range n {
		first, dup := s.add(fmt.Sprintf("C%07d", i), i+2)
		require.False(t, dup, "id %d is new", i)
		require.Zero(t, first)
	}
	for i := range n {
		first, dup := s.add(fmt.Sprintf("C%07d", i), n+i+2)
		require.True(t, dup, "id %d repeats", i)
		require.Equal(t, i+2, first)
	}
	c := s.chunks[0]
	require.Len(t, s.chunks, 1)
	require.Equal(t, n*idEntrySize, len(c.data), "a repeat adds no entry")
	start := uint32(0)
	for _, end := range c.ends[:2] {
		run := c.data[start:end]
		require.Zero(t, len(run)%idEntrySize)
		require.Greater(t, len(run), n/3*idEntrySize, "the runs share the ids")
		for at := idEntrySize; at < len(run); at += idEntrySize {
			require.Negative(t, bytes.Compare(run[at-idEntrySize:at-idEntrySize+idKeySize], run[at:at+idKeySize]), "a run is sorted")
		}
		start = end
	}
}

// TestIDSetKeepsEveryFingerprintBit adds fingerprints that differ in one
// bit each, in the bits that pick the run and in every byte of the key:
// none is taken for another, and the same fingerprint again is.
func TestIDSetKeepsEveryFingerprintBit(t *testing.T) {
	t.Parallel()
	s := newIDSet()
	type fp struct {
		hi uint64
		lo uint32
	}
	base := fp{hi: 0x0123456789abcdef, lo: 0x89abcdef}
	fps := []fp{base}
	for bit := range 64 {
		fps = append(fps, fp{hi: base.hi ^ 1<<bit, lo: base.lo})
	}
	for bit := range 32 {
		fps = append(fps, fp{hi: base.hi, lo: base.lo ^ 1<<bit})
	}
	for i, f := range fps {
		_, dup := s.addFingerprint(f.hi, f.lo, i+1)
		require.False(t, dup, "fingerprint %d differs from the others in one bit", i)
	}
	for i, f := range fps {
		first, dup := s.addFingerprint(f.hi, f.lo, 1000+i)
		require.True(t, dup)
		require.Equal(t, i+1, first)
	}
}

func TestIDSetLineBeyondInt32(t *testing.T) {
	t.Parallel()
	s := newIDSet()
	_, dup := s.add("a", 1<<40)
	require.False(t, dup)
	first, dup := s.add("a", 3)
	require.True(t, dup)
	require.Equal(t, 1<<31-1, first, "lines past 2^31-1 are kept as 2^31-1")
}
