package profile

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxJSONLLine is the longest JSONL line (newline included) read; a longer
// line is rejected and skipped.
const maxJSONLLine = 16 << 20

// jsonlSource reads profiles from JSON Lines, one flat object per line.
type jsonlSource struct {
	br      *bufio.Reader
	idField string
	maxLine int
	line    int         // number of the last line read
	eof     bool        // the last line has been read
	buf     []byte      // assembles lines longer than the read buffer
	fields  []jsonField // reused by parseFlatObject
	pins    map[string]Type
	typings map[string]typing // typingFor by field name, cached
}

func newJSONLSource(r io.Reader, idField string, pins map[string]Type) *jsonlSource {
	return &jsonlSource{
		br:      bufio.NewReaderSize(r, inputBufferSize),
		idField: idField,
		maxLine: maxJSONLLine,
		pins:    pins,
		typings: map[string]typing{},
	}
}

// maxCachedTypings bounds the typing cache (a file may hold any number of
// distinct field names).
const maxCachedTypings = 10_000

// typingOf returns how field name's values are typed.
func (s *jsonlSource) typingOf(name string) typing {
	if t, ok := s.typings[name]; ok {
		return t
	}
	t := typingFor(name, s.pins)
	if len(s.typings) < maxCachedTypings {
		s.typings[strings.Clone(name)] = t
	}
	return t
}

func (s *jsonlSource) next() (Record, error) {
	for {
		raw, tooLong, err := s.readLine()
		if err != nil {
			return Record{}, err
		}
		s.line++
		if tooLong {
			return rejected(s.line, fmt.Sprintf("line longer than %d bytes", s.maxLine)), nil
		}
		if s.line == 1 {
			raw = bytes.TrimPrefix(raw, utf8BOM)
		}
		if isBlankLine(raw) {
			continue
		}
		return s.record(raw), nil
	}
}

// readLine returns the next line (valid until the next call), whether it
// was longer than maxLine (its content is then dropped), io.EOF at the end,
// or a read error.
func (s *jsonlSource) readLine() (line []byte, tooLong bool, err error) {
	if s.eof {
		return nil, false, io.EOF
	}
	s.buf = s.buf[:0]
	for {
		chunk, err := s.br.ReadSlice('\n')
		if err == nil && len(s.buf) == 0 && !tooLong && len(chunk) <= s.maxLine {
			return chunk, false, nil // the whole line is in the read buffer
		}
		if !tooLong && len(s.buf)+len(chunk) > s.maxLine {
			tooLong, s.buf = true, s.buf[:0]
		}
		if !tooLong {
			s.buf = append(s.buf, chunk...)
		}
		switch {
		case err == nil:
			return s.buf, tooLong, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			s.eof = true
			if len(s.buf) == 0 && !tooLong {
				return nil, false, io.EOF
			}
			return s.buf, tooLong, nil
		default:
			return nil, false, fmt.Errorf("read JSONL line %d: %w", s.line+1, err)
		}
	}
}

// isBlankLine reports whether b holds only JSON whitespace.
func isBlankLine(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return false
		}
	}
	return true
}

// record turns one JSON object line into a Record.
func (s *jsonlSource) record(raw []byte) Record {
	if !utf8.Valid(raw) {
		return rejectedAs(s.line, CodeInvalidUTF8, "invalid UTF-8")
	}
	fields, err := parseFlatObject(string(bytes.TrimRight(raw, "\r\n")), s.fields[:0])
	s.fields = fields[:0]
	if err != nil {
		return rejected(s.line, err.Error())
	}
	var id string
	idSeen := false
	attrs := make(Attrs, len(fields))
	for i := range fields {
		f := &fields[i]
		if f.key == s.idField {
			if id, err = jsonID(f); err != nil {
				return rejected(s.line, err.Error())
			}
			idSeen = true
			continue
		}
		if f.key == "" {
			return rejected(s.line, "empty attribute name")
		}
		v, err := jsonValue(f)
		if err != nil {
			return rejected(s.line, err.Error())
		}
		if v != nil && (f.kind == jsonNumber || len(s.pins) > 0) {
			if t := s.typingOf(f.key); t != (typing{}) {
				if v, err = t.json(v, f.text); err != nil {
					return rejectedAs(s.line, CodeInvalidValue, fmt.Sprintf("attribute %q: %v", f.key, err))
				}
			}
		}
		if v == nil {
			delete(attrs, f.key) // null or "": absent, also over an earlier duplicate
			continue
		}
		attrs[f.key] = v
	}
	switch {
	case !idSeen:
		return rejected(s.line, fmt.Sprintf("missing id field %q", s.idField))
	case id == "":
		return rejected(s.line, fmt.Sprintf("empty id in field %q", s.idField))
	}
	return Record{Line: s.line, Profile: Profile{ID: id, Attrs: attrs}}
}

// jsonID converts the id member: a string (trimmed) or an integer literal;
// null is an empty id.
func jsonID(f *jsonField) (string, error) {
	switch {
	case f.kind == jsonString:
		return strings.TrimSpace(f.text), nil
	case f.kind == jsonNumber && f.isInt:
		return f.text, nil
	case f.kind == jsonNull:
		return "", nil
	default:
		return "", fmt.Errorf("id field %q must be a string or an integer", f.key)
	}
}

// jsonValue converts a member value to an attribute value; nil means absent
// (null or the empty string). Integer literals that fit int64 are int64,
// other numbers float64; a number beyond float64 is an error.
func jsonValue(f *jsonField) (any, error) {
	switch f.kind {
	case jsonString:
		if f.text == "" {
			return nil, nil
		}
		return f.text, nil
	case jsonBool:
		return f.b, nil
	case jsonNumber:
		if f.isInt {
			if i, err := strconv.ParseInt(f.text, 10, 64); err == nil {
				return i, nil
			}
		}
		v, err := strconv.ParseFloat(f.text, 64)
		if err != nil {
			return nil, fmt.Errorf("attribute %q: number %s is out of range", f.key, f.text)
		}
		return v, nil
	default:
		return nil, nil
	}
}
