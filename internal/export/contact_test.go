package export

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/omnisend"
	"segbridge/internal/profile"
)

// fullMapping maps every field to an attribute of the same name.
func fullMapping() Mapping {
	return Mapping{
		Email: "email", FirstName: "first_name", LastName: "last_name", Address: "street",
		Country: "country", State: "state", City: "city", PostalCode: "zip", Phone: "phone",
		Birthdate: "born", Gender: "gender",
		Custom:  map[string]string{"ltv": "lifetime_value", "vip": "vip", "orders": "orders", "tier": "tier"},
		Consent: &ConsentMapping{Attribute: "email_consent", DateAttribute: "email_consent_at"},
	}
}

func fullProfile() profile.Profile {
	return profile.Profile{ID: "c1", Attrs: profile.Attrs{
		"email": "  Jane.Doe+news@Example.COM ", "first_name": " Jane ", "last_name": "Doe",
		"street": "Main St 1, Apt 2", "country": "cz", "state": "Praha", "city": "Prague", "zip": int64(60601),
		"phone": "+420 601 123-456", "born": "1990-04-01", "gender": "Female",
		"lifetime_value": 512.5, "vip": true, "orders": int64(7), "tier": " gold ",
		"email_consent": "Opted in", "email_consent_at": "2025-01-10T12:00:00+01:00",
	}}
}

func TestContactMapsEveryField(t *testing.T) {
	t.Parallel()
	tags := Tags("segbridge", []string{"vip-buyers"})
	c, res := fullMapping().Contact(fullProfile(), tags, mirrorNow)
	require.Equal(t, Result{}, res)
	require.Equal(t, omnisend.Contact{
		Email: "jane.doe+news@example.com", Phone: "+420601123456",
		Status: omnisend.StatusSubscribed, StatusDate: time.Date(2025, 1, 10, 11, 0, 0, 0, time.UTC),
		FirstName: "Jane", LastName: "Doe", Address: "Main St 1, Apt 2", City: "Prague", State: "Praha",
		PostalCode: "60601", CountryCode: "CZ", Gender: "f", Birthdate: "1990-04-01",
		Tags:             []string{"source: segbridge", "segbridge: vip-buyers"},
		CustomProperties: map[string]any{"ltv": 512.5, "vip": true, "orders": int64(7), "tier": " gold "},
	}, c)
}

func TestContactEmailOnly(t *testing.T) {
	t.Parallel()
	c, res := Mapping{Email: "email"}.Contact(profile.Profile{ID: "1", Attrs: profile.Attrs{"email": "a@b.io", "city": "X"}}, nil, mirrorNow)
	require.False(t, res.Skipped())
	require.Equal(t, omnisend.Contact{Email: "a@b.io"}, c, "unmapped attributes are not sent; status stays unknown")
	require.Empty(t, c.Status, "unknown status: the omnisend package sends none")
}

func TestContactSkips(t *testing.T) {
	t.Parallel()
	m := Mapping{Email: "email"}
	for name, tc := range map[string]struct {
		attrs profile.Attrs
		want  SkipReason
	}{
		"absent":        {profile.Attrs{"other": "x"}, SkipMissingEmail},
		"blank":         {profile.Attrs{"email": "   "}, SkipMissingEmail},
		"number":        {profile.Attrs{"email": int64(5)}, SkipInvalidEmail},
		"no at":         {profile.Attrs{"email": "jane.example.com"}, SkipInvalidEmail},
		"no domain dot": {profile.Attrs{"email": "jane@localhost"}, SkipInvalidEmail},
		"two ats":       {profile.Attrs{"email": "a@b@example.com"}, SkipInvalidEmail},
		"space inside":  {profile.Attrs{"email": "jane doe@example.com"}, SkipInvalidEmail},
		"display name":  {profile.Attrs{"email": "Jane <jane@example.com>"}, SkipInvalidEmail},
		"non-ascii":     {profile.Attrs{"email": "jána@example.com"}, SkipInvalidEmail},
	} {
		c, res := m.Contact(profile.Profile{ID: "p", Attrs: tc.attrs}, []string{SourceTag}, mirrorNow)
		require.Equal(t, tc.want, res.Skip, name)
		require.True(t, res.Skipped(), name)
		require.Equal(t, omnisend.Contact{}, c, name)
	}
}

