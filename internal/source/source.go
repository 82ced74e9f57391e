// Package source is where profiles come from: a source names a file, a URL
// or a PostgreSQL or MySQL query whose rows become profile attributes, the
// column holding each row's id (and optionally its e-mail), and how its rows
// are unified with other sources' rows into one profile per person.
//
// A source's secret (a database DSN, or the value of a header sent to a
// URL) lives only in a Draft, as an omnisend.Secret that never prints, and
// sealed in the store (bound to the source's id, SecretAD). A Source
// carries no secret at all.
package source

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"segbridge/internal/profile"
)

// Kind is where a source's rows are read from.
type Kind string

// The kinds of source.
const (
	// KindFile reads a CSV or JSON Lines file (a glob takes the newest match).
	KindFile Kind = "file"
	// KindURL gets a CSV or JSON Lines file over HTTP(S).
	KindURL Kind = "url"
	// KindPostgres runs a query on a PostgreSQL database.
	KindPostgres Kind = "postgres"
	// KindMySQL runs a query on a MySQL or MariaDB database.
	KindMySQL Kind = "mysql"
)

// ParseKind reads a kind's name.
func ParseKind(s string) (Kind, error) {
	switch k := Kind(strings.ToLower(strings.TrimSpace(s))); k {
	case KindFile, KindURL, KindPostgres, KindMySQL:
		return k, nil
	}
	return "", fmt.Errorf("kind %q: want file, url, postgres or mysql", s)
}

// Database reports whether the kind runs a query on a database.
func (k Kind) Database() bool { return k == KindPostgres || k == KindMySQL }

// Match is how a source's rows are matched to unified profiles.
type Match string

const (
	// MatchEmail (the default) unifies rows by their normalised e-mail
	// (trimmed, lower-cased); a row without one by its id.
	MatchEmail Match = "email"
	// MatchID unifies rows by their id alone.
	MatchID Match = "id"
)

// ParseMatch reads "email" or "id".
func ParseMatch(s string) (Match, error) {
	switch m := Match(strings.ToLower(strings.TrimSpace(s))); m {
	case "":
		return MatchEmail, nil
	case MatchEmail, MatchID:
		return m, nil
	}
	return "", fmt.Errorf("match %q: want email (the default) or id", s)
}

