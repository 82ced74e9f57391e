package profile

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// jsonKind is the type of a scalar JSON value.
type jsonKind uint8

const (
	jsonString jsonKind = iota
	jsonNumber
	jsonBool
	jsonNull
)

// jsonField is one member of a flat JSON object.
type jsonField struct {
	key   string
	kind  jsonKind
	text  string // the decoded string, or the number literal
	isInt bool   // the number literal has no fraction or exponent
	b     bool
}

// jsonSyntaxError is malformed JSON at a byte offset of the line.
type jsonSyntaxError struct {
	off int
	msg string
}

func (e *jsonSyntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at column %d: %s", e.off+1, e.msg)
}

// errNotObject is a line that does not hold a JSON object.
var errNotObject = errors.New("not a JSON object")

// jsonNestedError is an object or array as a member value.
type jsonNestedError struct{ key string }

func (e *jsonNestedError) Error() string {
	return fmt.Sprintf("attribute %q: nested objects and arrays are not supported", e.key)
}

// flatParser parses one JSON object whose members are all scalars. It works
// on a string so that keys and escape-free string values are substrings of
// the line (no allocation per value). The input must be valid UTF-8.
type flatParser struct {
	s string
	i int
}

// parseFlatObject appends the members of the JSON object s to fields, in
// order (a repeated key appears twice; the later one wins). It returns a
// *jsonSyntaxError for malformed JSON, errNotObject when s does not start
// with '{', or a *jsonNestedError for a nested
// object or array value.
func parseFlatObject(s string, fields []jsonField) ([]jsonField, error) {
	p := flatParser{s: s}
	p.skipSpace()
	if !p.consume('{') {
		return fields, errNotObject
	}
	p.skipSpace()
	if !p.consume('}') {
		for {
			f, err := p.member()
			if err != nil {
				return fields, err
			}
			fields = append(fields, f)
			p.skipSpace()
			if p.consume('}') {
				break
			}
			if !p.consume(',') {
				return fields, p.fail("expected ',' or '}' after object member")
			}
			p.skipSpace()
		}
	}
	p.skipSpace()
	if p.i != len(p.s) {
		return fields, p.fail("unexpected data after the object")
	}
	return fields, nil
}

// member parses `"key": value` starting at a '"'.
func (p *flatParser) member() (jsonField, error) {
	if p.i >= len(p.s) || p.s[p.i] != '"' {
		return jsonField{}, p.fail("expected a string key")
	}
	key, err := p.str()
	if err != nil {
		return jsonField{}, err
	}
	p.skipSpace()
	if !p.consume(':') {
		return jsonField{}, p.fail("expected ':' after object key")
	}
	p.skipSpace()
	f := jsonField{key: key}
	if p.i >= len(p.s) {
		return f, p.fail("unexpected end of line")
	}
	switch c := p.s[p.i]; {
	case c == '"':
		f.kind = jsonString
		f.text, err = p.str()
		return f, err
	case c == '{' || c == '[':
		return f, &jsonNestedError{key: key}
	case c == '-' || (c >= '0' && c <= '9'):
		n, isInt := scanNumber(p.s[p.i:])
		if n == 0 {
			return f, p.fail("invalid number")
		}
		f.kind, f.text, f.isInt = jsonNumber, p.s[p.i:p.i+n], isInt
		p.i += n
		return f, nil
	case p.literal("true"):
		f.kind, f.b = jsonBool, true
		return f, nil
	case p.literal("false"):
		f.kind = jsonBool
		return f, nil
	case p.literal("null"):
		f.kind = jsonNull
		return f, nil
	default:
		return f, p.fail("invalid value")
	}
}

// str parses a JSON string starting at a '"' and returns its value.
// Escape-free strings are returned as substrings of the input.
func (p *flatParser) str() (string, error) {
	start := p.i
	for j := start + 1; j < len(p.s); j++ {
		switch c := p.s[j]; {
		case c == '"':
			p.i = j + 1
			return p.s[start+1 : j], nil
		case c == '\\':
			return p.escapedStr(start, j)
		case c < 0x20:
			p.i = j
			return "", p.fail("control character in string")
		}
	}
	p.i = len(p.s)
	return "", p.fail("unterminated string")
}

// escapedStr finishes a string that contains a backslash at j, letting
// encoding/json decode the escapes (rare, so its cost does not matter).
func (p *flatParser) escapedStr(start, j int) (string, error) {
	for j < len(p.s) {
		switch c := p.s[j]; {
		case c == '\\':
			j += 2
			continue
		case c == '"':
			var out string
			if err := json.Unmarshal([]byte(p.s[start:j+1]), &out); err != nil {
				p.i = start
				return "", p.fail("invalid escape in string")
			}
			p.i = j + 1
			return out, nil
		case c < 0x20:
			p.i = j
			return "", p.fail("control character in string")
		}
		j++
	}
	p.i = len(p.s)
	return "", p.fail("unterminated string")
}

func (p *flatParser) literal(word string) bool {
	if strings.HasPrefix(p.s[p.i:], word) {
		p.i += len(word)
		return true
	}
	return false
}

func (p *flatParser) consume(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *flatParser) skipSpace() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *flatParser) fail(msg string) error {
	return &jsonSyntaxError{off: p.i, msg: msg}
}
