package httpauth

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// TrustedProxies are the networks of the reverse proxies in front of
// segbridge. Only a request whose direct peer is in one of them has its
// X-Forwarded-For and X-Forwarded-Proto headers believed; anyone else could
// write them. The zero value trusts nobody.
type TrustedProxies struct {
	prefixes []netip.Prefix
}

// ParseTrustedProxies reads CIDR networks ("10.0.0.0/8", "fd00::/8") or
// single addresses ("192.0.2.10"); each entry may itself be a
// comma-separated list.
func ParseTrustedProxies(entries []string) (TrustedProxies, error) {
	var t TrustedProxies
	for _, entry := range entries {
		for _, s := range strings.Split(entry, ",") {
			s = strings.TrimSpace(s)
			if s == "" {
				continue
			}
			p, err := netip.ParsePrefix(s)
			if err != nil {
				ip, ierr := netip.ParseAddr(s)
				if ierr != nil {
					return TrustedProxies{}, fmt.Errorf("%q is not a network such as 10.0.0.0/8 or an address such as 192.0.2.10", s)
				}
				p = netip.PrefixFrom(ip.Unmap(), ip.Unmap().BitLen())
			}
			t.prefixes = append(t.prefixes, p.Masked())
		}
	}
	return t, nil
}

// Contains reports whether ip is in a trusted network.
func (t TrustedProxies) Contains(ip netip.Addr) bool {
	ip = ip.Unmap()
	for _, p := range t.prefixes {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// String lists the networks, comma-separated.
func (t TrustedProxies) String() string {
	s := make([]string, len(t.prefixes))
	for i, p := range t.prefixes {
		s[i] = p.String()
	}
	return strings.Join(s, ",")
}

// Client is who sent a request, as far as the server can tell.
type Client struct {
	// IP is the client's address: the direct peer's, or behind a trusted
	// proxy the last address in X-Forwarded-For that is not a trusted
	// proxy.
	IP string
	// TLS is whether the client's connection was HTTPS: the request's own
	// TLS, or behind a trusted proxy its X-Forwarded-Proto.
	TLS bool
}

type clientKey struct{}

// ClientInfo returns middleware that works out each request's Client with
// the proxies in t and puts it in the request's context, for RemoteIP,
// IsTLS and the session cookie.
func ClientInfo(t TrustedProxies) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c := t.client(r)
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), clientKey{}, c)))
		})
	}
}

// client works out r's Client.
func (t TrustedProxies) client(r *http.Request) Client {
	c := Client{IP: peerIP(r), TLS: r.TLS != nil}
	peer, err := netip.ParseAddr(c.IP)
	if err != nil || !t.Contains(peer) {
		return c
	}
	// Walk X-Forwarded-For from the nearest hop back: each trusted proxy
	// appended the address it got the request from, so the first address
	// that is not a trusted proxy is the client. Anything before it the
	// client may have written itself.
	hops := forwardedFor(r.Header.Values("X-Forwarded-For"))
	for i := len(hops) - 1; i >= 0; i-- {
		ip, err := netip.ParseAddr(hops[i])
		if err != nil {
			break // garbage: stop at the last hop we could trust
		}
		c.IP = ip.Unmap().String()
		if !t.Contains(ip) {
			break
		}
	}
	// The nearest proxy's word on the scheme: the last value.
	if protos := forwardedFor(r.Header.Values("X-Forwarded-Proto")); len(protos) > 0 {
		c.TLS = strings.EqualFold(protos[len(protos)-1], "https")
	}
	return c
}

// forwardedFor splits comma-separated header values into trimmed items.
func forwardedFor(values []string) []string {
	var out []string
	for _, v := range values {
		for _, item := range strings.Split(v, ",") {
			if item = strings.TrimSpace(item); item != "" {
				out = append(out, item)
			}
		}
	}
	return out
}

// clientOf returns r's Client: the one ClientInfo recorded, or without
// that middleware the direct peer and the request's own TLS.
func clientOf(r *http.Request) Client {
	if c, ok := r.Context().Value(clientKey{}).(Client); ok {
		return c
	}
	return Client{IP: peerIP(r), TLS: r.TLS != nil}
}

// RemoteIP returns the client's IP: the direct peer's (r.RemoteAddr
// without the port), or, when ClientInfo found the peer to be a trusted
// proxy, the address the proxies forwarded. Without ClientInfo forwarding
// headers are never believed.
func RemoteIP(r *http.Request) string { return clientOf(r).IP }

// IsTLS reports whether the client reached segbridge over HTTPS: the
// request's own TLS, or a trusted proxy's X-Forwarded-Proto: https.
func IsTLS(r *http.Request) bool { return clientOf(r).TLS }

// peerIP is the direct peer's address.
func peerIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
