package export

import (
	"net/mail"
	"testing"

	"github.com/stretchr/testify/require"

	"segbridge/internal/omnisend"
)

func TestValidEmail(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{"a@b.co", "jane.doe+news@example.com", "o'brien@example.ie", "x_y-z@sub.example-host.org",
		"user@xn--p1ai.xn--p1ai", "a!#$%&'*+/=?^_`{|}~-@example.com", "1@2.com"} {
		require.True(t, validEmail(ok), ok)
	}
	for _, bad := range []string{"", "@example.com", "a@", "a@b", "a@.com", "a@b..com", "a@b.com.", ".a@b.com", "a.@b.com",
		"a..b@c.com", "a@-b.com", "a@b-.com", "a@1.2.3.4", "a@[1.2.3.4]", `"a b"@c.com`, "a b@c.com", "a@b_c.com",
		"a(comment)@b.com", "a@b.com>", "jána@example.com", "a@exämple.com",
		string(make([]byte, 65)) + "@b.com"} {
		require.False(t, validEmail(bad), bad)
	}
}

// FuzzValidEmail checks that every address validEmail accepts is one that
// net/mail (and so the sandbox's check) accepts unchanged.
func FuzzValidEmail(f *testing.F) {
	for _, s := range []string{"a@b.co", "x+y@sub.example.com", "a..b@c.d", "a@b", `"q"@x.com`, "é@x.com"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		s = omnisend.NormalizeEmail(s)
		if !validEmail(s) {
			return
		}
		a, err := mail.ParseAddress(s)
		require.NoError(t, err, "%q", s)
		require.Equal(t, s, a.Address)
	})
}

func TestPhone(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"+420601123456": "+420601123456", "+420 601 123 456": "+420601123456", "00420 601-123-456": "+420601123456",
		"+1 (415) 555-0123": "+14155550123", "+44 20.7946.0958": "+442079460958", "+1/415/5550123": "+14155550123",
	} {
		got, ok := phone(in)
		require.True(t, ok, in)
		require.Equal(t, want, got, in)
	}
	for _, bad := range []any{"601123456", "+0601123456", "+12345", "+1234567890123456", "+420 601 123 456 ext 12",
		"+420+601", "", int64(420601123456), 420601123456.0, true, "(+420) 601"} {
		_, ok := phone(bad)
		require.False(t, ok, "%#v", bad)
	}
}

func TestBirthdate(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"1990-04-01": "1990-04-01", "2000-02-29": "2000-02-29",
		"1990-04-01T00:00:00Z": "1990-04-01", "1990-04-01 12:00:00": "1990-04-01", " 1985-12-31 ": "1985-12-31"} {
		got, ok := birthdate(in)
		require.True(t, ok, in)
		require.Equal(t, want, got)
	}
	for _, bad := range []any{"1990-02-30", "1900-02-29", "1990-13-01", "1990-4-1", "01.04.1990", "04/01/1990", "1990-04-01x",
		"1700-01-01", int64(19900401), "", "abcd-ef-gh"} {
		_, ok := birthdate(bad)
		require.False(t, ok, "%#v", bad)
	}
}

func TestGender(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"m": "m", "M": "m", "Male": "m", " MAN ": "m", "masculine": "m",
		"f": "f", "F": "f", "female": "f", "Woman": "f", "FEMININE": "f"} {
		got, ok := gender(in)
		require.True(t, ok, in)
		require.Equal(t, want, got)
	}
	for _, bad := range []any{"x", "other", "non-binary", "", int64(1), true, "mf"} {
		_, ok := gender(bad)
		require.False(t, ok, "%#v", bad)
	}
}

func TestParseStatus(t *testing.T) {
	t.Parallel()
	for in, want := range map[any]omnisend.ChannelStatus{
		"subscribed": omnisend.StatusSubscribed, "Subscribed": omnisend.StatusSubscribed, "opted in": omnisend.StatusSubscribed,
		"Opt-In": omnisend.StatusSubscribed, "OPT_IN": omnisend.StatusSubscribed, "yes": omnisend.StatusSubscribed,
		true: omnisend.StatusSubscribed, int64(1): omnisend.StatusSubscribed, 1.0: omnisend.StatusSubscribed,
		"unsubscribed": omnisend.StatusUnsubscribed, "Opted out": omnisend.StatusUnsubscribed, "opt-out": omnisend.StatusUnsubscribed,
		"nonSubscribed": omnisend.StatusNonSubscribed, "non-subscribed": omnisend.StatusNonSubscribed,
		"not subscribed": omnisend.StatusNonSubscribed, "no": omnisend.StatusNonSubscribed, false: omnisend.StatusNonSubscribed,
		int64(0): omnisend.StatusNonSubscribed,
	} {
		got, ok := ParseStatus(in)
		require.True(t, ok, "%#v", in)
		require.Equal(t, want, got, "%#v", in)
	}
	for _, bad := range []any{"maybe", "", "pending", int64(2), "a very long value that is certainly not a status", nil} {
		_, ok := ParseStatus(bad)
		require.False(t, ok, "%#v", bad)
	}
}

func TestCountryCodesAreAllAssigned(t *testing.T) {
	t.Parallel()
	n := 0
	for i := 0; i+2 <= len(isoCountries); i += 3 {
		code := isoCountries[i : i+2]
		got, _, ok := country(code)
		require.True(t, ok, code)
		require.Equal(t, code, got)
		n++
	}
	require.Equal(t, 249, n, "ISO 3166-1 assigns 249 alpha-2 codes")
	for _, bad := range []string{"XX", "ZZ", "EU", "A1", "  "} {
		_, _, ok := country(bad)
		require.False(t, ok, bad)
	}
}

func TestCountryCodesSorted(t *testing.T) {
	t.Parallel()
	for i := 3; i+2 <= len(isoCountries); i += 3 {
		require.Less(t, isoCountries[i-3:i-1], isoCountries[i:i+2])
		require.Equal(t, byte(' '), isoCountries[i-1])
	}
}
