package profile_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"segbridge/internal/profile"
)

func TestTextByName(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"postal_code", "zip", "ZIP", "zipCode", "postcode", "PLZ", "phone", "mobilePhone",
		"phone_number", "tel", "Telephone", "billing-postal-code", "fax"} {
		require.True(t, profile.TextByName(name), name)
	}
	for _, name := range []string{"orders", "zipper_size", "hotel_nights", "phone_verified", "has_mobile", "zip_count",
		"telemetry", "id", "lifetime_value"} {
		require.False(t, profile.TextByName(name), name)
	}
}

// TestReadKeepsNumberLookingText: leading zeros, a leading '+' and the
// numbers of postal-code and phone columns stay strings; booleans in
// such a column stay booleans.
func TestReadKeepsNumberLookingText(t *testing.T) {
	t.Parallel()
	rows := readAll(t, "id,postal_code,phone,orders,code,phone_verified\n"+
		"C1,12345,420777123456,7,01234,true\n"+
		"C2,01234,+420 777,8,+5,1\n", csvOpts())
	require.Equal(t, []row{
		{line: 2, id: "C1", attrs: profile.Attrs{"postal_code": "12345", "phone": "420777123456", "orders": int64(7),
			"code": "01234", "phone_verified": true}},
		{line: 3, id: "C2", attrs: profile.Attrs{"postal_code": "01234", "phone": "+420 777", "orders": int64(8),
			"code": "+5", "phone_verified": int64(1)}},
	}, rows)

	rows = readAll(t, `{"id":"C1","zip":12345,"orders":3,"ok":true}`+"\n", jsonlOpts())
	require.Equal(t, []row{{line: 1, id: "C1", attrs: profile.Attrs{"zip": "12345", "orders": int64(3), "ok": true}}}, rows)
}

func TestReadPinnedTypes(t *testing.T) {
	t.Parallel()
	pins := map[string]profile.Type{
		"code": profile.TypeString, "orders": profile.TypeInteger, "ltv": profile.TypeDecimal,
		"vip": profile.TypeBoolean, "born": profile.TypeDate, "seen": profile.TypeTimestamp,
	}
	opts := csvOpts()
	opts.Types = pins
	rows := readAll(t, "id,code,orders,ltv,vip,born,seen\n"+
		"C1,12345,007,3,yes,1990-05-01,2024-01-02T03:04:05Z\n"+
		"C2,true,+5,2.5,0,1990-02-30,2024-01-02\n"+
		"C3,x,many,1,true,,\n", opts)
	require.Equal(t, []row{
		{line: 2, id: "C1", attrs: profile.Attrs{"code": "12345", "orders": int64(7), "ltv": 3.0, "vip": true,
			"born": "1990-05-01", "seen": "2024-01-02T03:04:05Z"}},
		{line: 3, reason: `column "born": "1990-02-30" is not a date (the attribute's type is pinned)`},
		{line: 4, reason: `column "orders": "many" is not an integer (the attribute's type is pinned)`},
	}, rows)

	jopts := jsonlOpts()
	jopts.Types = pins
	rows = readAll(t, `{"id":"C1","code":12345,"orders":"42","ltv":3,"vip":"no","born":"2000-01-01"}`+"\n"+
		`{"id":"C2","orders":1.5}`+"\n", jopts)
	require.Equal(t, []row{
		{line: 1, id: "C1", attrs: profile.Attrs{"code": "12345", "orders": int64(42), "ltv": 3.0, "vip": false, "born": "2000-01-01"}},
		{line: 2, reason: `attribute "orders": "1.5" is not an integer (the attribute's type is pinned)`},
	}, rows)

	bad := csvOpts()
	bad.Types = map[string]profile.Type{"x": "money"}
	_, err := profile.NewReader(nil, bad)
	require.ErrorContains(t, err, `ReadOptions.Types["x"]: unknown type "money"`)
}
