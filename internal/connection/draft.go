package connection

import (
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"segbridge/internal/omnisend"
)

// MaxNameLen is the longest connection name, in characters.
const MaxNameLen = 100

// ErrConsentRequired is returned (wrapped) by Draft.Validate when the admin
// has not agreed to the current privacy and compliance notice.
var ErrConsentRequired = errors.New("consent to the privacy and compliance notice is required")

// Draft is a connection as an admin fills it in, before it is checked and
// saved. It holds the plaintext API key as an omnisend.Secret, so printing,
// logging or marshalling a Draft never shows the key.
type Draft struct {
	Name   string
	Access Access
	APIKey omnisend.Secret
	// Dialect is the Omnisend API generation (default 2026-03-15).
	Dialect omnisend.Dialect
	// BaseURL is Omnisend's API root (default https://api.omnisend.com;
	// sandboxes set their own).
	BaseURL string
	// Tagging is how the connection's exports tag contacts (default
	// TaggingUpsert; TaggingEndpoints needs the 2026-03-15 dialect).
	Tagging    Tagging
	ExportUser string
	// Consent must name who agreed, when, and NoticeVersion.
	Consent Consent
}

// WithDefaults returns d trimmed, with the default access, dialect and base
// URL filled in.
func (d Draft) WithDefaults() Draft {
	d.Name = strings.TrimSpace(d.Name)
	d.ExportUser = strings.TrimSpace(d.ExportUser)
	d.Consent.By = strings.TrimSpace(d.Consent.By)
	d.BaseURL = strings.TrimRight(strings.TrimSpace(d.BaseURL), "/")
	if d.Access == "" {
		d.Access = AccessAdmins
	}
	if d.Dialect == "" {
		d.Dialect = omnisend.Dialect20260315
	}
	if d.BaseURL == "" {
		d.BaseURL = omnisend.DefaultBaseURL
	}
	if d.Tagging == "" {
		d.Tagging = TaggingUpsert
	}
	return d
}

// Validate reports the first problem with d (call it after WithDefaults).
// Messages never contain the key.
func (d Draft) Validate() error {
	checks := []func() error{
		func() error { return ValidateName(d.Name) },
		func() error { _, err := ParseAccess(string(d.Access)); return err },
		func() error { return ValidateKey(d.APIKey) },
		func() error { return validateConsent(d.Consent) },
		func() error { return ValidateExportUser(d.ExportUser) },
		func() error { return ValidateDialect(d.Dialect) },
		func() error { return ValidateTagging(d.Tagging, d.Dialect) },
		func() error { return ValidateBaseURL(d.BaseURL) },
	}
	for _, check := range checks {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

// ValidateName checks a connection name: 1–100 characters, no control
// characters, not only digits (a number refers to a connection's id).
func ValidateName(name string) error {
	n := utf8.RuneCountInString(name)
	switch {
	case strings.TrimSpace(name) == "":
		return errors.New("a connection needs a name")
	case n > MaxNameLen:
		return fmt.Errorf("connection name is %d characters long; the limit is %d", n, MaxNameLen)
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return fmt.Errorf("connection name %q contains a control character", name)
	case strings.Trim(name, "0123456789") == "":
		return fmt.Errorf("connection name %q is only digits; add a letter (numbers refer to connection ids)", name)
	}
	return nil
}

// ValidateKey checks that key looks like an API key (not whether
// Omnisend knows it). Its messages never contain the key.
func ValidateKey(key omnisend.Secret) error {
	k := key.Reveal()
	switch {
	case k == "":
		return errors.New("the Omnisend API key is empty")
	case strings.IndexFunc(k, unicode.IsSpace) >= 0:
		return errors.New("the Omnisend API key contains whitespace; paste exactly the key Omnisend showed")
	case strings.IndexFunc(k, unicode.IsControl) >= 0 || !utf8.ValidString(k):
		return errors.New("the Omnisend API key contains characters an API key cannot have")
	}
	return nil
}

func validateConsent(c Consent) error {
	switch {
	case c.NoticeVersion == "":
		return fmt.Errorf("%w: read it and agree to notice version %s", ErrConsentRequired, NoticeVersion)
	case c.NoticeVersion != NoticeVersion:
		return fmt.Errorf("%w: consent was given to notice version %s, but the current one is %s; read it and agree again",
			ErrConsentRequired, c.NoticeVersion, NoticeVersion)
	case c.By == "":
		return fmt.Errorf("%w: record who agreed", ErrConsentRequired)
	case c.At.IsZero():
		return fmt.Errorf("%w: record when they agreed", ErrConsentRequired)
	}
	return nil
}

// ValidateExportUser checks the export user: an e-mail address for now
// (users and roles come later).
func ValidateExportUser(u string) error {
	if u == "" {
		return errors.New("an export user is required: the e-mail address of the admin scheduled exports run as")
	}
	a, err := mail.ParseAddress(u)
	if err != nil || a.Address != u || !strings.Contains(u[strings.LastIndexByte(u, '@')+1:], ".") {
		return fmt.Errorf("export user %q: want an e-mail address such as admin@example.com", u)
	}
	return nil
}

// ValidateDialect checks an Omnisend API dialect.
func ValidateDialect(dialect omnisend.Dialect) error {
	if dialect != omnisend.Dialect20260315 && dialect != omnisend.DialectV3 {
		return fmt.Errorf("dialect %q: want %q (the default) or %q", dialect, omnisend.Dialect20260315, omnisend.DialectV3)
	}
	return nil
}

// ValidateBaseURL checks an Omnisend base URL: absolute http(s), no
// credentials, query or fragment.
func ValidateBaseURL(s string) error {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return fmt.Errorf("base URL %q: %w", s, err)
	case (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return fmt.Errorf("base URL %q: want an absolute http(s) URL such as %s", s, omnisend.DefaultBaseURL)
	case u.User != nil:
		return errors.New("base URL: must not carry a user or password")
	case u.RawQuery != "" || u.Fragment != "":
		return fmt.Errorf("base URL %q: must not have a query or fragment", s)
	}
	return nil
}

// String describes the draft without its key.
func (d Draft) String() string {
	return fmt.Sprintf("connection.Draft{Name: %q, Access: %q, APIKey: <secret>, Dialect: %q, BaseURL: %q, Tagging: %q, ExportUser: %q, Consent: %+v}",
		d.Name, d.Access, d.Dialect, d.BaseURL, d.Tagging, d.ExportUser, d.Consent)
}

// GoString implements fmt.GoStringer (%#v).
func (d Draft) GoString() string { return d.String() }

// LogValue implements slog.LogValuer.
func (d Draft) LogValue() slog.Value {
	return slog.GroupValue(slog.String("name", d.Name), slog.String("dialect", string(d.Dialect)),
		slog.String("base_url", d.BaseURL), slog.String("api_key", "<secret>"))
}