func TestContactPostalCodeIsAlwaysText(t *testing.T) {
	t.Parallel()
	m := Mapping{Email: "e", PostalCode: "zip"}
	for in, want := range map[any]string{int64(60601): "60601", "01234": "01234", 60601.0: "60601", " 110 00 ": "110 00", 1234.5: "1234.5"} {
		c, _ := m.Contact(profile.Profile{Attrs: profile.Attrs{"e": "a@example.com", "zip": in}}, nil, mirrorNow)
		require.Equal(t, want, c.PostalCode, "%#v", in)
	}
}

func TestContactCountry(t *testing.T) {
	t.Parallel()
	m := Mapping{Email: "e", Country: "c"}
	for in, want := range map[string][2]string{
		"cz": {"CZ", ""}, "US": {"US", ""}, "uk": {"GB", ""}, "Czechia": {"", "Czechia"},
		" Germany ": {"", "Germany"}, "CZE": {"", "CZE"},
	} {
		c, res := m.Contact(profile.Profile{Attrs: profile.Attrs{"e": "a@example.com", "c": in}}, nil, mirrorNow)
		require.Equal(t, want, [2]string{c.CountryCode, c.Country}, in)
		require.Zero(t, res.Dropped, in)
	}
	c, res := m.Contact(profile.Profile{Attrs: profile.Attrs{"e": "a@example.com", "c": "XX"}}, nil, mirrorNow)
	require.Empty(t, c.CountryCode+c.Country)
	require.True(t, res.Dropped.Has(DroppedCountry))
	require.False(t, res.Skipped(), "a bad field never costs the contact")
}

func TestContactDropsUntypableFields(t *testing.T) {
	t.Parallel()
	m := fullMapping()
	p := fullProfile()
	p.Attrs["phone"] = "601 123 456"
	p.Attrs["born"] = "1990-02-30"
	p.Attrs["gender"] = "other"
	p.Attrs["email_consent"] = "maybe"
	c, res := m.Contact(p, nil, mirrorNow)
	require.False(t, res.Skipped())
	require.Equal(t, DroppedPhone|DroppedBirthdate|DroppedGender|DroppedConsent, res.Dropped)
	require.Equal(t, "phone, birthdate, gender, consent", res.Dropped.String())
	require.Empty(t, c.Phone)
	require.Empty(t, c.Birthdate)
	require.Empty(t, c.Gender)
	require.Empty(t, c.Status, "an unreadable consent value leaves the status unknown")
	require.True(t, c.StatusDate.IsZero())
	require.Equal(t, "jane.doe+news@example.com", c.Email)
}

// mirrorNow sends mapped statuses (mirror) as of 2026-12-01.
var mirrorNow = Consent{Policy: ConsentMirror, Now: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)}

