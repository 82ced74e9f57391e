package sandbox

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"
)

// rateHeaders sets X-Sandbox-Retry-After-Ms (the exact wall-clock wait, on
// every 429) and the rate-limit headers Config.RateLimit.Headers asks for.
// wait is the sandbox-time wait of a 429 (0 when admitted); secs is the
// retryAfter its body says.
func (s *Server) rateHeaders(w http.ResponseWriter, win *slidingWindow, now time.Time, wait time.Duration, secs int) {
	h := w.Header()
	if wait > 0 {
		h.Set("X-Sandbox-Retry-After-Ms", strconv.FormatInt(s.clock.wallDuration(wait).Milliseconds(), 10))
	}
	switch s.cfg.RateLimit.Headers {
	case HeadersV3:
		h.Set("X-Rate-Limit-Limit", strconv.Itoa(win.limit))
		h.Set("X-Rate-Limit-Remaining", strconv.Itoa(win.remaining(now)))
		h.Set("X-Rate-Limit-Reset", s.headerSeconds(win.resetIn(now)))
	case HeadersRetryAfter:
		if wait > 0 {
			h.Set("Retry-After", strconv.Itoa(secs))
		}
	}
}

// headerSeconds renders a sandbox duration as the wall-clock seconds a
// header carries: whole seconds rounded up at time scale 1 (what Omnisend
// would send), milliseconds rounded up when time is scaled, where a
// sandbox minute may last less than a wall-clock second.
func (s *Server) headerSeconds(d time.Duration) string {
	wall := s.clock.wallDuration(d)
	if s.cfg.TimeScale == 1 {
		return strconv.Itoa(int(math.Ceil(wall.Seconds())))
	}
	ms := math.Ceil(float64(wall) / float64(time.Millisecond))
	return strconv.FormatFloat(ms/1000, 'f', -1, 64)
}

// retryAfter is the retryAfter (wall-clock seconds) a 429 with a real wait
// of wait (sandbox time) says: drawn from Config.RateLimit.RetryAfter when
// set, else the wait rounded up.
func (s *Server) retryAfter(seq uint64, wait time.Duration) int {
	r := s.cfg.RateLimit.RetryAfter
	if r.IsZero() {
		return retryAfterSeconds(wait, s.cfg.TimeScale)
	}
	return r.Min + int(unit(s.cfg.Faults.Seed, seq, streamRetryAfter)*float64(r.Max-r.Min+1))
}

// writeGatewayPage answers with the HTML error page a gateway (nginx, a
// load balancer) puts in front of an API that is down or slow.
func writeGatewayPage(w http.ResponseWriter, status int) {
	text := fmt.Sprintf("%d %s", status, http.StatusText(status))
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, "<html>\r\n<head><title>%s</title></head>\r\n<body>\r\n<center><h1>%s</h1></center>\r\n"+
		"<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n", text, text)
}
