package profile

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Type is the type of an attribute's values as segbridge sees them.
type Type string

// The attribute types. Dates and timestamps are strings in Attrs (and in
// rules); the schema tells them apart by their form.
const (
	TypeString    Type = "string"
	TypeInteger   Type = "integer"
	TypeDecimal   Type = "decimal"
	TypeBoolean   Type = "boolean"
	TypeDate      Type = "date"      // YYYY-MM-DD
	TypeTimestamp Type = "timestamp" // RFC 3339, or YYYY-MM-DD HH:MM:SS (UTC)
	// TypeMixed is an attribute whose profiles hold values of types that do
	// not merge (numbers and text, say). It is never a value's type.
	TypeMixed Type = "mixed"
)

// Types lists the value types, in display order.
func Types() []Type {
	return []Type{TypeString, TypeInteger, TypeDecimal, TypeBoolean, TypeDate, TypeTimestamp}
}

// ParseType reads a type name: string, integer, decimal, boolean, date or
// timestamp (also text, int, number, float, double, bool, datetime).
func ParseType(s string) (Type, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "string", "text", "str":
		return TypeString, nil
	case "integer", "int":
		return TypeInteger, nil
	case "decimal", "number", "float", "double":
		return TypeDecimal, nil
	case "boolean", "bool":
		return TypeBoolean, nil
	case "date":
		return TypeDate, nil
	case "timestamp", "datetime":
		return TypeTimestamp, nil
	}
	return "", fmt.Errorf("unknown type %q (want string, integer, decimal, boolean, date or timestamp)", s)
}

// ParsePin reads "NAME=TYPE", as given to import --type.
func ParsePin(s string) (name string, t Type, err error) {
	name, typ, ok := strings.Cut(s, "=")
	name = strings.TrimSpace(name)
	if !ok || name == "" {
		return "", "", fmt.Errorf("%q: want ATTRIBUTE=TYPE, such as postal_code=string", s)
	}
	t, err = ParseType(typ)
	if err != nil {
		return "", "", fmt.Errorf("%q: %w", s, err)
	}
	return name, t, nil
}

// TypeOf returns the type of one attribute value. It depends only on what
// survives storage: a whole float64 that the canonical JSON writes as an
// integer literal is an integer, as it is when read back, so counts kept
// from values being written match counts taken from stored profiles.
func TypeOf(v any) Type {
	switch v := v.(type) {
	case bool:
		return TypeBoolean
	case int64, int:
		return TypeInteger
	case float64:
		if v == math.Trunc(v) && v >= -(1<<63) && v < 1<<63 {
			return TypeInteger
		}
		return TypeDecimal
	case string:
		return textType(v)
	}
	return TypeString
}

// textType tells dates and timestamps from other strings.
func textType(s string) Type {
	if len(s) < 10 || !isDate(s[:10]) {
		return TypeString
	}
	if len(s) == 10 {
		return TypeDate
	}
	if s[10] == 'T' || s[10] == ' ' {
		if _, ok := ParseTimestamp(s); ok {
			return TypeTimestamp
		}
	}
	return TypeString
}

// isDate reports whether s is a real calendar date written YYYY-MM-DD.
func isDate(s string) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	for _, i := range []int{0, 1, 2, 3, 5, 6, 8, 9} {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	y := int(s[0]-'0')*1000 + int(s[1]-'0')*100 + int(s[2]-'0')*10 + int(s[3]-'0')
	m := int(s[5]-'0')*10 + int(s[6]-'0')
	d := int(s[8]-'0')*10 + int(s[9]-'0')
	if m < 1 || m > 12 || d < 1 {
		return false
	}
	return d <= time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// timestampLayouts are the timestamp forms segbridge reads (the export's
// consent dates take the same).
var timestampLayouts = []string{time.RFC3339Nano, "2006-01-02 15:04:05", "2006-01-02T15:04:05"}

// ParseTimestamp reads a timestamp: RFC 3339, or "YYYY-MM-DD HH:MM:SS" and
// "YYYY-MM-DDTHH:MM:SS" in UTC.
func ParseTimestamp(s string) (time.Time, bool) {
	for _, layout := range timestampLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// AttrType is one attribute with one value type: the key of the counts a
// store keeps.
type AttrType struct {
	Name string
	Type Type
}

// TypeCounts counts profiles per attribute and value type. A store keeps
// them current as profiles are written (see Count). The zero value is
// ready to use.
type TypeCounts struct {
	byName map[string]*[len(valueTypes)]int
	// lastNames and lastCounts resolve the names of the last shape
	// counted, so the shapes an import shares are counted without a map
	// lookup per attribute.
	lastNames  []string
	lastCounts []*[len(valueTypes)]int
}

// valueTypes are the types a value can have, indexed as valueType returns.
var valueTypes = [...]Type{TypeString, TypeInteger, TypeDecimal, TypeBoolean, TypeDate, TypeTimestamp}

// valueType is the index in valueTypes of TypeOf(v).
func valueType(v any) int {
	switch TypeOf(v) {
	case TypeInteger:
		return 1
	case TypeDecimal:
		return 2
	case TypeBoolean:
		return 3
	case TypeDate:
		return 4
	case TypeTimestamp:
		return 5
	}
	return 0
}

// Count adds n (1 for a profile written, -1 for one replaced) for each
// attribute of a.
func (c *TypeCounts) Count(a Attrs, n int) {
	if c.byName == nil {
		c.byName = make(map[string]*[len(valueTypes)]int, len(a))
	}
	for name, v := range a {
		k := c.byName[name]
		if k == nil {
			k = new([len(valueTypes)]int)
			c.byName[name] = k
		}
		k[valueType(v)] += n
	}
}

// CountShape adds n for each attribute of an encoded profile's shape.
func (c *TypeCounts) CountShape(s Shape, n int) {
	if len(s.Names) == 0 {
		return
	}
	if len(c.lastNames) != len(s.Names) || &c.lastNames[0] != &s.Names[0] {
		if c.byName == nil {
			c.byName = map[string]*[len(valueTypes)]int{}
		}
		c.lastNames, c.lastCounts = s.Names, make([]*[len(valueTypes)]int, len(s.Names))
		for i, name := range s.Names {
			k := c.byName[name]
			if k == nil {
				k = new([len(valueTypes)]int)
				c.byName[name] = k
			}
			c.lastCounts[i] = k
		}
	}
	for i, t := range s.types {
		c.lastCounts[i][t] += n
	}
}

// Sorted returns the non-zero counts by name, then type: the order in
// which stores update them (one order, so concurrent writers never
// deadlock).
func (c TypeCounts) Sorted() []AttrTypeCount {
	out := make([]AttrTypeCount, 0, len(c.byName))
	for name, k := range c.byName {
		for i, n := range k {
			if n != 0 {
				out = append(out, AttrTypeCount{AttrType: AttrType{Name: name, Type: valueTypes[i]}, Profiles: n})
			}
		}
	}
	slices.SortFunc(out, func(a, b AttrTypeCount) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(string(a.Type), string(b.Type)))
	})
	return out
}

// AttrTypeCount is one row of TypeCounts.
type AttrTypeCount struct {
	AttrType
	Profiles int
}
