package sandbox

import (
	"net/http"
	"time"
)

// blockState is one key's recent errors and block (Config.Block).
type blockState struct {
	errors []time.Time // error answers within the window, oldest first
	until  time.Time   // blocked before this sandbox time
}

// blocked returns the 403 for a request of a blocked key, or nil.
func (s *Server) blocked(q *request) *apiError {
	if s.cfg.Block.AfterErrors == 0 {
		return nil
	}
	b := q.brand
	b.mu.Lock()
	defer b.mu.Unlock()
	if st := b.blocks[q.key.Key]; st != nil && s.clock.Now().Before(st.until) {
		return errBlocked()
	}
	return nil
}

// noteErrors counts an error answer toward its key's block: once the key
// has had Block.AfterErrors of them within Block.Window, it is blocked for
// Block.For. The block's own 403s and dropped connections do not count.
func (s *Server) noteErrors(q *request, out outcome) {
	if s.cfg.Block.AfterErrors == 0 || q.brand == nil || out.status < http.StatusBadRequest || out.fault == faultBlocked {
		return
	}
	b := q.brand
	b.mu.Lock()
	defer b.mu.Unlock()
	now := s.clock.Now()
	st := b.blocks[q.key.Key]
	if st == nil {
		st = &blockState{}
		b.blocks[q.key.Key] = st
	}
	st.errors = append(trimBefore(st.errors, now.Add(-s.cfg.Block.Window)), now)
	if len(st.errors) >= s.cfg.Block.AfterErrors {
		st.until, st.errors = now.Add(s.cfg.Block.For), nil
	}
}

func errBlocked() *apiError {
	return &apiError{Status: http.StatusForbidden, Kind: "forbidden", Title: "Forbidden",
		Detail: "Forbidden - the server understood the request, but is refusing it: " +
			"blocked due to many errors in a short time. Try again later."}
}

func errTimeout() *apiError {
	return &apiError{Status: http.StatusRequestTimeout, Kind: "request-timeout", Title: "Request timeout",
		Detail: "Request timeout"}
}
