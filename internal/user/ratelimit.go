package user

import (
	"time"

	"golang.org/x/time/rate"
)

// limiters holds one token bucket per key (an e-mail or a remote IP).
type limiters map[string]*rate.Limiter

// maxLimiters bounds a limiters map: past it, buckets that are full again
// (nobody failed recently) are dropped.
const maxLimiters = 4096

// attempt is a login attempt's reservations: one from the e-mail's bucket
// and one from the IP's. A successful login gives them back; a failed one
// keeps them spent.
type attempt struct {
	now time.Time
	rs  []*rate.Reservation
}

// reserve takes a token from the buckets of email and ip, or reports false
// (taking nothing) when either is empty.
func (s *Service) reserve(email, ip string, now time.Time) (attempt, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := attempt{now: now}
	for _, b := range []struct {
		m   limiters
		key string
	}{{s.byEmail, email}, {s.byIP, ip}} {
		if b.key == "" {
			continue
		}
		r := s.limiter(b.m, b.key, now).ReserveN(now, 1)
		a.rs = append(a.rs, r)
		if !r.OK() || r.DelayFrom(now) > 0 {
			a.cancel()
			return attempt{}, false
		}
	}
	return a, true
}

// cancel gives the attempt's tokens back.
func (a attempt) cancel() {
	for _, r := range a.rs {
		r.CancelAt(a.now)
	}
}

// limiter returns key's bucket in m, creating it (and pruning m when it
// is large). Callers hold s.mu.
func (s *Service) limiter(m limiters, key string, now time.Time) *rate.Limiter {
	if l, ok := m[key]; ok {
		return l
	}
	if len(m) >= maxLimiters {
		for k, l := range m {
			if l.TokensAt(now) >= float64(s.cfg.LoginBurst) {
				delete(m, k)
			}
		}
	}
	l := rate.NewLimiter(rate.Every(s.cfg.LoginEvery), s.cfg.LoginBurst)
	m[key] = l
	return l
}
