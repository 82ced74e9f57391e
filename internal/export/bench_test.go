package export

import (
	"fmt"
	"testing"

	"segbridge/internal/profile"
)

// benchProfiles are varied, realistic profiles for the mapping benchmarks.
func benchProfiles(n int) []profile.Profile {
	out := make([]profile.Profile, n)
	for i := range out {
		p := fullProfile()
		p.ID = fmt.Sprintf("c%06d", i)
		p.Attrs["email"] = fmt.Sprintf(" Customer.%d@Example.com ", i)
		p.Attrs["zip"] = int64(10000 + i)
		out[i] = p
	}
	return out
}

// BenchmarkContactEmailOnly maps profiles with only the required e-mail.
func BenchmarkContactEmailOnly(b *testing.B) {
	ps := benchProfiles(1024)
	m := Mapping{Email: "email"}
	tags := Tags("segbridge", []string{"vip-buyers", "lapsed"})
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		m.Contact(ps[i&1023], tags, mirrorNow)
		i++
	}
}

// BenchmarkContactFull maps every standard field, 4 custom properties and
// consent with its date.
func BenchmarkContactFull(b *testing.B) {
	ps := benchProfiles(1024)
	m := fullMapping()
	tags := Tags("segbridge", []string{"vip-buyers", "lapsed"})
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		m.Contact(ps[i&1023], tags, mirrorNow)
		i++
	}
}

// BenchmarkContactFullAndHash is what planning costs per profile: mapping
// plus the change-detection hash.
func BenchmarkContactFullAndHash(b *testing.B) {
	ps := benchProfiles(1024)
	m := fullMapping()
	tags := Tags("segbridge", []string{"vip-buyers", "lapsed"})
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		c, _ := m.Contact(ps[i&1023], tags, mirrorNow)
		Hash(c)
		i++
	}
}
