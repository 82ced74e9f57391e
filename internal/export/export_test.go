package export

import (
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func validExport() Export {
	return Export{Name: "Weekly VIPs", ConnectionID: 1, Segments: []int64{3, 1}, Mapping: Mapping{Email: "email"}, Active: true}.WithDefaults()
}

func TestExportDefaults(t *testing.T) {
	t.Parallel()
	e := Export{Name: "  Weekly  "}.WithDefaults()
	require.Equal(t, "Weekly", e.Name)
	require.Equal(t, "segbridge", e.TagPrefix)
	require.Equal(t, LeaveUntag, e.Leave)
	require.Equal(t, Schedule{Kind: ScheduleRefresh}, e.Schedule)
	require.Equal(t, 1_000_000, e.ProfileCap)
	require.Equal(t, ConsentKeep, e.ConsentPolicy)
	require.NoError(t, validExport().Validate())
}

// TestConsentPolicyNeedsADatedMapping: opt-ins and mirror send a status
// with its date, so they need a consent mapping with a date attribute;
// keep takes any mapping (and does not use it).
func TestConsentPolicyNeedsADatedMapping(t *testing.T) {
	t.Parallel()
	for _, p := range []ConsentPolicy{ConsentOptIns, ConsentMirror} {
		e := validExport()
		e.ConsentPolicy = p
		require.ErrorContains(t, e.Validate(), "map the consent attribute and its date attribute", p)
		e.Mapping.Consent = &ConsentMapping{Attribute: "s"}
		require.ErrorContains(t, e.Validate(), "map the consent date attribute too", p)
		e.Mapping.Consent.DateAttribute = "d"
		require.NoError(t, e.Validate())
		e.ConsentPolicy = ConsentKeep
		require.NoError(t, e.Validate())
	}
	_, err := ParseConsentPolicy("opt-in")
	require.ErrorContains(t, err, `"opt-in": want "keep" (the default), "opt-ins" or "mirror"`)
}

func TestExportValidateNamesTheField(t *testing.T) {
	t.Parallel()
	for field, change := range map[string]func(*Export){
		"name":                      func(e *Export) { e.Name = "" },
		"segments":                  func(e *Export) { e.Segments = nil },
		"mapping.email":             func(e *Export) { e.Mapping.Email = " " },
		"mapping.phone":             func(e *Export) { e.Mapping.Phone = " phone" },
		"mapping.custom":            func(e *Export) { e.Mapping.Custom = map[string]string{"bad name": "x"} },
		"mapping.custom.ltv":        func(e *Export) { e.Mapping.Custom = map[string]string{"ltv": ""} },
		"mapping.consent.attribute": func(e *Export) { e.Mapping.Consent = &ConsentMapping{DateAttribute: "d"} },
		"tag_prefix":                func(e *Export) { e.TagPrefix = "seg:bridge" },
		"leave":                     func(e *Export) { e.Leave = "delete" },
		"schedule":                  func(e *Export) { e.Schedule = Schedule{Kind: "hourly"} },
		"schedule.cron":             func(e *Export) { e.Schedule = Schedule{Kind: ScheduleCron, Cron: "nope", TimeZone: "UTC"} },
		"profile_cap":               func(e *Export) { e.ProfileCap = -1 },
		"consent_policy":            func(e *Export) { e.ConsentPolicy = "sometimes" },
	} {
		e := validExport()
		change(&e)
		err := e.Validate()
		var fe *FieldError
		require.ErrorAs(t, err, &fe, field)
		require.Equal(t, field, fe.Field, "%v", err)
		require.True(t, strings.HasPrefix(err.Error(), field+": "), err.Error())
		require.True(t, IsFieldError(err))
	}
}

func TestExportSegmentLimits(t *testing.T) {
	t.Parallel()
	e := validExport()
	e.Segments = []int64{1, 2, 1}
	require.ErrorContains(t, e.Validate(), "listed twice")
	e.Segments = make([]int64, MaxSegments+1)
	for i := range e.Segments {
		e.Segments[i] = int64(i + 1)
	}
	require.ErrorContains(t, e.Validate(), "at most 99")
	e.Segments = e.Segments[:MaxSegments]
	require.NoError(t, e.Validate(), "99 segments and the source tag fit Omnisend's 100 tags")
}

func TestDetached(t *testing.T) {
	t.Parallel()
	e := validExport()
	require.False(t, e.Detached())
	require.Empty(t, e.DetachedText())
	e.ConnectionID, e.ConnectionName = 0, "Main shop"
	require.True(t, e.Detached())
	require.Equal(t, `connection "Main shop" was removed`, e.DetachedText())
	e.DetachedReason = "the API key was revoked"
	require.Equal(t, "the API key was revoked", e.DetachedText())
	require.NoError(t, e.Validate(), "a detached export keeps valid settings")
}

func TestMappingSet(t *testing.T) {
	t.Parallel()
	var m Mapping
	for _, f := range FieldNames() {
		require.NoError(t, m.Set(f, "attr_"+f))
		require.Equal(t, "attr_"+f, m.Get(f))
	}
	require.NoError(t, m.Set("Country_Region", "land"))
	require.Equal(t, "land", m.Country)
	require.NoError(t, m.Set("phone", ""))
	require.Empty(t, m.Phone, "an empty attribute removes the mapping")
	require.ErrorContains(t, m.Set("shoe_size", "x"), `unknown field "shoe_size"`)

	m.SetCustom("ltv", "lifetime_value")
	c := m.Clone()
	m.SetCustom("ltv", "")
	require.Empty(t, m.Custom)
	require.Equal(t, "lifetime_value", c.Custom["ltv"], "Clone is deep")

	big := Mapping{Email: "e", Custom: map[string]string{}}
	for i := range MaxCustomProperties + 1 {
		big.Custom["p"+strings.Repeat("x", i%5)+string(rune('a'+i%26))+strings.Repeat("1", i/26)] = "a"
	}
	require.ErrorContains(t, big.Validate(), "at most 200")
	require.Error(t, Mapping{Email: "e", Custom: map[string]string{strings.Repeat("a", 129): "x"}}.Validate())
	require.NoError(t, Mapping{Email: "e", Custom: map[string]string{strings.Repeat("a", 128): "x"}}.Validate())
}

func TestTags(t *testing.T) {
	t.Parallel()
	require.Equal(t, []string{"source: segbridge", "acme: vip-buyers", "acme: lapsed"}, Tags("acme", []string{"vip-buyers", "lapsed"}))
	require.Equal(t, []string{"source: segbridge"}, Tags("acme", nil))
	for _, ok := range []string{"segbridge", "Acme CDP", "acme_1", "a-b", strings.Repeat("x", 32)} {
		require.NoError(t, ValidateTagPrefix(ok), ok)
	}
	for _, bad := range []string{"", " acme", "acme ", "a:b", "ácme", "source", "Source", strings.Repeat("x", 33), "a,b"} {
		require.Error(t, ValidateTagPrefix(bad), bad)
	}
	longest := SegmentTag(strings.Repeat("x", 32), strings.Repeat("s", 64))
	require.LessOrEqual(t, len(longest), 128, "Omnisend's tag limit")
}

func TestMappingAttributes(t *testing.T) {
	m := Mapping{Email: "mail", FirstName: "first", City: "first", Custom: map[string]string{"ltv": "ltv"},
		Consent: &ConsentMapping{Attribute: "optin", DateAttribute: "optin_at"}}
	got := m.Attributes()
	slices.Sort(got)
	require.Equal(t, []string{"first", "ltv", "mail", OmnisendStatusAttribute, OmnisendStatusAtAttribute, "optin", "optin_at"}, got,
		"each read attribute once; consent also reads Omnisend's unsubscribes")
	require.Equal(t, []string{"email"}, Mapping{Email: "email"}.Attributes())
}