// Source is a stored source. It carries no secret.
type Source struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Kind Kind   `json:"kind"`
	// Path is a file source's path or glob.
	Path string `json:"path,omitempty"`
	// URL is a URL source's address.
	URL string `json:"url,omitempty"`
	// Header names the HTTP header that carries a URL source's secret
	// (default Authorization).
	Header string `json:"header,omitempty"`
	// Format is a file or URL source's format (csv or jsonl; "" guesses
	// from the path).
	Format profile.Format `json:"format,omitempty"`
	// Query is a database source's SQL; its columns become attributes.
	Query string `json:"query,omitempty"`
	// Cursor names a database source's incremental cursor column: each
	// read fetches only the rows whose cursor is past the last value seen
	// (such a source never removes profiles).
	Cursor string `json:"cursor,omitempty"`
	// IDColumn names the column holding each row's id. Required.
	IDColumn string `json:"id_column"`
	// EmailColumn names the column holding each row's e-mail address.
	EmailColumn string `json:"email_column,omitempty"`
	// Types pins attribute types (they feed the profile schema).
	Types map[string]profile.Type `json:"types,omitempty"`
	// Match is how rows are unified (MatchEmail when empty).
	Match Match `json:"match"`
	// Priority decides conflicting attributes: a higher priority wins;
	// equal priorities go to the older source.
	Priority int `json:"priority"`
	// Optional sources that fail do not stop the refresh.
	Optional bool `json:"optional"`
	// Schedule is the source's own cron ("" = only with the refresh).
	Schedule string `json:"schedule,omitempty"`
	// HasSecret says a secret is stored sealed.
	HasSecret bool      `json:"has_secret"`
	State     State     `json:"state"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Full reports whether each read returns all of the source's rows (so
// rows it no longer returns are removed): every source but one with a
// cursor.
func (s Source) Full() bool { return s.Cursor == "" }

// Where says where the source reads from, without any secret.
func (s Source) Where() string {
	switch s.Kind {
	case KindFile:
		return s.Path
	case KindURL:
		return RedactURL(s.URL)
	}
	q := strings.Join(strings.Fields(s.Query), " ")
	if len(q) > 80 {
		q = q[:77] + "..."
	}
	return q
}

// State is what a source remembers between reads.
type State struct {
	// ETag and LastModified are a URL source's validators: an unchanged
	// file (304 Not Modified) is not read again.
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
	// Cursor is the last cursor value seen.
	Cursor *CursorValue `json:"cursor,omitempty"`
	// Rows is how many rows the last accepted full read returned (the
	// removal guard compares with it).
	Rows int `json:"rows"`
	// Gen numbers the source's reads; rows carry the read that last saw them.
	Gen int64 `json:"gen"`
	// ReadAt, Status and Message describe the last read.
	ReadAt  time.Time `json:"read_at"`
	Status  string    `json:"status,omitempty"`
	Message string    `json:"message,omitempty"`
}

// The statuses of a source's last read.
const (
	StatusOK        = "ok"
	StatusUnchanged = "unchanged"
	StatusHeld      = "held"
	StatusFailed    = "failed"
)

// CursorValue is a cursor column's value, kept with its type so that it is
// given back to the database as what it was.
type CursorValue struct {
	// Type is "int", "float", "time" or "text".
	Type  string `json:"type"`
	Value string `json:"value"`
}

// nameRE limits source names to something safe in URLs and messages.
var nameRE = regexp.MustCompile(`^[\pL\pN][\pL\pN _.\-]{0,62}$`)

// columnRE limits the cursor column (it is written into SQL).
var columnRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)

// FieldError is a validation error naming the field.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// Validate checks a source's settings (not its secret), naming the field
// at fault: one *FieldError per field, joined (errors.Join) when several
// are.
func (s Source) Validate() error {
	var errs []error
	if !nameRE.MatchString(s.Name) {
		errs = append(errs, fieldErr("name", "a source's name starts with a letter or digit and has up to 63 letters, digits, spaces, '.', '_' or '-'"))
	}
	_, kindErr := ParseKind(string(s.Kind))
	if kindErr != nil {
		errs = append(errs, fieldErr("kind", "want file, url, postgres or mysql"))
	}
	if strings.TrimSpace(s.IDColumn) == "" {
		errs = append(errs, fieldErr("id", "name the column that holds each row's id"))
	}
	if _, err := ParseMatch(string(s.Match)); err != nil {
		errs = append(errs, fieldErr("match", "want email or id"))
	}
	for _, name := range slices.Sorted(maps.Keys(s.Types)) {
		if t := s.Types[name]; !validType(t) {
			errs = append(errs, fieldErr("type", "attribute %q: unknown type %q", name, t))
			break
		}
	}
	if s.Priority < -1000 || s.Priority > 1000 {
		errs = append(errs, fieldErr("priority", "want a whole number from -1000 to 1000"))
	}
	if kindErr == nil {
		if err := s.validateKind(); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) == 1 {
		return errs[0]
	}
	return errors.Join(errs...)
}

func validType(t profile.Type) bool {
	_, err := profile.ParseType(string(t))
	return err == nil && t != profile.TypeMixed
}

func (s Source) validateKind() error {
	switch s.Kind {
	case KindFile:
		if strings.TrimSpace(s.Path) == "" {
			return fieldErr("path", "name the file (or a glob: the newest match is read)")
		}
		if _, err := filepath.Match(s.Path, ""); err != nil {
			return fieldErr("path", "%q is not a valid glob", s.Path)
		}
	case KindURL:
		u, err := url.Parse(s.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fieldErr("url", "want an http:// or https:// address")
		}
		if u.User != nil {
			return fieldErr("url", "put no password in the address: give the secret with --secret-file or --secret-env")
		}
		for name := range u.Query() {
			if secretParam(name) {
				return fieldErr("url", "put no secret in the address (parameter %q): send it in a header with --secret-file or --secret-env", name)
			}
		}
	default:
		if strings.TrimSpace(s.Query) == "" {
			return fieldErr("query", "give the SQL query whose columns become attributes")
		}
		if s.Cursor != "" && !columnRE.MatchString(s.Cursor) {
			return fieldErr("cursor", "want a plain column name (letters, digits, '_')")
		}
	}
	if s.Cursor != "" && !s.Kind.Database() {
		return fieldErr("cursor", "only database sources have a cursor")
	}
	if s.Format != "" && s.Format != profile.FormatCSV && s.Format != profile.FormatJSONL {
		return fieldErr("format", "want csv or jsonl")
	}
	return nil
}

// SecretAD is the associated data that binds a sealed secret to its source.
func SecretAD(id int64) []byte { return fmt.Appendf(nil, "source %d", id) }

// RedactURL drops the user information and query of an address, for display.
func RedactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(an address that cannot be read)"
	}
	u.User = nil
	if u.RawQuery != "" {
		u.RawQuery = "…"
	}
	return u.String()
}

// NormalizeEmail trims and lower-cases an e-mail address.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// Key is a row's unification key: its normalised e-mail (MatchEmail) or,
// without one or with MatchID, its id.
func Key(m Match, id, email string) string {
	if m != MatchID {
		if e := NormalizeEmail(email); e != "" {
			return e
		}
	}
	return id
}

// secretParam reports whether a query parameter's name says it carries a
// secret (it would be stored in clear with the address).
func secretParam(name string) bool {
	n := strings.ToLower(name)
	for _, w := range []string{"token", "key", "secret", "password", "passwd", "pwd", "sig", "auth", "credential"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}
