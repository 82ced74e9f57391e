package profile

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"unicode"
)

// UnknownAttributeError says that no stored profile carries an attribute a
// rule or a mapping names, with the closest names that exist.
type UnknownAttributeError struct {
	Name string
	// Suggestions are the closest existing names, best first (at most 3).
	Suggestions []string
	// Known lists some existing names when none is close (at most 8);
	// More is set when there are others.
	Known []string
	More  bool
}

// Error says which name is unknown and what it might have meant, e.g.
// `no profile has the attribute "e_mail" (did you mean email?)`.
func (e *UnknownAttributeError) Error() string {
	msg := fmt.Sprintf("no profile has the attribute %q", e.Name)
	switch {
	case len(e.Suggestions) > 0:
		return msg + " (did you mean " + orList(e.Suggestions) + "?)"
	case len(e.Known) > 0 && e.More:
		return msg + " (profiles have " + strings.Join(e.Known, ", ") + ", …)"
	case len(e.Known) > 0:
		return msg + " (profiles have " + strings.Join(e.Known, ", ") + ")"
	}
	return msg
}

func orList(names []string) string {
	if len(names) == 1 {
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// CheckAttribute returns nil when some profile carries name, or when the
// schema knows nothing yet (no profiles: every name is as good as another);
// otherwise an *UnknownAttributeError with the closest existing names.
func (s Schema) CheckAttribute(name string) error {
	if !s.Known() {
		return nil
	}
	if _, ok := s.Attribute(name); ok {
		return nil
	}
	names := s.Names()
	e := &UnknownAttributeError{Name: name, Suggestions: Closest(name, names, 3)}
	if len(e.Suggestions) == 0 {
		e.Known, e.More = names[:min(len(names), 8)], len(names) > 8
	}
	return e
}

// Closest returns up to n of names that look like name, closest first:
// the same ignoring letter case and separators, or within a small edit
// distance (about one edit per three characters); failing those, names
// that contain it.
func Closest(name string, names []string, n int) []string {
	type cand struct {
		name string
		dist int
	}
	key := foldName(name)
	limit := max(1, len([]rune(key))/3)
	var near, containing []cand
	for _, c := range names {
		fc := foldName(c)
		switch d := editDistance(key, fc); {
		case d <= limit:
			near = append(near, cand{c, d})
		case len(key) >= 3 && strings.Contains(fc, key):
			containing = append(containing, cand{c, len(fc) - len(key)})
		}
	}
	if len(near) == 0 {
		near = containing
	}
	slices.SortFunc(near, func(a, b cand) int { return cmp.Or(cmp.Compare(a.dist, b.dist), strings.Compare(a.name, b.name)) })
	out := make([]string, 0, min(n, len(near)))
	for _, c := range near[:min(n, len(near))] {
		out = append(out, c.name)
	}
	return out
}

// foldName lower-cases s and drops separators, so "E-Mail", "e_mail" and
// "email" compare equal.
func foldName(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '_' || r == '-' || r == ' ' || r == '.' {
			return -1
		}
		return unicode.ToLower(r)
	}, s)
}

// editDistance is the optimal string alignment distance between a and b:
// insertions, deletions, substitutions and swaps of neighbours.
func editDistance(a, b string) int {
	x, y := []rune(a), []rune(b)
	prev2, prev, cur := make([]int, len(y)+1), make([]int, len(y)+1), make([]int, len(y)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(x); i++ {
		cur[0] = i
		for j := 1; j <= len(y); j++ {
			cost := 1
			if x[i-1] == y[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && x[i-1] == y[j-2] && x[i-2] == y[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(y)]
}
