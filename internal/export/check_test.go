package export

import (
	"testing"

	"github.com/stretchr/testify/require"

	"segbridge/internal/profile"
)

func checkSchema() profile.Schema {
	c := profile.TypeCounts{}
	c.Count(profile.Attrs{"email": "a@example.com", "first_name": "Ann", "orders": int64(3), "signup": "2024-01-02",
		"email_consent": "subscribed"}, 1)
	return profile.NewSchema(1, c.Sorted(), nil)
}

func TestCheckMapping(t *testing.T) {
	t.Parallel()
	s := checkSchema()
	ok := Mapping{Email: "email", FirstName: "first_name", Custom: map[string]string{"orders": "orders"},
		Consent: &ConsentMapping{Attribute: "email_consent", DateAttribute: "signup"}}
	require.NoError(t, CheckMapping(ok, s))

	tests := []struct {
		m     Mapping
		field string
		msg   string
	}{
		{Mapping{Email: "e_mail"}, "mapping.email", `no profile has the attribute "e_mail" (did you mean email?)`},
		{Mapping{Email: "email", FirstName: "firstname"}, "mapping.first_name", `(did you mean first_name?)`},
		{Mapping{Email: "email", Custom: map[string]string{"n": "order"}}, "mapping.custom.n", `(did you mean orders?)`},
		{Mapping{Email: "email", Consent: &ConsentMapping{Attribute: "consent"}}, "mapping.consent.attribute", `(did you mean email_consent?)`},
		{Mapping{Email: "orders"}, "mapping.email", `attribute "orders" holds integer values (integer 1), not text: e-mail must map to a string attribute`},
		{Mapping{Email: "signup"}, "mapping.email", `holds date values`},
	}
	for _, tt := range tests {
		err := CheckMapping(tt.m, s)
		var fe *FieldError
		require.ErrorAs(t, err, &fe, "%+v", tt.m)
		require.Equal(t, tt.field, fe.Field)
		require.Contains(t, fe.Msg, tt.msg)
	}
	require.NoError(t, CheckMapping(Mapping{Email: "anything"}, profile.Schema{}), "no profiles yet")
}
