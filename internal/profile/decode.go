package profile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"unicode/utf8"
)

// DecodeAttrs parses attribute JSON as written by EncodeAttrs: one flat
// object whose values are strings, numbers or booleans. Integral numbers
// become int64, other numbers float64. It is a hand-written scanner because
// segment refreshes decode every stored profile; anything it does not expect
// falls back to encoding/json.
func DecodeAttrs(b []byte) (Attrs, error) {
	return DecodeSelected(b, nil)
}

// DecodeSelected is DecodeAttrs keeping only the attributes named in want
// (all when want is nil). The others are skipped without allocating, which
// is what makes evaluating a rule over millions of profiles cheap.
func DecodeSelected(b []byte, want []string) (Attrs, error) {
	d := attrDecoder{b: b, want: want}
	a, ok := d.object()
	if ok {
		return a, nil
	}
	a, err := decodeAttrsSlow(b)
	if err != nil || want == nil {
		return a, err
	}
	for k := range a {
		if !slices.Contains(want, k) {
			delete(a, k)
		}
	}
	return a, nil
}

type attrDecoder struct {
	b    []byte
	i    int
	want []string
}

// wanted reports whether the attribute named key is to be kept.
func (d *attrDecoder) wanted(key []byte) bool {
	if d.want == nil {
		return true
	}
	for _, w := range d.want {
		if string(key) == w {
			return true
		}
	}
	return false
}

func (d *attrDecoder) object() (Attrs, bool) {
	if len(d.b) < 2 || d.b[0] != '{' || d.b[len(d.b)-1] != '}' {
		return nil, false
	}
	size := 16
	if d.want != nil {
		size = len(d.want)
	}
	a := make(Attrs, size)
	d.i = 1
	if d.b[d.i] == '}' {
		return a, d.i == len(d.b)-1
	}
	for {
		d.ws()
		k, ok := d.rawStr()
		if !ok || d.i >= len(d.b) || d.b[d.i] != ':' {
			return nil, false
		}
		d.i++
		d.ws()
		keep := d.wanted(k)
		v, ok := d.value(keep)
		if !ok || d.i >= len(d.b) {
			return nil, false
		}
		if keep {
			a[string(k)] = v
		}
		switch d.b[d.i] {
		case ',':
			d.i++
		case '}':
			return a, d.i == len(d.b)-1
		default:
			return nil, false
		}
	}
}

// ws skips the single spaces PostgreSQL's jsonb output puts after ':' and ','.
func (d *attrDecoder) ws() {
	for d.i < len(d.b) && d.b[d.i] == ' ' {
		d.i++
	}
}

// str reads a plain string: valid UTF-8 without escapes or control
// characters. Anything else takes the slow path.
func (d *attrDecoder) rawStr() ([]byte, bool) {
	if d.i >= len(d.b) || d.b[d.i] != '"' {
		return nil, false
	}
	rest := d.b[d.i+1:]
	end := bytes.IndexByte(rest, '"')
	if end < 0 || !plainString(rest[:end]) {
		return nil, false
	}
	d.i += end + 2
	return rest[:end], true
}

func plainString(s []byte) bool {
	for i, c := range s {
		if c < 0x20 || c == '\\' {
			return false
		}
		if c >= utf8.RuneSelf {
			return utf8.Valid(s[i:]) && bytes.IndexByte(s[i:], '\\') < 0 && noControl(s[i:])
		}
	}
	return true
}

func noControl(s []byte) bool {
	for _, c := range s {
		if c < 0x20 {
			return false
		}
	}
	return true
}

// value reads one value; when keep is false it only skips over it.
func (d *attrDecoder) value(keep bool) (any, bool) {
	if d.i >= len(d.b) {
		return nil, false
	}
	switch c := d.b[d.i]; {
	case c == '"':
		s, ok := d.rawStr()
		if !keep || !ok {
			return nil, ok
		}
		return string(s), true
	case c == 't' && bytes.HasPrefix(d.b[d.i:], []byte("true")):
		d.i += 4
		return true, true
	case c == 'f' && bytes.HasPrefix(d.b[d.i:], []byte("false")):
		d.i += 5
		return false, true
	case c == '-' || (c >= '0' && c <= '9'):
		return d.number(keep)
	}
	return nil, false
}

func (d *attrDecoder) number(keep bool) (any, bool) {
	start, integral := d.i, true
	for d.i < len(d.b) {
		c := d.b[d.i]
		if c == ',' || c == '}' {
			break
		}
		if c == '.' || c == 'e' || c == 'E' {
			integral = false
		}
		d.i++
	}
	if !keep {
		return nil, d.i > start
	}
	s := string(d.b[start:d.i])
	if integral {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n, true
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

func decodeAttrsSlow(b []byte) (Attrs, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var raw map[string]any
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("decode attributes: %w", err)
	}
	a := make(Attrs, len(raw))
	for k, v := range raw {
		switch x := v.(type) {
		case string, bool:
			a[k] = x
		case json.Number:
			if n, err := x.Int64(); err == nil {
				a[k] = n
			} else if f, err := x.Float64(); err == nil {
				a[k] = f
			} else {
				return nil, fmt.Errorf("decode attributes: %q: bad number %q", k, x)
			}
		case nil:
		default:
			return nil, fmt.Errorf("decode attributes: %q: unsupported value of type %T", k, v)
		}
	}
	return a, nil
}
