package user

import (
	"net/netip"
	"time"

	"golang.org/x/time/rate"
)

// limiters holds one token bucket per key: a client and an account, or a
// client alone.
type limiters map[string]*rate.Limiter

// maxLimiters bounds a limiters map: past it, buckets that are full again
// (nobody failed recently) are dropped.
const maxLimiters = 4096

// attempt is a login attempt's reservations: one from the bucket of the
// client and account, one from the client's. A successful login gives them
// back; a failed one keeps them spent.
type attempt struct {
	now time.Time
	rs  []*rate.Reservation
}

// bucket is one limit an attempt is checked against.
type bucket struct {
	m     limiters
	key   string
	burst int
}

// reserve takes a token from the bucket of (client, email) and from the
// client's, or reports false (taking nothing) when either is empty. An
// empty client (a caller with no network address) is limited per e-mail
// only.
//
// Wrong passwords from one client therefore never lock the account for
// another client: an attacker spends only their own buckets.
func (s *Service) reserve(email, client string, now time.Time) (attempt, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	client = clientKey(client)
	buckets := []bucket{{s.byClientAccount, client + "\x00" + email, s.cfg.LoginBurst}}
	if client != "" {
		buckets = append(buckets, bucket{s.byClient, client, s.cfg.LoginClientBurst})
	}
	a := attempt{now: now}
	for _, b := range buckets {
		r := s.limiter(b, now).ReserveN(now, 1)
		a.rs = append(a.rs, r)
		if !r.OK() || r.DelayFrom(now) > 0 {
			a.cancel()
			return attempt{}, false
		}
	}
	return a, true
}

// clientKey is the key a client's address is limited by: the address
// itself, or for IPv6 its /64 network (one host usually holds a whole
// /64, and could otherwise rotate through it). Anything that is not an IP
// is used as it is.
func clientKey(client string) string {
	ip, err := netip.ParseAddr(client)
	if err != nil {
		return client
	}
	ip = ip.Unmap()
	if ip.Is6() {
		if p, err := ip.Prefix(64); err == nil {
			return p.String()
		}
	}
	return ip.String()
}

// cancel gives the attempt's tokens back.
func (a attempt) cancel() {
	for _, r := range a.rs {
		r.CancelAt(a.now)
	}
}

// limiter returns b's bucket, creating it (and pruning b.m when it is
// large). Callers hold s.mu.
func (s *Service) limiter(b bucket, now time.Time) *rate.Limiter {
	if l, ok := b.m[b.key]; ok {
		return l
	}
	if len(b.m) >= maxLimiters {
		for k, l := range b.m {
			if l.TokensAt(now) >= float64(l.Burst()) {
				delete(b.m, k)
			}
		}
	}
	l := rate.NewLimiter(rate.Every(s.cfg.LoginEvery), b.burst)
	b.m[b.key] = l
	return l
}
