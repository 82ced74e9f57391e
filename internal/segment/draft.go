package segment

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Draft is a checked segment definition, ready to store.
type Draft struct {
	Name      string
	Slug      string
	Kind      Kind
	Rule      string
	StaticIDs []string
}

// NewRuleDraft checks name and compiles rule.
func NewRuleDraft(name, rule string) (Draft, error) {
	d, err := newDraft(name)
	if err != nil {
		return Draft{}, err
	}
	if _, err := Compile(rule); err != nil {
		return Draft{}, err
	}
	d.Kind, d.Rule = KindRule, rule
	return d, nil
}

// NewStaticDraft checks name and takes the listed profile ids (sorted,
// repeats removed; at least one).
func NewStaticDraft(name string, ids []string) (Draft, error) {
	d, err := newDraft(name)
	if err != nil {
		return Draft{}, err
	}
	ids = slices.Clone(ids)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if len(ids) == 0 {
		return Draft{}, errors.New("a static segment needs at least one profile id")
	}
	d.Kind, d.StaticIDs = KindStatic, ids
	return d, nil
}

func newDraft(name string) (Draft, error) {
	name = strings.TrimSpace(name)
	if err := ValidateName(name); err != nil {
		return Draft{}, err
	}
	slug, err := Slug(name)
	if err != nil {
		return Draft{}, err
	}
	return Draft{Name: name, Slug: slug}, nil
}

// ReadIDs reads a file of profile ids: one per line, surrounding space
// trimmed, blank lines and lines starting with '#' skipped.
func ReadIDs(r io.Reader) ([]string, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var ids []string
	for line := 1; sc.Scan(); line++ {
		id := strings.TrimSpace(strings.TrimPrefix(sc.Text(), "\uFEFF"))
		if id == "" || strings.HasPrefix(id, "#") {
			continue
		}
		if strings.ContainsAny(id, ",;\t") {
			return nil, fmt.Errorf("line %d: %q: one id per line expected (found a separator)", line, id)
		}
		ids = append(ids, id)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read ids: %w", err)
	}
	return ids, nil
}
