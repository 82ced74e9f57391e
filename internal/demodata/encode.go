package demodata

import (
	"segbridge/internal/profile"
)

// encoder turns generated rows into CSV or JSON Lines bytes.
type encoder struct {
	jsonl   bool
	columns []string
	keys    [numCols][]byte // `"name":` per column, for JSONL
}

func newEncoder(format profile.Format) *encoder {
	e := &encoder{jsonl: format == profile.FormatJSONL, columns: Columns()}
	for c, name := range e.columns {
		e.keys[c] = append(appendJSONString(nil, []byte(name)), ':')
	}
	return e
}

// appendHeader appends the CSV header line (nothing for JSONL).
func (e *encoder) appendHeader(dst []byte) []byte {
	if e.jsonl {
		return dst
	}
	for c, name := range e.columns {
		if c > 0 {
			dst = append(dst, ',')
		}
		dst = appendCSVField(dst, []byte(name))
	}
	return append(dst, '\n')
}

// appendRow appends one profile as a CSV line, or as a JSON object line
// that leaves out empty values and writes orders and lifetime_value as
// numbers.
func (e *encoder) appendRow(dst []byte, row *[numCols][]byte) []byte {
	if !e.jsonl {
		for c, v := range row {
			if c > 0 {
				dst = append(dst, ',')
			}
			dst = appendCSVField(dst, v)
		}
		return append(dst, '\n')
	}
	dst = append(dst, '{')
	first := true
	for c, v := range row {
		if len(v) == 0 {
			continue
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = append(dst, e.keys[c]...)
		if c == colOrders || c == colLifetimeValue {
			dst = append(dst, v...)
		} else {
			dst = appendJSONString(dst, v)
		}
	}
	return append(dst, '}', '\n')
}

// appendCSVField appends v, quoted (RFC 4180) when it holds a comma, a
// quote, a line break or leading/trailing spaces.
func appendCSVField(dst, v []byte) []byte {
	quote := len(v) > 0 && (v[0] == ' ' || v[len(v)-1] == ' ')
	for _, c := range v {
		if c == ',' || c == '"' || c == '\n' || c == '\r' {
			quote = true
			break
		}
	}
	if !quote {
		return append(dst, v...)
	}
	dst = append(dst, '"')
	for _, c := range v {
		if c == '"' {
			dst = append(dst, '"')
		}
		dst = append(dst, c)
	}
	return append(dst, '"')
}

// appendJSONString appends v (valid UTF-8) as a JSON string, escaping
// quotes, backslashes and control characters.
func appendJSONString(dst, v []byte) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for _, c := range v {
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}
