package profile

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// Format is the layout of a profile file.
type Format string

// The supported profile file formats.
const (
	// FormatCSV is a delimited text file with a header row (RFC 4180 quoting).
	FormatCSV Format = "csv"
	// FormatJSONL is JSON Lines: one flat JSON object per line.
	FormatJSONL Format = "jsonl"
)

// FormatFromPath guesses a file's format from its extension: .jsonl, .ndjson
// and .json are JSON Lines, anything else is CSV.
func FormatFromPath(path string) Format {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".jsonl", ".ndjson", ".json":
		return FormatJSONL
	default:
		return FormatCSV
	}
}

// ParseFormat turns a user-supplied format name ("csv", "jsonl"; "ndjson" is
// accepted as an alias of "jsonl") into a Format.
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "csv":
		return FormatCSV, nil
	case "jsonl", "ndjson":
		return FormatJSONL, nil
	default:
		return "", fmt.Errorf("unknown format %q (want csv or jsonl)", s)
	}
}

// ReadOptions configure a Reader.
type ReadOptions struct {
	// Format of the input. Required.
	Format Format
	// IDColumn is the CSV header name or JSONL field holding the profile id
	// (matched exactly, case-sensitive, after trimming spaces). Required. The
	// id goes to Profile.ID and is not kept in Profile.Attrs.
	IDColumn string
	// Delimiter separates CSV fields. 0 detects it from the header line among
	// ',', ';' and '\t' (',' when none occurs). Ignored for JSONL.
	Delimiter rune
	// Types pins the type of attributes by name (import --type
	// postal_code=string): every value is converted to it, and a row with
	// a value that cannot be is rejected. Unpinned values are typed one by
	// one: true/false, integers, decimals in JSON number syntax, and
	// strings — number-looking text with leading zeros or a '+' stays a
	// string, and so do the numbers of a column whose name says postal
	// code or phone number (see TextByName).
	Types map[string]Type
}

func (o *ReadOptions) validate() error {
	if o.Format != FormatCSV && o.Format != FormatJSONL {
		return fmt.Errorf("ReadOptions.Format: unknown format %q (want %q or %q)", o.Format, FormatCSV, FormatJSONL)
	}
	if strings.TrimSpace(o.IDColumn) == "" {
		return errors.New("ReadOptions.IDColumn: required")
	}
	if o.Format == FormatCSV && o.Delimiter != 0 && !validDelimiter(o.Delimiter) {
		return fmt.Errorf("ReadOptions.Delimiter: %q cannot separate CSV fields", o.Delimiter)
	}
	for name, t := range o.Types {
		if _, err := ParseType(string(t)); err != nil || t == TypeMixed {
			return fmt.Errorf("ReadOptions.Types[%q]: unknown type %q", name, t)
		}
	}
	return nil
}

// validDelimiter reports whether encoding/csv accepts d as a field separator.
func validDelimiter(d rune) bool {
	return d != '"' && d != '\r' && d != '\n' && d != utf8.RuneError && utf8.ValidRune(d)
}

// RowError is a rejected row. Reading goes on with the next row.
type RowError struct {
	Line   int    // physical line (1-based) where the row starts
	Code   string // the kind of problem, one of the Code constants ("" for others)
	Reason string // what is wrong with the row
}

// The codes of RowError.
const (
	// CodeFieldCount: a CSV row has fewer or more fields than the header.
	CodeFieldCount = "field_count"
	// CodeDuplicateID: the row repeats the id of an earlier row of the file.
	CodeDuplicateID = "duplicate_id"
	// CodeInvalidUTF8: the row is not valid UTF-8 text.
	CodeInvalidUTF8 = "invalid_utf8"
	// CodeInvalidValue: a value does not have its attribute's pinned type.
	CodeInvalidValue = "invalid_value"
)

// Error returns "line N: reason".
func (e *RowError) Error() string {
	return fmt.Sprintf("line %d: %s", e.Line, e.Reason)
}

// Record is one row of input: either a Profile or, for a rejected row, Err.
type Record struct {
	Line    int // physical line (1-based) where the row starts
	Profile Profile
	Err     *RowError
}

// rejected returns a Record for a row rejected at line for reason.
func rejected(line int, reason string) Record {
	return Record{Line: line, Err: &RowError{Line: line, Reason: reason}}
}

// rejectedAs is rejected with a Code.
func rejectedAs(line int, code, reason string) Record {
	return Record{Line: line, Err: &RowError{Line: line, Code: code, Reason: reason}}
}

// source is one input format's row iterator.
type source interface {
	next() (Record, error)
}

// Reader reads profiles from a CSV or JSONL stream, one Record per row.
// A Reader is not safe for concurrent use.
type Reader struct {
	src source
	err error // sticky fatal error
}

// NewReader prepares to read profiles from r. For CSV it reads the header
// and checks the id column exists; a missing id column, an empty or
// duplicate header name, or an unreadable header is an error naming the
// problem.
func NewReader(r io.Reader, opts ReadOptions) (*Reader, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if opts.Format == FormatJSONL {
		return &Reader{src: newJSONLSource(r, strings.TrimSpace(opts.IDColumn), opts.Types)}, nil
	}
	src, err := newCSVSource(r, opts)
	if err != nil {
		return nil, err
	}
	return &Reader{src: src}, nil
}

// Next returns the next record. A rejected row is a Record with Err set and
// a nil error. At the end of input Next returns io.EOF; any other error is
// fatal (the input could not be read) and is returned by every later call.
func (r *Reader) Next() (Record, error) {
	if r.err != nil {
		return Record{}, r.err
	}
	rec, err := r.src.next()
	if err != nil {
		r.err = err
		return Record{}, err
	}
	return rec, nil
}
