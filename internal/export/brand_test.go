package export

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCheckSameBrand(t *testing.T) {
	t.Parallel()
	a := Mapping{Email: "email", FirstName: "first_name", Custom: map[string]string{"tier": "tier"}}
	require.NoError(t, CheckSameBrand(a, nil))
	require.NoError(t, CheckSameBrand(a, []SameBrand{{Name: "B", Mapping: Mapping{Email: "email", LastName: "surname"}}}),
		"fields only one maps, and fields mapped alike, are fine")

	err := CheckSameBrand(a, []SameBrand{{Name: "B", Mapping: Mapping{Email: "email", FirstName: "given_name"}}})
	var fe *FieldError
	require.ErrorAs(t, err, &fe)
	require.Equal(t, "mapping.first_name", fe.Field)
	require.Contains(t, fe.Msg, `export "B" on the same Omnisend brand maps first name from "given_name", this one from "first_name"`)

	err = CheckSameBrand(a, []SameBrand{{Name: "C", Mapping: Mapping{Email: "work_email"}}})
	require.ErrorAs(t, err, &fe)
	require.Equal(t, "mapping.email", fe.Field, "the e-mail decides which profile a contact is: it must agree too")

	err = CheckSameBrand(a, []SameBrand{{Name: "D", Mapping: Mapping{Email: "email", Custom: map[string]string{"tier": "level"}}}})
	require.ErrorAs(t, err, &fe)
	require.Equal(t, "mapping.custom.tier", fe.Field)

	c := Mapping{Email: "email", Consent: &ConsentMapping{Attribute: "consent", DateAttribute: "consent_at"}}
	err = CheckSameBrand(c, []SameBrand{{Name: "E", Mapping: Mapping{Email: "email", Consent: &ConsentMapping{Attribute: "consent"}}}})
	require.ErrorAs(t, err, &fe)
	require.Equal(t, "mapping.consent", fe.Field)
}
