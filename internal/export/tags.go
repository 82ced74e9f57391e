package export

import (
	"fmt"
	"strings"
)

// Tag format. Every exported contact gets SourceTag; each segment of the
// export that the profile is in adds "<prefix>: <segment slug>", for example
// "segbridge: vip-buyers". Slugs are lower-case ASCII letters, digits and
// '-' (at most 64), prefixes at most 32 of [A-Za-z0-9 _-], so a tag is at
// most 98 characters of the set Omnisend's own SDK lets through plus ':'
// (which Omnisend's source tags use), well under its 128-character limit.
const (
	// SourceTag marks every contact segbridge has exported. It is never
	// removed by a run.
	SourceTag = "source: segbridge"
	// tagSeparator joins prefix and slug.
	tagSeparator = ": "
	// maxTagPrefix is the longest tag prefix.
	maxTagPrefix = 32
)

// SegmentTag is the tag of one segment: prefix + ": " + slug.
func SegmentTag(prefix, slug string) string { return prefix + tagSeparator + slug }

// Tags returns the tags of a contact that is in the segments with the given
// slugs: SourceTag first, then one SegmentTag per slug, in the given order.
func Tags(prefix string, slugs []string) []string {
	out := make([]string, 0, len(slugs)+1)
	out = append(out, SourceTag)
	for _, s := range slugs {
		out = append(out, SegmentTag(prefix, s))
	}
	return out
}

// ValidateTagPrefix checks a tag prefix: 1-32 characters of letters, digits,
// space, '_' and '-', not starting or ending with a space, and not "source"
// (which would make segment tags look like, and on leaving remove, the
// source tags Omnisend and other integrations set, such as "source: shopify").
func ValidateTagPrefix(p string) error {
	fe := func(msg string) error { return &FieldError{Field: "tag_prefix", Msg: msg} }
	switch {
	case p == "":
		return fe("empty")
	case len(p) > maxTagPrefix:
		return fe(fmt.Sprintf("%q is too long: at most %d characters", p, maxTagPrefix))
	case strings.TrimSpace(p) != p:
		return fe(fmt.Sprintf("%q starts or ends with a space", p))
	case strings.EqualFold(p, "source"):
		return fe(`"source" is reserved for Omnisend's source tags`)
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == ' ' || c == '_' || c == '-') {
			return fe(fmt.Sprintf("%q: use only letters, digits, space, _ and - (found %q)", p, rune(c)))
		}
	}
	return nil
}
