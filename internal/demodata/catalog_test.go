package demodata

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestCatalogNamesFoldToEmailSafeASCII(t *testing.T) {
	t.Parallel()
	cat := newCatalog()
	for _, co := range cat.countries {
		require.Len(t, co.code, 2)
		require.NotEmpty(t, co.cities, co.code)
		require.NotEmpty(t, co.streets, co.code)
		l := co.locale
		require.NotNil(t, l, co.code)
		if l.lastFemale != nil {
			require.Len(t, l.lastFemale, len(l.lastMale), co.code)
		}
		for _, list := range [][]name{l.maleFirst, l.femaleFirst, l.lastMale, l.lastFemale} {
			for _, n := range list {
				require.True(t, isEmailSafe(n.ascii), "%s: %q folds to %q", co.code, n.display, n.ascii)
			}
		}
		for _, ci := range co.cities {
			require.Equal(t, co.code == "US" || co.code == "CA", ci.area != "", "%s area code", ci.name)
			if co.mobile == nil {
				require.NotEmpty(t, ci.area, ci.name)
			}
		}
	}
}

func TestFormatHelpers(t *testing.T) {
	t.Parallel()
	for _, sec := range []int64{0, 951782400, 1767225599, 4102444800, 1709633472} {
		ts := time.Unix(sec, 0).UTC()
		require.Equal(t, ts.Format(time.RFC3339), string(appendTimestamp(nil, sec)))
		require.Equal(t, ts.Format(time.DateOnly), string(appendDate(nil, sec)))
	}
	require.Equal(t, "0.00", string(appendCents(nil, 0)))
	require.Equal(t, "0.05", string(appendCents(nil, 5)))
	require.Equal(t, "1234.50", string(appendCents(nil, 123450)))
	require.Equal(t, "C0000001", string(appendID(nil, 1)))
	require.Equal(t, "C1234567", string(appendID(nil, 1234567)))
	require.Equal(t, "C50000000", string(appendID(nil, 50_000_000)))

	const e = "jan.novak12@mail.example.com"
	require.Equal(t, "Jan.Novak12@Mail.example.com", string(mixCase([]byte(e))))
	require.Equal(t, "jan.novak12mail.example.com", string(spoilEmail([]byte(e), 0)))
	require.Equal(t, "jan novak12@mail.example.com", string(spoilEmail([]byte(e), 1)))
	require.Equal(t, "jnovak12 @example.com", string(spoilEmail([]byte("jnovak12@example.com"), 1)))
	require.Equal(t, "jan..novak12@mail.example.com", string(spoilEmail([]byte(e), 2)))
	require.Equal(t, "jnovak12@example..com", string(spoilEmail([]byte("jnovak12@example.com"), 2)))
}

func TestEncodeQuoting(t *testing.T) {
	t.Parallel()
	require.Equal(t, `plain`, string(appendCSVField(nil, []byte("plain"))))
	require.Equal(t, `"12 Main Street, Apt 4"`, string(appendCSVField(nil, []byte("12 Main Street, Apt 4"))))
	require.Equal(t, `"say ""hi"""`, string(appendCSVField(nil, []byte(`say "hi"`))))
	require.Equal(t, `"a\"b\\c\u000a\u0001é"`, string(appendJSONString(nil, []byte("a\"b\\c\n\x01é"))))
}
