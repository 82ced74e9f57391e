package sandbox

import (
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// RequestRecord is one entry of the request log.
type RequestRecord struct {
	ID         string    `json:"id"`
	Time       time.Time `json:"time"` // sandbox time
	Brand      string    `json:"brand,omitempty"`
	Method     string    `json:"method"`
	Path       string    `json:"path"`
	Route      string    `json:"route"`
	Status     int       `json:"status"`    // 0: connection dropped
	BodyBytes  int       `json:"bodyBytes"` // request body size (read or announced)
	Fault      string    `json:"fault,omitempty"`
	WallMillis float64   `json:"wallMillis"`
}

// Stats summarizes the traffic so far.
type Stats struct {
	// Requests counts requests per route and status ("0" = dropped).
	Requests map[string]map[string]int `json:"requests"`
	// Faults counts injected faults by kind.
	Faults map[string]int `json:"faults"`
	// Brands holds per-brand figures, keyed by brand ID.
	Brands map[string]BrandStats `json:"brands"`
}

// BrandStats are one brand's figures.
type BrandStats struct {
	Contacts        int                   `json:"contacts"`
	Batches         int                   `json:"batches"`
	PendingTagOps   int                   `json:"pendingTagOps"`
	WelcomeMessages int                   `json:"welcomeMessages"`
	Limits          map[string]LimitStats `json:"limits"` // "general", "tags"
}

// LimitStats describes one rate limit. Busiest is the largest number of
// admitted requests inside any sliding window, computed exactly from the
// admitted timestamps; it never exceeds Limit.
type LimitStats struct {
	Limit         int       `json:"limit"`
	WindowSeconds float64   `json:"windowSeconds"` // sandbox seconds
	Admitted      int       `json:"admitted"`
	Rejected      int       `json:"rejected"`
	Busiest       int       `json:"busiestWindow"`
	BusiestAt     time.Time `json:"busiestAt,omitzero"`
}

// inspector keeps the request log ring and per-route counters.
type inspector struct {
	mu     sync.Mutex
	log    []RequestRecord
	next   int
	full   bool
	counts map[string]map[string]int
	faults map[string]int
}

func (in *inspector) init(size int) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.log, in.next, in.full = make([]RequestRecord, size), 0, false
	in.counts, in.faults = map[string]map[string]int{}, map[string]int{}
}

func (s *Server) record(q *request, rt route, out outcome, wall time.Duration) {
	rec := RequestRecord{ID: q.id, Time: s.clock.Now(), Brand: out.brand, Method: q.r.Method, Path: q.r.URL.Path,
		Route: rt.name, Status: out.status, BodyBytes: max(len(q.body), int(q.r.ContentLength)),
		Fault: out.fault.String(), WallMillis: float64(wall.Microseconds()) / 1000}
	s.cfg.Logger.Debug("sandbox request", "method", rec.Method, "path", rec.Path, "status", rec.Status,
		"brand", rec.Brand, "fault", rec.Fault)
	in := &s.insp
	in.mu.Lock()
	defer in.mu.Unlock()
	in.log[in.next] = rec
	in.next = (in.next + 1) % len(in.log)
	in.full = in.full || in.next == 0
	if in.counts[rt.name] == nil {
		in.counts[rt.name] = map[string]int{}
	}
	in.counts[rt.name][strconv.Itoa(out.status)]++
	if out.fault != faultNone {
		in.faults[out.fault.String()]++
	}
}

// Requests returns the request log, oldest first.
func (s *Server) Requests() []RequestRecord {
	in := &s.insp
	in.mu.Lock()
	defer in.mu.Unlock()
	if !in.full {
		return append([]RequestRecord(nil), in.log[:in.next]...)
	}
	return append(append([]RequestRecord(nil), in.log[in.next:]...), in.log[:in.next]...)
}

// Stats returns the current statistics.
func (s *Server) Stats() Stats {
	st := Stats{Requests: map[string]map[string]int{}, Faults: map[string]int{}, Brands: map[string]BrandStats{}}
	s.insp.mu.Lock()
	for r, m := range s.insp.counts {
		st.Requests[r] = map[string]int{}
		for k, v := range m {
			st.Requests[r][k] = v
		}
	}
	for k, v := range s.insp.faults {
		st.Faults[k] = v
	}
	s.insp.mu.Unlock()
	s.withBrands(func(b *brandState) {
		bs := BrandStats{Contacts: len(b.order), Batches: len(b.batchLs), PendingTagOps: len(b.tagOps),
			Limits: map[string]LimitStats{}}
		for _, c := range b.order {
			bs.WelcomeMessages += c.Welcomed
		}
		for name, w := range b.limits {
			bs.Limits[name] = LimitStats{Limit: w.limit, WindowSeconds: w.window.Seconds(), Admitted: w.totalAdmitted,
				Rejected: w.totalRejected, Busiest: w.busiest, BusiestAt: w.busiestAt}
		}
		st.Brands[b.id] = bs
	})
	return st
}

// Contacts returns every contact of brandID (all brands when empty) in the
// 2026-03-15 representation plus "brandID", in creation order, after
// applying all asynchronous work due by now.
func (s *Server) Contacts(brandID string) []map[string]any {
	var out []map[string]any
	s.withBrands(func(b *brandState) {
		if brandID != "" && b.id != brandID {
			return
		}
		for _, c := range b.order {
			m := b.contact2026(c)
			m["brandID"] = b.id
			out = append(out, m)
		}
	})
	return out
}

// Reset forgets all contacts, batches, pending operations, rate-limit
// windows, fault sequences, the request log and the statistics.
func (s *Server) Reset() {
	s.withBrands(func(b *brandState) { b.reset(s.cfg.RateLimit) })
	s.insp.init(s.cfg.RequestLogSize)
}

func (s *Server) inspectIndex(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"GET /_sandbox/contacts[?brand=ID]":                      "all contacts, NDJSON",
		"DELETE /_sandbox/contacts?email=E[&email=…][&brand=ID]": "delete contacts, as a merchant can in Omnisend's app",
		"GET /_sandbox/requests":                                 "request log, NDJSON, oldest first",
		"GET /_sandbox/stats":                                    "requests per route and status, faults, busiest window per brand and limit",
		"POST /_sandbox/reset":                                   "forget everything",
	})
}

func (s *Server) inspectContacts(w http.ResponseWriter, r *http.Request) {
	writeNDJSON(w, s.Contacts(r.URL.Query().Get("brand")))
}

func (s *Server) inspectRequests(w http.ResponseWriter, r *http.Request) {
	writeNDJSON(w, s.Requests())
}

func (s *Server) inspectStats(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.Stats())
}

func (s *Server) inspectReset(w http.ResponseWriter, r *http.Request) {
	s.Reset()
	w.WriteHeader(http.StatusNoContent)
}

func writeNDJSON[T any](w http.ResponseWriter, items []T) {
	w.Header().Set("Content-Type", "application/x-ndjson")
	enc := json.NewEncoder(w)
	for _, it := range items {
		if err := enc.Encode(it); err != nil {
			return
		}
	}
}
