package segment

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRuleAttributes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		rule  string
		names []string
		known bool
	}{
		{`p.country == "CZ" && p.orders > 3`, []string{"country", "orders"}, true},
		{`has(p.email) && p.email.endsWith("@example.com")`, []string{"email"}, true},
		{`p["first name"] == "Ann" || p.city in ["Prague"]`, []string{"city", "first name"}, true},
		{`true`, nil, true},
		{`size(p) > 3`, nil, false},
		{`p.exists(k, k == "vip")`, nil, false},
		{`p[p.key] == 1`, nil, false},
		{`"vip" in p`, nil, false},
	} {
		r, err := Compile(tc.rule)
		require.NoError(t, err, tc.rule)
		names, known := r.Attributes()
		require.Equal(t, tc.known, known, tc.rule)
		if tc.known {
			require.Equal(t, tc.names, names, tc.rule)
		}
	}
}
