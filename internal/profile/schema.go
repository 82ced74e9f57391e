package profile

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Attribute is one attribute of the profile schema.
type Attribute struct {
	Name string `json:"name"`
	// Type is the attribute's type: its pinned type, else the type its
	// values share (integers and decimals make decimal; dates, timestamps
	// and other text make string), else mixed.
	Type Type `json:"type"`
	// Profiles is how many profiles carry the attribute.
	Profiles int `json:"profiles"`
	// Values counts those profiles by the type of their value.
	Values map[Type]int `json:"values"`
	// Pinned is set when the type was pinned at import (import --type).
	Pinned bool `json:"pinned,omitempty"`
}

// Schema is every attribute the stored profiles carry.
type Schema struct {
	// Profiles is how many profiles are stored.
	Profiles int `json:"profiles"`
	// Attributes, sorted by name.
	Attributes []Attribute `json:"attributes"`
}

// NewSchema builds the schema from the stored counts and pins (attribute
// name → pinned type). A pinned attribute no profile carries is listed
// with 0 profiles.
func NewSchema(profiles int, counts []AttrTypeCount, pins map[string]Type) Schema {
	byName := map[string]*Attribute{}
	var names []string
	get := func(name string) *Attribute {
		a, ok := byName[name]
		if !ok {
			a = &Attribute{Name: name, Values: map[Type]int{}}
			byName[name] = a
			names = append(names, name)
		}
		return a
	}
	for _, c := range counts {
		if c.Profiles <= 0 {
			continue
		}
		a := get(c.Name)
		a.Values[c.Type] += c.Profiles
		a.Profiles += c.Profiles
	}
	for name := range pins {
		get(name)
	}
	slices.Sort(names)
	s := Schema{Profiles: profiles, Attributes: make([]Attribute, 0, len(names))}
	for _, name := range names {
		a := byName[name]
		a.Type = mergeTypes(a.Values)
		if t, ok := pins[name]; ok {
			a.Type, a.Pinned = t, true
		}
		s.Attributes = append(s.Attributes, *a)
	}
	return s
}

// mergeTypes is the type of an attribute whose values have these types.
func mergeTypes(values map[Type]int) Type {
	has := func(ts ...Type) bool {
		for t := range values {
			if !slices.Contains(ts, t) {
				return false
			}
		}
		return true
	}
	switch {
	case len(values) == 0:
		return TypeString
	case len(values) == 1:
		for t := range values {
			return t
		}
	case has(TypeInteger, TypeDecimal):
		return TypeDecimal
	case has(TypeString, TypeDate, TypeTimestamp):
		return TypeString
	}
	return TypeMixed
}

// Attribute returns the named attribute when some profile carries it.
func (s Schema) Attribute(name string) (Attribute, bool) {
	i, ok := slices.BinarySearchFunc(s.Attributes, name, func(a Attribute, n string) int { return strings.Compare(a.Name, n) })
	if !ok || s.Attributes[i].Profiles == 0 {
		return Attribute{}, false
	}
	return s.Attributes[i], true
}

// Known reports whether the schema can say anything: false while no
// profile is stored, when every attribute name is as good as another.
func (s Schema) Known() bool { return s.Profiles > 0 }

// Pins returns the pinned types by attribute name.
func (s Schema) Pins() map[string]Type {
	out := map[string]Type{}
	for _, a := range s.Attributes {
		if a.Pinned {
			out[a.Name] = a.Type
		}
	}
	return out
}

// Types returns the type of every attribute some profile carries, mixed
// ones included; the map is what segment rules are compiled against.
func (s Schema) Types() map[string]Type {
	out := make(map[string]Type, len(s.Attributes))
	for _, a := range s.Attributes {
		if a.Profiles > 0 {
			out[a.Name] = a.Type
		}
	}
	return out
}

// Names returns the names of the attributes some profile carries.
func (s Schema) Names() []string {
	var out []string
	for _, a := range s.Attributes {
		if a.Profiles > 0 {
			out = append(out, a.Name)
		}
	}
	return out
}

// ValuesText describes the value types of a, most common first:
// "integer 9,950, string 50".
func (a Attribute) ValuesText() string {
	types := slices.Collect(maps.Keys(a.Values))
	slices.SortFunc(types, func(x, y Type) int {
		return cmp.Or(cmp.Compare(a.Values[y], a.Values[x]), strings.Compare(string(x), string(y)))
	})
	parts := make([]string, len(types))
	for i, t := range types {
		parts[i] = fmt.Sprintf("%s %d", t, a.Values[t])
	}
	return strings.Join(parts, ", ")
}
