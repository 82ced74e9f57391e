package service

import (
	"errors"
	"fmt"
	"strings"
)

// Kind says what went wrong with a use case, so that every interface can
// render it in one place: the API as a status, the web UI beside the
// field, the CLI as one line.
type Kind int

// The kinds of service errors.
const (
	// KindInvalid: the input is wrong; Field names the field when one is
	// at fault.
	KindInvalid Kind = iota + 1
	// KindNotFound: what the caller named does not exist (or the caller
	// may not see it: the two read the same).
	KindNotFound
	// KindConflict: the change clashes with the stored state (a taken
	// name, a segment in use, a run in progress, the last admin).
	KindConflict
	// KindForbidden: the caller's role or access does not allow it.
	KindForbidden
	// KindUnavailable: something outside segbridge did not answer
	// (Omnisend unreachable), or a server limit is reached; try again.
	KindUnavailable
	// KindUnsupported: segbridge cannot do this (yet); the message says
	// what to do instead.
	KindUnsupported
)

// String names the kind as the interfaces' tests expect it.
func (k Kind) String() string {
	switch k {
	case KindInvalid:
		return "invalid"
	case KindNotFound:
		return "not found"
	case KindConflict:
		return "conflict"
	case KindForbidden:
		return "forbidden"
	case KindUnavailable:
		return "unavailable"
	case KindUnsupported:
		return "unsupported"
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// FieldProblem is one invalid field and what is wrong with it.
type FieldProblem struct {
	// Field is the input field's name as the API spells it ("name",
	// "mapping.email", "schedule.cron").
	Field string
	// Msg says what is wrong, in plain words, without the field's name.
	Msg string
}

// Error is a use case's failure as users see it: a kind, a plain message
// that never carries a driver's or package's name, and the fields at fault
// when the input is invalid. Err, when set, is the underlying cause, for
// errors.Is/As and the logs; it is never shown.
type Error struct {
	Kind Kind
	// Msg is the whole message shown to users.
	Msg string
	// Fields lists the invalid fields, all of them, when Kind is
	// KindInvalid and fields are at fault.
	Fields []FieldProblem
	Err    error
}

func (e *Error) Error() string { return e.Msg }

func (e *Error) Unwrap() error { return e.Err }

// Field returns the first invalid field's name, or "".
func (e *Error) Field() string {
	if len(e.Fields) == 0 {
		return ""
	}
	return e.Fields[0].Field
}

// Invalid is a KindInvalid error naming field (may be "") with msg.
func Invalid(field, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	if field == "" {
		return &Error{Kind: KindInvalid, Msg: msg}
	}
	return &Error{Kind: KindInvalid, Msg: field + ": " + msg, Fields: []FieldProblem{{Field: field, Msg: msg}}}
}

// InvalidFields is one KindInvalid error listing every field at fault.
func InvalidFields(fields ...FieldProblem) *Error {
	parts := make([]string, len(fields))
	for i, f := range fields {
		parts[i] = f.Field + ": " + f.Msg
	}
	return &Error{Kind: KindInvalid, Msg: strings.Join(parts, "; "), Fields: fields}
}

// NotFound is a KindNotFound error.
func NotFound(format string, args ...any) *Error {
	return &Error{Kind: KindNotFound, Msg: fmt.Sprintf(format, args...)}
}

// Conflict is a KindConflict error.
func Conflict(format string, args ...any) *Error {
	return &Error{Kind: KindConflict, Msg: fmt.Sprintf(format, args...)}
}

// Forbidden is a KindForbidden error.
func Forbidden(format string, args ...any) *Error {
	return &Error{Kind: KindForbidden, Msg: fmt.Sprintf(format, args...)}
}

// Unavailable is a KindUnavailable error.
func Unavailable(format string, args ...any) *Error {
	return &Error{Kind: KindUnavailable, Msg: fmt.Sprintf(format, args...)}
}

// Unsupported is a KindUnsupported error.
func Unsupported(format string, args ...any) *Error {
	return &Error{Kind: KindUnsupported, Msg: fmt.Sprintf(format, args...)}
}

// because sets e's cause and returns e.
func (e *Error) because(err error) *Error {
	e.Err = err
	return e
}

// AsError returns err's *Error, if it has one.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
