package profile

import (
	"encoding/binary"
	"hash/maphash"
)

// idSet remembers the ids of a file with the line of each, as 96-bit
// fingerprints (a false duplicate has a chance of about 1 in 10^17 among
// a million ids and 1 in 10^15 among ten million): 14 bytes an id however
// long the id is, and up to a sixteenth more for room to grow (10,000,000
// ids: about 150 MB, where a map took 290 MB).
//
// The fingerprint's top 18 bits pick one of 262,144 runs, which hold the
// fingerprints' other 78 bits and the line of each, sorted. Runs are kept
// 8 to a chunk, one after the other in one byte slice that holds no
// pointers for the garbage collector to follow. A new id is inserted in
// place, moving the chunk's entries after it (about 15 at a million ids,
// 150 at ten million: 2 KB). Chunks grow by a sixteenth. With 65,536 runs
// the moves (8 KB at ten million, in no order through 150 MB) took an add
// from 0.4 µs at a million ids to 1.0 µs at ten million; with 262,144 it
// is 0.4 and 0.6 µs, for 15.5 bytes an id instead of 15.0 and 2 MB of
// chunks to start with. A slice per run (many slices of many sizes, each
// reallocated as it grew) left 25–50 % more in half-empty spans of the
// heap; chunks leave under 10 %.
type idSet struct {
	seed1, seed2 maphash.Seed
	bits         uint // the fingerprint's top bits that pick a run
	chunks       []idChunk
}

// idChunk holds idChunkRuns runs: run i is data[ends[i-1]:ends[i]] (run 0
// starts at 0).
type idChunk struct {
	data []byte
	ends [idChunkRuns]uint32
}

const (
	idRunBits   = 18 // 262,144 runs
	idChunkRuns = 8  // runs a chunk
	idKeySize   = 10 // a fingerprint's bits after the run's: 64 + 14 (in 16)
	idEntrySize = idKeySize + 4
)

func newIDSet() *idSet { return newIDSetRuns(idRunBits) }

// newIDSetRuns is newIDSet with 2^bits runs (tests use few, to make runs long).
func newIDSetRuns(bits uint) *idSet {
	return &idSet{seed1: maphash.MakeSeed(), seed2: maphash.MakeSeed(), bits: bits,
		chunks: make([]idChunk, max(1<<bits/idChunkRuns, 1))}
}

// add records id at line; when id was seen before it returns the first
// line and true.
func (s *idSet) add(id string, line int) (first int, dup bool) {
	return s.addFingerprint(maphash.String(s.seed1, id), uint32(maphash.String(s.seed2, id)), line)
}

// addFingerprint is add for the 96-bit fingerprint hi, lo: hi's top bits
// pick the run, and the key is the next 64 bits, k, then the rest of lo,
// x (in 16 bits), stored big-endian (with fewer than 16 run bits the last
// ones are dropped).
func (s *idSet) addFingerprint(hi uint64, lo uint32, line int) (first int, dup bool) {
	r := hi >> (64 - s.bits)
	c, sub := &s.chunks[r/idChunkRuns], r%idChunkRuns
	k, x := hi<<s.bits|uint64(lo)>>(32-s.bits), uint16(lo<<s.bits>>16)
	start := 0
	if sub > 0 {
		start = int(c.ends[sub-1])
	}
	run := c.data[start:c.ends[sub]]
	i, j := 0, len(run)/idEntrySize // the first entry not below the key is in [i, j]
	for i < j {
		h := int(uint(i+j) >> 1)
		e := run[h*idEntrySize:]
		if ek := binary.BigEndian.Uint64(e); ek < k || ek == k && binary.BigEndian.Uint16(e[8:]) < x {
			i = h + 1
		} else {
			j = h
		}
	}
	if e := run[i*idEntrySize:]; len(e) > 0 && binary.BigEndian.Uint64(e) == k && binary.BigEndian.Uint16(e[8:]) == x {
		return int(binary.BigEndian.Uint32(e[idKeySize:])), true
	}
	at := start + i*idEntrySize
	if len(c.data)+idEntrySize > cap(c.data) {
		c.data = grow(c.data)
	}
	c.data = c.data[:len(c.data)+idEntrySize]
	copy(c.data[at+idEntrySize:], c.data[at:])
	binary.BigEndian.PutUint64(c.data[at:], k)
	binary.BigEndian.PutUint16(c.data[at+8:], x)
	binary.BigEndian.PutUint32(c.data[at+idKeySize:], uint32(min(line, 1<<31-1)))
	for n := sub; n < idChunkRuns; n++ {
		c.ends[n] += idEntrySize
	}
	return 0, false
}

// grow returns data in a new slice with room for a sixteenth more entries
// (at least four), rounded up to the allocator's size class: append's own
// growth (a quarter and more) would leave a fifth of the set empty.
func grow(data []byte) []byte {
	n := len(data) + max(len(data)/16/idEntrySize, 4)*idEntrySize
	grown := append([]byte(nil), make([]byte, n)...) // cap: n's size class
	return grown[:copy(grown, data)]
}
