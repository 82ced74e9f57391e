package segment

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"segbridge/internal/profile"
)

// czech is a typical profile: every attribute type, int and float numbers.
func czech() profile.Attrs {
	return profile.Attrs{
		"country":        "CZ",
		"city":           "Brno",
		"email":          "jana@example.com",
		"name":           "Jana",
		"orders":         int64(5),
		"lifetime_value": 150.25,
		"vip":            true,
	}
}

// with returns czech() changed by kv pairs; a nil value deletes the key.
func with(kv ...any) profile.Attrs {
	a := czech()
	for i := 0; i < len(kv); i += 2 {
		k := kv[i].(string)
		if kv[i+1] == nil {
			delete(a, k)
			continue
		}
		a[k] = kv[i+1]
	}
	return a
}

func mustCompile(t testing.TB, expr string) *Rule {
	t.Helper()
	r, err := Compile(expr)
	require.NoError(t, err)
	return r
}

func TestRuleMatch(t *testing.T) {
	t.Parallel()
	const countryOrders = `p.country == "CZ" && p.orders > 3`
	const valueOrOrders = `p.lifetime_value >= 100.5 || p.orders > 10`
	tests := []struct {
		name  string
		rule  string
		attrs profile.Attrs
		want  bool
	}{
		{"and matches", countryOrders, czech(), true},
		{"and: too few orders", countryOrders, with("orders", int64(2)), false},
		{"and: float orders vs int literal", countryOrders, with("orders", 3.5), true},
		{"and: other country", countryOrders, with("country", "SK"), false},
		{"and: country absent", countryOrders, with("country", nil), false},
		{"has present", `has(p.email)`, czech(), true},
		{"has absent", `has(p.email)`, with("email", nil), false},
		{"endsWith", `p.email.endsWith("@example.com")`, czech(), true},
		{"endsWith other domain", `p.email.endsWith("@example.com")`, with("email", "x@example.org"), false},
		{"endsWith absent", `p.email.endsWith("@example.com")`, with("email", nil), false},
		{"or: float value", valueOrOrders, czech(), true},
		{"or: int value vs double literal", valueOrOrders, with("lifetime_value", int64(101)), true},
		{"or: low value, many orders", valueOrOrders, with("lifetime_value", 50.0, "orders", int64(11)), true},
		{"or: decides around absent value", valueOrOrders, with("lifetime_value", nil, "orders", int64(11)), true},
		{"or: absent value, few orders", valueOrOrders, with("lifetime_value", nil), false},
		{"float vs int literal", `p.lifetime_value > 100`, czech(), true},
		{"int vs float literal", `p.orders < 5.5`, czech(), true},
		{"int equals float", `p.orders == 5.0`, czech(), true},
		{"float equals int", `p.lifetime_value == 150`, with("lifetime_value", 150.0), true},
		{"in list", `p.city in ["Prague", "Brno"]`, czech(), true},
		{"not in list", `p.city in ["Prague", "Brno"]`, with("city", "Ostrava"), false},
		{"in list, absent", `p.city in ["Prague", "Brno"]`, with("city", nil), false},
		{"absent equals", `p.country == "CZ"`, with("country", nil), false},
		{"absent not-equals is no match", `p.country != "CZ"`, with("country", nil), false},
		{"explicit absence", `!has(p.country) || p.country != "CZ"`, with("country", nil), true},
		{"ternary on presence", `has(p.country) ? p.country == "SK" : p.orders > 3`, with("country", nil), true},
		{"strings extension", `p.name.lowerAscii() == "jana" && p.email.trim().size() > 3`, czech(), true},
		{"bool attribute as rule", `p.vip`, czech(), true},
		{"bool attribute false", `p.vip`, with("vip", false), false},
		{"nil attrs", `p.orders > 3`, nil, false},
		{"empty attrs, has", `!has(p.orders)`, profile.Attrs{}, true},
		{"index syntax", `p["country"] == "CZ"`, czech(), true},
		{"multi-line", "p.country == \"CZ\"\n  && p.orders > 3\n  && p.vip", czech(), true},
		{"regex", `p.email.matches("^[a-z]+@example\\.com$")`, czech(), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := mustCompile(t, tt.rule)
			got, err := r.Match(tt.attrs)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestRuleSource(t *testing.T) {
	t.Parallel()
	const src = "  p.orders > 3\n"
	require.Equal(t, src, mustCompile(t, src).Source())
}

// TestMissingKeyMessage pins the text cel-go gives an absent-key lookup,
// which isMissingAttribute recognises.
func TestMissingKeyMessage(t *testing.T) {
	t.Parallel()
	r := mustCompile(t, `p.country == "CZ"`)
	_, _, err := r.prg.Eval(attrsActivation{})
	require.Error(t, err)
	require.True(t, strings.HasPrefix(err.Error(), noSuchKeyPrefix), err.Error())
	require.True(t, isMissingAttribute(err))
}

func TestMatchRuntimeErrors(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 5000)
	tests := []struct {
		name    string
		rule    string
		attrs   profile.Attrs
		wantErr string
	}{
		{"string compared with int", `p.name > 3`, czech(), "no such overload (an operator or function got a value"},
		{"string method on int", `p.orders.startsWith("1")`, czech(), "no such overload"},
		{"non-bool result", `p.name`, czech(), "result is string, not bool"},
		{"division by zero", `p.orders / 0 > 1`, czech(), "division by zero"},
		// Rules whose worst case is refused when compiled (see
		// TestPathologicalRuleRefused) never get here; these pass the
		// estimate, which assumes attribute values of at most 100
		// characters, and meet a far longer one.
		{"string blow-up", "p.note.replace('a', p.note).size() > 0", with("note", long), "cost limit exceeded"},
		{"cost limit", "p.note.split('').exists(x, p.note.contains(x + 'z'))", with("note", long), "cost limit exceeded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := mustCompile(t, tt.rule)
			got, err := r.Match(tt.attrs)
			require.ErrorContains(t, err, tt.wantErr)
			require.ErrorContains(t, err, "evaluate segment rule")
			require.False(t, got)
		})
	}
}

func TestMatchConcurrent(t *testing.T) {
	t.Parallel()
	match := mustCompile(t, `p.country == "CZ" && p.orders > 3 || p.email.endsWith("@example.org")`)
	broken := mustCompile(t, `p.name > 3 || p.name.size() > 100`)
	profiles := []profile.Attrs{czech(), with("orders", 1.5), with("country", nil), with("email", "a@example.org", "orders", nil), nil}
	want := []bool{true, false, false, true, false}

	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				k := (g + i) % len(profiles)
				got, err := match.Match(profiles[k])
				if err != nil || got != want[k] {
					errs <- fmt.Errorf("goroutine %d, profile %d: got %v, %v; want %v", g, k, got, err, want[k])
					return
				}
				if _, err := broken.Match(profiles[0]); err == nil {
					errs <- fmt.Errorf("goroutine %d: broken rule matched without error", g)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}
