// Package sandbox is a faithful local Omnisend: an http.Handler that serves
// the 2026-03-15 API under /api and the v3 API under /v3 with Omnisend's
// routes, validation, error bodies, per-brand sliding-window rate limits and
// asynchronous batches and tag operations, plus seeded fault injection and
// inspection endpoints under /_sandbox/ for tests and people.
//
// Time: every Omnisend duration (rate-limit windows, batch pacing, tag delay,
// retryAfter, retention) runs Config.TimeScale times faster than the wall
// clock. Asynchronous work is advanced lazily — before every request to a
// brand and every inspection — from sandbox time alone, so results do not
// depend on goroutine scheduling and there are no background goroutines.
//
// Behaviours Omnisend's documents leave open (tags on upsert, status
// downgrades, future status dates, rate-limit headers, gateway error pages,
// paging cursors, the body size limit) are Config switches; each zero value
// is the sandbox's long-standing choice.
//
// The facts it emulates are in shared/OMNISEND-API.md; its responses are
// tested against Omnisend's OpenAPI documents in shared/omnisend-spec.
package sandbox

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"time"
)

// Server is the sandbox. Create it with New; it is safe for concurrent use.
type Server struct {
	cfg    Config
	clock  *sandboxClock
	keys   map[string]Key
	brands map[string]*brandState
	order  []string // brand IDs in configuration order
	ids    idGen
	mux    *http.ServeMux
	reqSeq atomic.Uint64
	insp   inspector
	v      *validator
	rules  mergeRules
	closed atomic.Bool
}

// New validates cfg (after WithDefaults) and builds a Server.
func New(cfg Config) (*Server, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, clock: newSandboxClock(cfg.Clock, cfg.TimeScale),
		keys: map[string]Key{}, brands: map[string]*brandState{}, v: newValidator(), rules: rulesOf(cfg)}
	for _, k := range cfg.Keys {
		s.keys[k.Key] = k
		if _, ok := s.brands[k.BrandID]; !ok {
			s.brands[k.BrandID] = newBrandState(k.BrandID, k.BrandName, &s.ids, cfg.Segments, cfg.RateLimit)
			s.order = append(s.order, k.BrandID)
		}
	}
	s.insp.init(cfg.RequestLogSize)
	s.mux = s.routes()
	return s, nil
}

// ServeHTTP serves the API and the /_sandbox/ inspection endpoints.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Close releases the server. The sandbox runs no background goroutines, so
// Close only marks it closed; later API requests get 503.
func (s *Server) Close() error {
	s.closed.Store(true)
	return nil
}

// Now is the current sandbox time.
func (s *Server) Now() time.Time { return s.clock.Now() }

// route is one API operation.
type route struct {
	name    string // "POST /api/contacts", the stats key
	dialect dialect
	limit   string // limitGeneral or limitTags
	write   bool   // read-only keys get 403
	handle  func(s *Server, q *request) (*response, error)
}

// request is what a handler sees.
type request struct {
	r     *http.Request
	d     dialect
	id    string
	key   Key
	brand *brandState
	body  []byte
	now   time.Time
	seq   uint64 // the brand's request sequence number (0 before admission)
}

// response is what a handler returns; body nil means no body.
type response struct {
	status int
	body   any
}

// outcome is what happened to a request, for the log and the stats.
type outcome struct {
	status int
	fault  fault
	brand  string
}

func (s *Server) apiHandler(rt route) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		q := &request{r: r, d: rt.dialect, id: s.requestID()}
		out := s.serveAPI(w, q, rt)
		s.noteErrors(q, out)
		s.record(q, rt, out, time.Since(start))
	}
}

