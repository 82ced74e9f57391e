package source

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"segbridge/internal/profile"
)

// Row is one row of a source: its id, its e-mail (as read) and its
// attributes (the id and e-mail columns among them).
type Row struct {
	ID    string
	Email string
	Attrs profile.Attrs
}

// ReadOptions configure Read.
type ReadOptions struct {
	// Secret is the opened secret: a database DSN, or the header value
	// of a URL source ("" for none).
	Secret string
	// State is what the source remembered from its last read (validators,
	// cursor).
	State State
	// HTTPClient gets URL sources (default: http.DefaultClient).
	HTTPClient *http.Client
	// Limit stops after this many rows (0: all); a test read sets it.
	Limit int
	// Full ignores the cursor and the validators: everything is read.
	Full bool
}

// ReadResult says what a read found.
type ReadResult struct {
	// Rows counts the rows given to the callback; Rejected the rows
	// skipped (no id, a value not of its pinned type, a bad line).
	Rows     int
	Rejected int
	// Problems holds the first few rejected rows' reasons.
	Problems []string
	// Unchanged says a URL source answered "not modified": nothing was read.
	Unchanged bool
	// Columns are the names of the columns read.
	Columns []string
	// State is the source's state after the read (validators, cursor).
	State State
}

// keepProblems is how many rejected rows' reasons a read keeps.
const keepProblems = 5

func (r *ReadResult) reject(reason string) {
	r.Rejected++
	if len(r.Problems) < keepProblems {
		r.Problems = append(r.Problems, reason)
	}
}

// Error is a read's failure, in plain words naming the source.
type Error struct {
	Source string
	Msg    string
	// Secret says the source's secret was refused (a wrong password or
	// header value).
	Secret bool
	err    error
}

func (e *Error) Error() string { return fmt.Sprintf("source %q: %s", e.Source, e.Msg) }

// Unwrap gives the cause (for logs; its text may name driver details, but
// never the secret).
func (e *Error) Unwrap() error { return e.err }

func readErr(s Source, cause error, format string, args ...any) *Error {
	return &Error{Source: s.Name, Msg: fmt.Sprintf(format, args...), err: cause}
}

// errStop ends a read at its Limit.
var errStop = errors.New("enough rows")

// Read reads the source's rows, giving each to fn in input order. A row
// that fn refuses stops the read with fn's error.
func Read(ctx context.Context, s Source, opt ReadOptions, fn func(Row) error) (ReadResult, error) {
	res := ReadResult{State: opt.State}
	count := func(r Row) error {
		if opt.Limit > 0 && res.Rows >= opt.Limit {
			return errStop
		}
		res.Rows++
		return fn(r)
	}
	var err error
	switch s.Kind {
	case KindFile:
		err = readFile(ctx, s, &res, count)
	case KindURL:
		err = readURL(ctx, s, opt, &res, count)
	case KindPostgres:
		err = readPostgres(ctx, s, opt, &res, count)
	case KindMySQL:
		err = readMySQL(ctx, s, opt, &res, count)
	default:
		err = readErr(s, nil, "unknown kind %q", s.Kind)
	}
	if errors.Is(err, errStop) {
		err = nil
	}
	return res, err
}

// rowOf builds a Row from a record's attributes: the id (given) is put
// back among the attributes under its column's name; the e-mail is read
// from its column.
func rowOf(s Source, id string, attrs profile.Attrs) Row {
	if attrs == nil {
		attrs = profile.Attrs{}
	}
	if _, ok := attrs[s.IDColumn]; !ok && id != "" {
		attrs[s.IDColumn] = id
	}
	var email string
	if s.EmailColumn != "" {
		switch v := attrs[s.EmailColumn].(type) {
		case string:
			email = v
		case nil:
		default:
			email = fmt.Sprint(v)
		}
	}
	return Row{ID: id, Email: email, Attrs: attrs}
}

// idText turns an id column's value into the row id.
func idText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}
