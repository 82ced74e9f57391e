package segment

import (
	"testing"

	"segbridge/internal/profile"
)

// benchAttrs is a 15-attribute profile.
func benchAttrs() profile.Attrs {
	return profile.Attrs{
		"email": "jana@example.com", "first_name": "Jana", "last_name": "Nováková",
		"country": "CZ", "city": "Brno", "postal_code": "60200", "state": "JM",
		"phone": "+420601234567", "gender": "f", "birthdate": "1990-04-01",
		"orders": int64(5), "lifetime_value": 1520.5, "vip": true,
		"last_order_days": int64(12), "newsletter": false,
	}
}

func BenchmarkMatch(b *testing.B) {
	for _, bm := range []struct{ name, rule string }{
		{"and", `p.country == "CZ" && p.orders > 3`},
		{"missing", `p.region == "EU" && p.orders > 3`},
		{"mixed", `p.lifetime_value >= 100 || p.city in ["Prague", "Brno"]`},
		{"strings", `has(p.email) && p.email.lowerAscii().endsWith("@example.com")`},
	} {
		b.Run(bm.name, func(b *testing.B) {
			r := mustCompile(b, bm.rule)
			a := benchAttrs()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.Match(a); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkCompile(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile(`p.country == "CZ" && p.orders > 3`); err != nil {
			b.Fatal(err)
		}
	}
}