func TestContactConsent(t *testing.T) {
	t.Parallel()
	m := Mapping{Email: "e", Consent: &ConsentMapping{Attribute: "s", DateAttribute: "d"}}
	at := time.Date(2025, 3, 1, 8, 30, 0, 0, time.UTC)
	get := func(cs Consent, attrs profile.Attrs) (omnisend.Contact, Result) {
		attrs["e"] = "a@example.com"
		return m.Contact(profile.Profile{Attrs: attrs}, nil, cs)
	}
	optIns := Consent{Policy: ConsentOptIns, Now: mirrorNow.Now}
	keep := Consent{Policy: ConsentKeep, Now: mirrorNow.Now}

	c, _ := get(mirrorNow, profile.Attrs{"s": "unsubscribed", "d": "2025-03-01 08:30:00"})
	require.Equal(t, omnisend.StatusUnsubscribed, c.Status)
	require.Equal(t, at, c.StatusDate)
	c, res := get(optIns, profile.Attrs{"s": "unsubscribed", "d": "2025-03-01 08:30:00"})
	require.Empty(t, c.Status, "opt-ins never sends an unsubscribe")
	require.Zero(t, res.Dropped, "a policy choice, not a dropped value")
	c, _ = get(optIns, profile.Attrs{"s": "yes", "d": "2025-03-01 08:30:00"})
	require.Equal(t, omnisend.StatusSubscribed, c.Status)
	require.Equal(t, at, c.StatusDate)
	c, _ = get(keep, profile.Attrs{"s": "yes", "d": "2025-03-01 08:30:00"})
	require.Empty(t, c.Status, "keep never sends a status")
	c, _ = get(Consent{Now: mirrorNow.Now}, profile.Attrs{"s": "yes", "d": "2025-03-01 08:30:00"})
	require.Empty(t, c.Status, "no policy is keep")

	for _, cs := range []Consent{mirrorNow, optIns} {
		c, res = get(cs, profile.Attrs{"s": false, "d": "2025-03-01"})
		require.Empty(t, c.Status, "%s: nonSubscribed is never sent: it could only take a real status away", cs.Policy)
		require.Zero(t, res.Dropped)

		c, res = get(cs, profile.Attrs{"s": "subscribed"})
		require.Empty(t, c.Status, "%s: no date: not sent (Omnisend would date it now)", cs.Policy)
		require.Equal(t, DroppedConsentDate, res.Dropped)

		c, res = get(cs, profile.Attrs{"s": "subscribed", "d": "yesterday"})
		require.Empty(t, c.Status)
		require.Equal(t, DroppedConsentDate, res.Dropped)

		c, res = get(cs, profile.Attrs{"s": "subscribed", "d": "2026-12-01T12:00:01Z"})
		require.Empty(t, c.Status, "%s: a date after now is never sent", cs.Policy)
		require.Equal(t, DroppedConsentFuture, res.Dropped)
		require.Equal(t, "consent_future_date", res.Dropped.String())

		c, _ = get(cs, profile.Attrs{"s": "subscribed", "d": "2026-12-01T12:00:00Z"})
		require.Equal(t, omnisend.StatusSubscribed, c.Status, "%s: now is not the future", cs.Policy)

		c, res = get(cs, profile.Attrs{"d": "2025-03-01"})
		require.Empty(t, c.Status, "no status value: unknown")
		require.Zero(t, res.Dropped)
	}
}

func TestContactCustomPropertiesKeepTypes(t *testing.T) {
	t.Parallel()
	m := Mapping{Email: "e", Custom: map[string]string{"zip_num": "zip", "missing": "nope"}}
	c, _ := m.Contact(profile.Profile{Attrs: profile.Attrs{"e": "a@example.com", "zip": int64(60601)}}, nil, mirrorNow)
	require.Equal(t, map[string]any{"zip_num": int64(60601)}, c.CustomProperties, "absent attributes are left out")
	c, _ = m.Contact(profile.Profile{Attrs: profile.Attrs{"e": "a@example.com"}}, nil, mirrorNow)
	require.Nil(t, c.CustomProperties)
}

func TestContactTextOfNonStrings(t *testing.T) {
	t.Parallel()
	m := Mapping{Email: "e", FirstName: "n", City: "c", State: "s"}
	c, _ := m.Contact(profile.Profile{Attrs: profile.Attrs{"e": "a@example.com", "n": int64(42), "c": true, "s": 1e21}}, nil, mirrorNow)
	require.Equal(t, "42", c.FirstName)
	require.Equal(t, "true", c.City)
	require.Equal(t, "1000000000000000000000", c.State, "numbers never use exponents")
}
