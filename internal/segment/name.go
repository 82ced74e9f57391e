package segment

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

const (
	// maxNameLen is the longest segment name, in code points after trimming.
	maxNameLen = 100
	// maxSlugLen is the longest slug, in bytes (a slug is ASCII).
	maxSlugLen = 64
)

// ValidateName checks a segment name: 1–100 characters after trimming
// surrounding white space, valid UTF-8, printable, no control characters.
// The error says what is wrong. Callers store strings.TrimSpace(name).
func ValidateName(name string) error {
	if !utf8.ValidString(name) {
		return errors.New("segment name is not valid UTF-8")
	}
	name = strings.TrimSpace(name)
	n := utf8.RuneCountInString(name)
	switch {
	case n == 0:
		return errors.New("segment name is empty")
	case n > maxNameLen:
		return fmt.Errorf("segment name is too long: %d characters, at most %d", n, maxNameLen)
	}
	pos := 0
	for _, r := range name {
		pos++
		switch {
		case unicode.IsControl(r):
			return fmt.Errorf("segment name contains a control character (%U) at character %d", r, pos)
		case !printable(r):
			return fmt.Errorf("segment name contains a non-printable character (%U) at character %d", r, pos)
		}
	}
	return nil
}

// printable reports whether r may appear in a segment name: a graphic
// character (letters, marks, numbers, punctuation, symbols, spaces) or a
// zero-width (non-)joiner, which emoji sequences and some scripts need.
// Other format characters, such as bidirectional overrides, are refused.
func printable(r rune) bool {
	return unicode.IsGraphic(r) || r == '\u200c' || r == '\u200d'
}

// Slug returns a tag-safe slug of a segment name: lower-case ASCII letters,
// digits and '-', no leading, trailing or doubled '-', at most 64 characters.
// Accented Latin letters lose their accents (é→e, č→c) and a few letters are
// spelled out (ß→ss, æ→ae, ø→o, ł→l, þ→th); apostrophes are dropped; any
// other run of characters becomes one '-'. A name with nothing left, such as
// one made only of emoji, is an error.
func Slug(name string) (string, error) {
	var b strings.Builder
	dash := false
	for _, r := range norm.NFKD.String(name) {
		if b.Len() > maxSlugLen {
			break
		}
		if unicode.Is(unicode.Mn, r) || r == '\'' || r == '’' {
			continue
		}
		s := foldASCII(r)
		if s == "" {
			dash = b.Len() > 0
			continue
		}
		if dash {
			b.WriteByte('-')
			dash = false
		}
		b.WriteString(s)
	}
	slug := b.String()
	if len(slug) > maxSlugLen {
		slug = slug[:maxSlugLen]
	}
	slug = strings.TrimRight(slug, "-")
	if slug == "" {
		return "", fmt.Errorf("segment name %q has no letters or digits to make a slug from", name)
	}
	return slug, nil
}

// foldASCII returns r as lower-case ASCII letters or digits, or "" when r
// is a separator. r has been NFKD-decomposed, so accents are gone already.
func foldASCII(r rune) string {
	switch {
	case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
		return string(r)
	case r >= 'A' && r <= 'Z':
		return string(r + ('a' - 'A'))
	}
	switch r {
	case 'ß', 'ẞ':
		return "ss"
	case 'æ', 'Æ':
		return "ae"
	case 'œ', 'Œ':
		return "oe"
	case 'ø', 'Ø':
		return "o"
	case 'ł', 'Ł':
		return "l"
	case 'đ', 'Đ', 'ð', 'Ð':
		return "d"
	case 'þ', 'Þ':
		return "th"
	case 'ħ', 'Ħ':
		return "h"
	case 'ŧ', 'Ŧ':
		return "t"
	case 'ı':
		return "i"
	case 'ĸ':
		return "k"
	case 'ŋ', 'Ŋ':
		return "n"
	}
	return ""
}
