package secret

import (
	"fmt"
	"io"
	"log/slog"
)

// EnvKey is the text of a master key as SEGBRIDGE_MASTER_KEY holds it. It
// prints, logs and marshals as "<secret>", so configuration structs that
// carry it can be printed safely.
type EnvKey string

const redacted = "<secret>"

// String implements fmt.Stringer.
func (EnvKey) String() string { return redacted }

// GoString implements fmt.GoStringer (%#v).
func (EnvKey) GoString() string { return `secret.EnvKey("` + redacted + `")` }

// Format implements fmt.Formatter: every verb prints the redacted form.
func (k EnvKey) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = io.WriteString(f, k.GoString())
		return
	}
	_, _ = io.WriteString(f, redacted)
}

// LogValue implements slog.LogValuer.
func (EnvKey) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalText implements encoding.TextMarshaler (and so JSON).
func (EnvKey) MarshalText() ([]byte, error) { return []byte(redacted), nil }
