// Package connection is segbridge's link to one Omnisend brand: who may use
// it (the access policy), the admin's recorded consent to the privacy and
// compliance notice, the API key (checked against Omnisend on Connect,
// stored sealed, shown only as its last characters), the brand it belongs
// to and the export user that scheduled exports run as.
//
// The plaintext key lives only in a Draft (as an omnisend.Secret, which
// never prints) and, briefly, while a Service checks it. A Connection holds
// no key at all: the store keeps it sealed by internal/secret, bound to the
// connection's id (KeyAD), and Service.Key opens it for the code that talks
// to Omnisend.
package connection

import (
	"fmt"
	"strconv"
	"time"

	"segbridge/internal/omnisend"
)

// Access says who may build exports on a connection. Only admins create,
// change and remove connections.
type Access string

const (
	// AccessAdmins: only admins may use the connection (the default).
	AccessAdmins Access = "admins"
	// AccessContributors: admins and contributors may use it.
	AccessContributors Access = "contributors"
)

// ParseAccess reads "admins" or "contributors".
func ParseAccess(s string) (Access, error) {
	switch a := Access(s); a {
	case AccessAdmins, AccessContributors:
		return a, nil
	}
	return "", fmt.Errorf("access %q: want %q (the default) or %q", s, AccessAdmins, AccessContributors)
}

// Consent records an admin's agreement to the privacy and compliance notice.
type Consent struct {
	// By is who agreed (a user identity; free text until users exist).
	By string `json:"by"`
	// At is when they agreed.
	At time.Time `json:"at"`
	// NoticeVersion is the version of the notice they agreed to.
	NoticeVersion string `json:"notice_version"`
}

// Connection is a stored connection. It carries no API key.
type Connection struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	// Access says who may build exports on it.
	Access Access `json:"access"`
	// KeyLast4 is the end of the API key (at most 4 characters), the only
	// part of it ever shown.
	KeyLast4 string           `json:"key_last4"`
	Dialect  omnisend.Dialect `json:"dialect"`
	BaseURL  string           `json:"base_url"`
	// Tagging is how its exports tag contacts (TaggingUpsert when empty).
	Tagging Tagging `json:"tagging"`
	// BrandID and BrandName are what Omnisend said the key belongs to
	// (BrandName is empty on the v3 dialect).
	BrandID   string `json:"brand_id"`
	BrandName string `json:"brand_name"`
	// CheckedAt is when the key was last checked against Omnisend.
	CheckedAt time.Time `json:"checked_at"`
	Consent   Consent   `json:"consent"`
	// ExportUser is the identity scheduled exports run as (an e-mail
	// address until users and roles exist).
	ExportUser string    `json:"export_user"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// Brand is what a successful key check found: the brand the key belongs to.
type Brand struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Label is the brand's name, or its id when Omnisend gave no name (v3).
func (b Brand) Label() string {
	if b.Name == "" {
		return b.ID
	}
	return b.Name
}

// Check is the outcome of a key check to store on a connection.
type Check struct {
	Brand Brand
	At    time.Time
}

// KeyAD is the associated data a connection's sealed key is bound to, so a
// sealed key copied to another row does not open.
func KeyAD(id int64) []byte {
	return []byte("segbridge connection api key; id=" + strconv.FormatInt(id, 10))
}

// Last4 returns the part of a key that may be shown: its last 4
// characters, or fewer for a short key (never more than half of it).
func Last4(key string) string {
	r := []rune(key)
	n := min(4, len(r)/2)
	return string(r[len(r)-n:])
}
