package profile

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"
)

// Encoder writes canonical attribute JSON: exactly what encoding/json's
// Marshal writes for the map (keys sorted, HTML-safe escaping, its number
// format), so stored hashes stay valid, but without reflection, and
// without sorting the keys again for a profile whose attribute names are
// those of a recent one (an import's rows mostly share them). Not safe for
// concurrent use; the zero value is ready.
type Encoder struct {
	// orders holds, by count, the sorted names of the last attribute set
	// of that size encoded.
	orders map[int][]string
}

// Shape is the attribute names of an encoded profile, sorted, and each
// one's value type: what the schema counts need (TypeCounts.CountShape).
// Names may be shared with other shapes; do not modify it.
type Shape struct {
	Names []string
	types []uint8 // index in valueTypes
}

// Encode returns a's canonical JSON and its shape.
func (e *Encoder) Encode(a Attrs) ([]byte, Shape, error) {
	names := e.order(a)
	shape := Shape{Names: names, types: make([]uint8, len(names))}
	dst := make([]byte, 0, 32*len(a)+2)
	dst = append(dst, '{')
	for i, k := range names {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, k)
		dst = append(dst, ':')
		v := a[k]
		switch v := v.(type) {
		case string:
			dst = appendJSONString(dst, v)
		case int64:
			dst = strconv.AppendInt(dst, v, 10)
		case bool:
			dst = strconv.AppendBool(dst, v)
		case float64:
			if math.IsInf(v, 0) || math.IsNaN(v) {
				return nil, Shape{}, fmt.Errorf("attribute %q: unsupported value %v", k, v)
			}
			dst = appendJSONFloat(dst, v)
		case nil:
			dst = append(dst, "null"...)
		default:
			b, err := marshalAttrs(a)
			if err != nil {
				return nil, Shape{}, err
			}
			return b, shapeOf(a, names), nil
		}
		shape.types[i] = uint8(valueType(v))
	}
	return append(dst, '}'), shape, nil
}

// order returns a's names sorted, reusing the cached order of the last
// set of as many names when a has exactly those.
func (e *Encoder) order(a Attrs) []string {
	if cached, ok := e.orders[len(a)]; ok {
		same := true
		for _, k := range cached {
			if _, ok := a[k]; !ok {
				same = false
				break
			}
		}
		if same {
			return cached
		}
	}
	names := make([]string, 0, len(a))
	for k := range a {
		names = append(names, k)
	}
	slices.Sort(names)
	if e.orders == nil {
		e.orders = map[int][]string{}
	}
	e.orders[len(a)] = names
	return names
}

func shapeOf(a Attrs, names []string) Shape {
	s := Shape{Names: names, types: make([]uint8, len(names))}
	for i, k := range names {
		s.types[i] = uint8(valueType(a[k]))
	}
	return s
}

// appendJSONFloat writes f as encoding/json does (ES6 number formatting).
func appendJSONFloat(dst []byte, f float64) []byte {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9
		n := len(dst)
		if n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst
}

const hexDigits = "0123456789abcdef"

// appendJSONString writes s quoted as encoding/json does with HTML
// escaping: <, > and & as \u003c…, invalid UTF-8 as \ufffd, U+2028 and
// U+2029 escaped.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// marshalAttrs is the reflection-based encoding, for values appendAttrs
// does not know.
func marshalAttrs(a Attrs) ([]byte, error) {
	return json.Marshal(map[string]any(a))
}