func (s *Server) serveAPI(w http.ResponseWriter, q *request, rt route) outcome {
	if s.closed.Load() {
		return s.writeError(w, q, errServer(http.StatusServiceUnavailable), outcome{})
	}
	key, aerr := s.authenticate(q.r, q.d)
	if aerr != nil {
		return s.writeError(w, q, aerr, outcome{})
	}
	q.key, q.brand = key, s.brands[key.BrandID]
	out := outcome{brand: key.BrandID}
	if aerr := s.blocked(q); aerr != nil {
		out.fault = faultBlocked
		return s.writeError(w, q, aerr, out)
	}
	plan, aerr := s.admit(w, q, rt)
	if aerr != nil {
		out.fault = plan.kind
		return s.writeError(w, q, aerr, out)
	}
	if !sleep(q.r.Context(), plan.latency) {
		return out
	}
	switch plan.kind {
	case fault5xx:
		out.fault = fault5xx
		if plan.status != http.StatusInternalServerError && s.cfg.Faults.GatewayErrors == GatewayHTML {
			out.status = plan.status
			writeGatewayPage(w, plan.status)
			return out
		}
		return s.writeError(w, q, errServer(plan.status), out)
	case fault408:
		out.fault = fault408
		return s.writeError(w, q, errTimeout(), out)
	case faultHang:
		out.fault = faultHang
		sleep(q.r.Context(), s.cfg.Faults.HangFor)
		dropConnection(w)
		return out
	}
	resp, err := s.handle(q, rt)
	if plan.kind == faultLost {
		out.fault = faultLost
		dropConnection(w)
		return out
	}
	if err != nil {
		return s.writeError(w, q, asAPIError(err), out)
	}
	out.status = resp.status
	writeJSON(w, resp.status, resp.body)
	return out
}

// admit counts the request against its brand's limit and decides its faults.
func (s *Server) admit(w http.ResponseWriter, q *request, rt route) (faultPlan, *apiError) {
	b := q.brand
	b.mu.Lock()
	defer b.mu.Unlock()
	now := s.clock.Now()
	b.seq++
	q.seq = b.seq
	plan := s.cfg.Faults.decide(b.seq)
	win := b.limits[rt.limit]
	if plan.kind == fault429 {
		win.totalRejected++
		secs := s.retryAfter(b.seq, time.Second)
		s.rateHeaders(w, win, now, time.Second, secs)
		return plan, errRateLimited(secs)
	}
	ok, wait := win.take(now)
	if !ok {
		secs := s.retryAfter(b.seq, wait)
		s.rateHeaders(w, win, now, wait, secs)
		return plan, errRateLimited(secs)
	}
	s.rateHeaders(w, win, now, 0, 0)
	return plan, nil
}

// handle runs the route's checks and handler under the brand's lock, after
// advancing the brand's asynchronous work to now.
func (s *Server) handle(q *request, rt route) (*response, error) {
	if err := s.checkVersion(q); err != nil {
		return nil, err
	}
	if rt.write && q.key.ReadOnly {
		return nil, errForbidden("Insufficient permissions: the API key is read-only")
	}
	body, err := readBody(q.r, s.cfg.MaxBodyBytes)
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	if len(body) > s.cfg.MaxBodyBytes {
		return nil, errValidation(fieldError{fieldPath{"body"}, "too_long",
			fmt.Sprintf("Request body is larger than %d bytes", s.cfg.MaxBodyBytes)})
	}
	q.body = body
	b := q.brand
	b.mu.Lock()
	defer b.mu.Unlock()
	q.now = s.clock.Now()
	s.advance(b, q.now)
	return rt.handle(s, q)
}

// readBody reads at most limit+1 bytes of r's body, in one allocation when
// the request announces its length.
func readBody(r *http.Request, limit int) ([]byte, error) {
	lr := io.LimitReader(r.Body, int64(limit)+1)
	n := r.ContentLength
	if n <= 0 || n > int64(limit) {
		return io.ReadAll(lr)
	}
	buf := make([]byte, n+1) // the extra byte tells a longer body
	read := 0
	for read < len(buf) {
		m, err := lr.Read(buf[read:])
		read += m
		if err == io.EOF {
			return buf[:read], nil
		}
		if err != nil {
			return buf[:read], err
		}
	}
	rest, err := io.ReadAll(lr) // longer than announced
	return append(buf, rest...), err
}

func asAPIError(err error) *apiError {
	if ae, ok := err.(*apiError); ok {
		return ae
	}
	return errServer(http.StatusInternalServerError)
}

func (s *Server) writeError(w http.ResponseWriter, q *request, e *apiError, out outcome) outcome {
	out.status = e.Status
	writeJSON(w, e.Status, e.body(q.d, q.id))
	return out
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	if body == nil {
		w.WriteHeader(status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func (s *Server) requestID() string {
	n := s.reqSeq.Add(1)
	return fmt.Sprintf("%08x-0000-4000-8000-%012x", uint32(n>>48), n&0xffffffffffff)
}

// withBrands runs f on every brand, in configuration order, each under its
// lock and advanced to now.
func (s *Server) withBrands(f func(b *brandState)) {
	for _, id := range s.order {
		b := s.brands[id]
		b.mu.Lock()
		s.advance(b, s.clock.Now())
		f(b)
		b.mu.Unlock()
	}
}

var _ http.Handler = (*Server)(nil)
