package segment

import (
	"errors"
	"math"
	"strings"
	"testing"

	"segbridge/internal/profile"
)

// fuzzProfiles are the fixed profiles every compiled fuzz rule is matched
// against: a full one, an empty one, and one with unusual values.
func fuzzProfiles() []profile.Attrs {
	return []profile.Attrs{
		czech(),
		{},
		nil,
		{"country": "", "orders": int64(-1 << 63), "lifetime_value": math.Copysign(0, -1), "vip": false, "email": "\xff\x00@", "name": "ŽŽ🎉"},
	}
}

// FuzzCompile compiles arbitrary rules. Compile must never panic and must
// report problems as *RuleError with a 1-based position; a rule that
// compiles must match every fixed profile without panicking. Compile and
// Match turn a panic inside cel-go into an "internal error"; the fuzzer
// reports those too, so they are found and kept as seeds.
func FuzzCompile(f *testing.F) {
	for _, seed := range []string{
		`p.country == "CZ" && p.orders > 3`,
		`has(p.email) && p.email.endsWith("@example.com")`,
		`p.lifetime_value >= 100.5 || p.orders > 10`,
		`p.city in ["Prague", "Brno"]`,
		`p.name.lowerAscii().split(" ").exists(w, w == "jana")`,
		`p.email.matches("^[a-z]+@") ? p.orders / 0 > 1 : size(p) > 2`,
		"p.orders >\n 3 &&\n foo",
		`p.x.frobnicate()`,
		`[1, 2, 3].map(x, x * 2).all(y, y > p.orders)`,
		`{"a": p.country}.a == "CZ" && p["city"] != ""`,
		`p.name.format([1]) == "" || "%s".format([p.name]) == p.name`,
		``,
	} {
		f.Add(seed)
	}
	profiles := fuzzProfiles()
	f.Fuzz(func(t *testing.T, expr string) {
		r, err := Compile(expr)
		if err != nil {
			var re *RuleError
			if !errors.As(err, &re) {
				t.Fatalf("Compile(%q) error is %T, not *RuleError: %v", expr, err, err)
			}
			if re.Line < 1 || re.Column < 1 {
				t.Fatalf("Compile(%q): position %d:%d is not 1-based", expr, re.Line, re.Column)
			}
			if strings.Contains(re.Msg, "internal error") {
				t.Fatalf("Compile(%q) recovered a panic: %v", expr, err)
			}
			_ = re.Snippet()
			return
		}
		for _, a := range profiles {
			if _, err := r.Match(a); err != nil && strings.Contains(err.Error(), "internal error") {
				t.Fatalf("Match(%q) recovered a panic: %v", expr, err)
			}
		}
	})
}
