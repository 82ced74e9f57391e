package sandbox

import (
	"context"
	"net/http"
	"time"
)

// fault is what the sandbox does to one request besides answering it.
type fault int

const (
	faultNone    fault = iota
	fault429           // spurious 429 although the limit was not reached
	fault5xx           // 500/502/503, request not applied
	faultHang          // held past the client's timeout, then dropped, not applied
	faultLost          // applied, then the connection is dropped unanswered
	fault408           // 408 Request timeout, request not applied
	faultBlocked       // 403 to a key blocked after too many errors (Config.Block)
)

func (f fault) String() string {
	return [...]string{"", "429", "5xx", "hang", "lost", "408", "blocked"}[f]
}

// Streams of unit: one per seeded decision, so that the decisions are
// independent of each other and adding one changes none of the others.
const (
	streamJitter     = 1
	streamExtra429   = 2
	stream5xx        = 3
	stream5xxStatus  = 4
	streamHang       = 5
	streamLost       = 6
	stream408        = 7
	streamTagJitter  = 8
	streamRetryAfter = 9
	streamForeign    = 10 // and up: one per foreign batch of a request
	streamCursor     = 1 << 20
)

// faultPlan is the decision for one request.
type faultPlan struct {
	kind    fault
	status  int           // for fault5xx
	latency time.Duration // wall clock
}

// decide returns the faults for the request with sequence number seq. It is a
// pure function of the seed and seq: the same seed and the same request
// sequence always give the same faults.
func (f FaultConfig) decide(seq uint64) faultPlan {
	p := faultPlan{latency: f.Latency}
	if f.LatencyJitter > 0 {
		p.latency += time.Duration(unit(f.Seed, seq, streamJitter) * float64(f.LatencyJitter))
	}
	switch {
	case unit(f.Seed, seq, streamExtra429) < f.Extra429:
		p.kind = fault429
	case unit(f.Seed, seq, stream5xx) < f.Error5xx:
		p.kind = fault5xx
		statuses := []int{http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable}
		if f.GatewayErrors == GatewayHTML {
			statuses = append(statuses, http.StatusGatewayTimeout)
		}
		p.status = statuses[int(unit(f.Seed, seq, stream5xxStatus)*float64(len(statuses)))]
	case unit(f.Seed, seq, streamHang) < f.Hang:
		p.kind = faultHang
	case unit(f.Seed, seq, streamLost) < f.Lost:
		p.kind = faultLost
	case unit(f.Seed, seq, stream408) < f.Timeout408:
		p.kind = fault408
	}
	return p
}

// unit hashes (seed, seq, stream) to a uniform float in [0, 1).
func unit(seed int64, seq uint64, stream uint64) float64 {
	return float64(mix(seed, seq, stream)>>11) / float64(1<<53)
}

// mix hashes (seed, seq, stream) to 64 uniform bits (splitmix64).
func mix(seed int64, seq uint64, stream uint64) uint64 {
	x := uint64(seed) ^ (seq * 0x9e3779b97f4a7c15) ^ (stream * 0xbf58476d1ce4e5b9)
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// sleep waits d or until ctx ends; it reports whether the full d elapsed.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// dropConnection closes the client connection without writing a response,
// so the client sees EOF or a reset. It falls back to a panic with
// http.ErrAbortHandler, which net/http turns into a dropped connection too.
func dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}
