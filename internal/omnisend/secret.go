package omnisend

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// redacted is what a Secret prints as, in every format.
const redacted = "<secret>"

// Secret holds an API key. It prints as "<secret>" with every fmt verb, in
// slog output and in JSON/text marshalling, so a Config or an error that
// carries one never reveals it. The value is held behind a pointer so that
// even reflection-based printing of a struct that embeds a Secret in an
// unexported field shows an address, not the key.
type Secret struct {
	v *string
}

// NewSecret wraps s. Surrounding whitespace is trimmed (keys are pasted).
func NewSecret(s string) Secret {
	s = strings.TrimSpace(s)
	return Secret{v: &s}
}

// Reveal returns the key itself. Only the code that sets the auth header
// calls it.
func (s Secret) Reveal() string {
	if s.v == nil {
		return ""
	}
	return *s.v
}

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s.Reveal() == "" }

// String implements fmt.Stringer.
func (s Secret) String() string { return redacted }

// GoString implements fmt.GoStringer (%#v).
func (s Secret) GoString() string { return `omnisend.Secret("` + redacted + `")` }

// Format implements fmt.Formatter so that every verb (%s %v %+v %#v %q %x …)
// prints the redacted form.
func (s Secret) Format(f fmt.State, verb rune) {
	switch verb {
	case 'v':
		if f.Flag('#') {
			_, _ = io.WriteString(f, s.GoString())
			return
		}
		_, _ = io.WriteString(f, redacted)
	case 'q':
		_, _ = io.WriteString(f, `"`+redacted+`"`)
	default:
		_, _ = io.WriteString(f, redacted)
	}
}

// LogValue implements slog.LogValuer.
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalJSON implements json.Marshaler.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// MarshalText implements encoding.TextMarshaler.
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// redactString replaces every occurrence of the secret in msg.
func (s Secret) redactString(msg string) string {
	k := s.Reveal()
	if k == "" {
		return msg
	}
	return strings.ReplaceAll(msg, k, redacted)
}

// redactedError is an error whose message had the key removed. It keeps the
// original chain for errors.Is / errors.As.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// redactErr returns err unchanged unless its message contains the key.
func (s Secret) redactErr(err error) error {
	if err == nil || s.Reveal() == "" {
		return err
	}
	msg := err.Error()
	if !strings.Contains(msg, s.Reveal()) {
		return err
	}
	return &redactedError{msg: s.redactString(msg), err: err}
}
