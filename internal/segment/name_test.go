package segment

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSlug(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"plain", "VIP customers", "vip-customers"},
		{"czech accents", "Zákazníci z Čech – věrní", "zakaznici-z-cech-verni"},
		{"french", "Clients fidèles à Montréal", "clients-fideles-a-montreal"},
		{"german sharp s", "Große Bestellungen", "grosse-bestellungen"},
		{"capital sharp s", "GROẞE", "grosse"},
		{"nordic and polish letters", "Øresund Æble Łódź Þór", "oresund-aeble-lodz-thor"},
		{"ligature and fullwidth", "ﬁnance Ａ１", "finance-a1"},
		{"surrounding and repeated separators", "  --Hello,,   World!!--  ", "hello-world"},
		{"apostrophes dropped", "Women's & Men’s", "womens-mens"},
		{"punctuation", "a/b.c_d:e+f", "a-b-c-d-e-f"},
		{"digits kept", "Q3 2026 buyers", "q3-2026-buyers"},
		{"emoji between words", "Big 🎉 spenders", "big-spenders"},
		{"non-latin script dropped", "Клиенты VIP", "vip"},
		{"long name truncated", strings.Repeat("abcdefghi ", 10), "abcdefghi-abcdefghi-abcdefghi-abcdefghi-abcdefghi-abcdefghi-abcd"},
		{"no trailing dash after truncation", strings.Repeat("a", 63) + " b", strings.Repeat("a", 63)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Slug(tt.in)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
			require.LessOrEqual(t, len(got), maxSlugLen)
		})
	}
}

func TestSlugErrors(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"", "   ", "🎉🎉", "---", "Москва", "東京"} {
		t.Run(in, func(t *testing.T) {
			t.Parallel()
			got, err := Slug(in)
			require.ErrorContains(t, err, "no letters or digits")
			require.Empty(t, got)
		})
	}
}

func TestValidateName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		wantErr string // "" for valid
	}{
		{"plain", "VIP customers", ""},
		{"accents and emoji", "Věrní zákazníci 🎉", ""},
		{"emoji zwj sequence", "Family 👨‍👩‍👧", ""},
		{"surrounding space trimmed", "  VIP  ", ""},
		{"no-break space inside", "VIP\u00a0customers", ""},
		{"exactly 100 characters", strings.Repeat("é", 100), ""},
		{"100 after trimming", " " + strings.Repeat("a", 100) + "\n", ""},
		{"empty", "", "segment name is empty"},
		{"blank", " \t\n ", "segment name is empty"},
		{"too long", strings.Repeat("é", 101), "segment name is too long: 101 characters, at most 100"},
		{"newline inside", "VIP\ncustomers", "control character (U+000A) at character 4"},
		{"escape", "VIP\x1b[31m", "control character (U+001B) at character 4"},
		{"bidi override", "abc\u202e", "non-printable character (U+202E) at character 4"},
		{"zero width space", "a\u200bb", "non-printable character (U+200B) at character 2"},
		{"invalid UTF-8", "VIP \xff", "not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := ValidateName(tt.in)
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tt.wantErr)
		})
	}
}
