package profile_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"segbridge/internal/profile"
)

func TestTypeOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		v    any
		want profile.Type
	}{
		{"x", profile.TypeString},
		{"01234", profile.TypeString},
		{"2024-02-29", profile.TypeDate},
		{"2023-02-29", profile.TypeString},
		{"2024-13-01", profile.TypeString},
		{"2024-01-02T03:04:05Z", profile.TypeTimestamp},
		{"2024-01-02 03:04:05", profile.TypeTimestamp},
		{"2024-01-02T03:04:05.123+02:00", profile.TypeTimestamp},
		{"2024-01-02 and more", profile.TypeString},
		{int64(3), profile.TypeInteger},
		{2.5, profile.TypeDecimal},
		{true, profile.TypeBoolean},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, profile.TypeOf(tt.v), "%#v", tt.v)
	}
}

// TestTypeOfSurvivesStorage: a value's type is the type of what is read
// back from its canonical JSON, so counts kept while writing agree with
// counts taken from stored profiles.
func TestTypeOfSurvivesStorage(t *testing.T) {
	t.Parallel()
	values := []any{0.0, math.Copysign(0, -1), 1.0, -1.5, 1e20, 1e21, 9.2e18, 9223372036854775807.0,
		-9223372036854775808.0, 1.5e-7, 123456789.0, int64(-5), int64(math.MaxInt64), "2024-01-01", true}
	for _, v := range values {
		b, err := profile.EncodeAttrs(profile.Attrs{"v": v})
		require.NoError(t, err)
		back, err := profile.DecodeAttrs(b)
		require.NoError(t, err)
		require.Equal(t, profile.TypeOf(v), profile.TypeOf(back["v"]), "%v encoded as %s", v, b)
	}
}

func TestNewSchema(t *testing.T) {
	t.Parallel()
	c := profile.TypeCounts{}
	c.Count(profile.Attrs{"email": "a@x", "orders": int64(1), "ltv": 2.5, "zip": "01234", "when": "2024-01-01"}, 1)
	c.Count(profile.Attrs{"email": "b@x", "orders": int64(2), "ltv": int64(3), "zip": int64(12345), "when": "later"}, 1)
	c.Count(profile.Attrs{"email": "c@x", "gone": true}, 1)
	c.Count(profile.Attrs{"gone": true}, -1)
	s := profile.NewSchema(3, c.Sorted(), map[string]profile.Type{"zip": profile.TypeString, "pinned_only": profile.TypeDate})
	types := map[string]profile.Type{}
	for _, a := range s.Attributes {
		types[a.Name] = a.Type
	}
	require.Equal(t, map[string]profile.Type{
		"email": profile.TypeString, "orders": profile.TypeInteger, "ltv": profile.TypeDecimal,
		"zip": profile.TypeString, "when": profile.TypeString, "pinned_only": profile.TypeDate,
	}, types)
	email, ok := s.Attribute("email")
	require.True(t, ok)
	require.Equal(t, 3, email.Profiles)
	_, ok = s.Attribute("gone")
	require.False(t, ok, "no profile carries it any more")
	_, ok = s.Attribute("pinned_only")
	require.False(t, ok, "pinned, but no profile carries it")
	zip, _ := s.Attribute("zip")
	require.True(t, zip.Pinned)
	require.Equal(t, "integer 1, string 1", zip.ValuesText())
	require.Equal(t, map[string]profile.Type{"zip": profile.TypeString, "pinned_only": profile.TypeDate}, s.Pins())

	c2 := profile.TypeCounts{}
	c2.Count(profile.Attrs{"x": int64(1)}, 1)
	c2.Count(profile.Attrs{"x": "one"}, 1)
	require.Equal(t, profile.TypeMixed, profile.NewSchema(2, c2.Sorted(), nil).Attributes[0].Type)
}

func TestCheckAttributeSuggests(t *testing.T) {
	t.Parallel()
	c := profile.TypeCounts{}
	c.Count(profile.Attrs{"email": "a", "email_consent": "subscribed", "first_name": "A", "orders": int64(1)}, 1)
	s := profile.NewSchema(1, c.Sorted(), nil)
	require.NoError(t, s.CheckAttribute("email"))
	require.EqualError(t, s.CheckAttribute("e_mail"), `no profile has the attribute "e_mail" (did you mean email?)`)
	require.EqualError(t, s.CheckAttribute("Email"), `no profile has the attribute "Email" (did you mean email?)`)
	require.EqualError(t, s.CheckAttribute("firstname"), `no profile has the attribute "firstname" (did you mean first_name?)`)
	require.EqualError(t, s.CheckAttribute("order"), `no profile has the attribute "order" (did you mean orders?)`)
	require.EqualError(t, s.CheckAttribute("zzz"), `no profile has the attribute "zzz" (profiles have email, email_consent, first_name, orders)`)
	var ue *profile.UnknownAttributeError
	require.ErrorAs(t, s.CheckAttribute("emial"), &ue)
	require.Equal(t, []string{"email"}, ue.Suggestions)

	require.NoError(t, profile.Schema{}.CheckAttribute("anything"), "no profiles yet: nothing to check against")
}

func TestParsePin(t *testing.T) {
	t.Parallel()
	name, typ, err := profile.ParsePin(" postal_code = string ")
	require.NoError(t, err)
	require.Equal(t, "postal_code", name)
	require.Equal(t, profile.TypeString, typ)
	_, _, err = profile.ParsePin("postal_code")
	require.ErrorContains(t, err, "want ATTRIBUTE=TYPE")
	_, _, err = profile.ParsePin("x=money")
	require.ErrorContains(t, err, `unknown type "money"`)
}
