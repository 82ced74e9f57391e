package segment

import (
	"testing"

	"github.com/stretchr/testify/require"

	"segbridge/internal/profile"
)

func testSchema() profile.Schema {
	c := profile.TypeCounts{}
	c.Count(profile.Attrs{"email": "a@example.com", "orders": int64(3), "lifetime_value": 12.5, "vip": true,
		"postal_code": "01234", "last_order_date": "2025-01-02", "mixed": int64(1)}, 1)
	c.Count(profile.Attrs{"email": "b@example.com", "mixed": "one", "lifetime_value": int64(4)}, 1)
	return profile.NewSchema(2, c.Sorted(), nil)
}

// TestCheckRuleTypes: a rule is compiled against the schema's types, and
// a type error is refused at its position.
func TestCheckRuleTypes(t *testing.T) {
	t.Parallel()
	s := testSchema()
	tests := []struct {
		rule      string
		line, col int
		msg       string // "" = accepted
	}{
		{rule: `p.orders > "x"`, line: 1, col: 10, msg: "found no matching overload for '_>_' applied to '(int, string)'"},
		{rule: "p.email != \"\" &&\n  p.orders.startsWith(\"1\")", line: 2, col: 22, msg: "found no matching overload for 'startsWith'"},
		{rule: `p.orders`, line: 1, col: 1, msg: "rule must evaluate to a bool, got int"},
		{rule: `p.lifetime_value == 500`, line: 1, col: 18, msg: "a decimal attribute takes decimals"},
		{rule: `p.postal_code == 1234`, line: 1, col: 15, msg: "(string, int)"},
		{rule: `p.orders > 3 && p.lifetime_value >= 500.0`},
		{rule: `p.orders > 2.5`},
		{rule: `p.postal_code.startsWith("0")`},
		{rule: `p.vip && has(p.email)`},
		{rule: `p.last_order_date < "2025-06-01"`},
		{rule: `p.mixed == 1 || p.mixed == "one"`},
		{rule: `p["orders"] > 1`},
		{rule: `p.email.endsWith("@example.com") && p.orders in [1, 2, 3]`},
	}
	for _, tt := range tests {
		_, err := CheckRule(tt.rule, s)
		if tt.msg == "" {
			require.NoError(t, err, tt.rule)
			continue
		}
		var re *RuleError
		require.ErrorAs(t, err, &re, tt.rule)
		require.Contains(t, re.Msg, tt.msg, tt.rule)
		require.Equal(t, [2]int{tt.line, tt.col}, [2]int{re.Line, re.Column}, "%s: %v", tt.rule, err)
	}
}

// TestCheckRuleNames: an attribute no profile has is refused with the
// closest names, at its position.
func TestCheckRuleNames(t *testing.T) {
	t.Parallel()
	s := testSchema()
	_, err := CheckRule(`p.orders > 1 && p.e_mail.endsWith("@x.com")`, s)
	var re *RuleError
	require.ErrorAs(t, err, &re)
	require.Equal(t, `rule error at line 1, column 17: no profile has the attribute "e_mail" (did you mean email?)`, err.Error())
	_, err = CheckRule(`has(p.ordrs)`, s)
	require.ErrorContains(t, err, `"ordrs" (did you mean orders?)`)
	_, err = CheckRule(`p["Email"] == "x"`, s)
	require.ErrorContains(t, err, `did you mean email?`)

	// With no profiles stored there is nothing to check names against.
	r, err := CheckRule(`p.anything > 3`, profile.Schema{})
	require.NoError(t, err)
	ok, err := r.Match(profile.Attrs{"anything": int64(4)})
	require.NoError(t, err)
	require.True(t, ok)
}

// TestTypedRuleMatchesLikeUntyped: the typed check changes what is
// refused, not how a rule matches (p stays a map at run time).
func TestTypedRuleMatchesLikeUntyped(t *testing.T) {
	t.Parallel()
	r, err := CheckRule(`p.orders >= 3 && p.lifetime_value >= 4.0 && p.postal_code.startsWith("0")`, testSchema())
	require.NoError(t, err)
	for attrs, want := range map[*profile.Attrs]bool{
		{"orders": int64(3), "lifetime_value": int64(4), "postal_code": "01234"}: true,
		{"orders": int64(3), "lifetime_value": 4.5, "postal_code": "11234"}:      false,
		{"orders": int64(3), "lifetime_value": 4.5}:                              false,
	} {
		got, err := r.Match(*attrs)
		require.NoError(t, err)
		require.Equal(t, want, got, "%v", *attrs)
	}
}
