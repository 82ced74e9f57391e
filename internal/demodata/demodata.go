// Package demodata generates realistic, deterministic sample customer
// profiles as CSV or JSON Lines, for demos, tests and benchmarks. The output
// reads back through profile.NewReader with "id" as the id column.
//
// The data is fictitious: names, streets and cities are common ones, e-mail
// addresses use only the reserved example.com/.org/.net domains and their
// sub-domains. A small share of e-mail addresses is deliberately messy
// (invalid, duplicated, mixed case) so that exports have something to skip,
// merge and normalise.
package demodata

import (
	"bufio"
	"fmt"
	"io"

	"segbridge/internal/profile"
)

// MaxProfiles is the largest Options.Profiles accepted.
const MaxProfiles = 50_000_000

// Options configure Generate.
type Options struct {
	// Profiles is the number of profiles to write, 0 to MaxProfiles.
	Profiles int
	// Seed makes the output reproducible: the same Options give
	// byte-identical output.
	Seed int64
	// Format is profile.FormatCSV (the default when empty) or
	// profile.FormatJSONL.
	Format profile.Format
}

// WithDefaults returns o with empty fields set to their defaults.
func (o Options) WithDefaults() Options {
	if o.Format == "" {
		o.Format = profile.FormatCSV
	}
	return o
}

func (o Options) validate() error {
	if o.Profiles < 0 || o.Profiles > MaxProfiles {
		return fmt.Errorf("Options.Profiles must be between 0 and %d, got %d", MaxProfiles, o.Profiles)
	}
	if o.Format != profile.FormatCSV && o.Format != profile.FormatJSONL {
		return fmt.Errorf("Options.Format: unknown format %q (want %q or %q)",
			o.Format, profile.FormatCSV, profile.FormatJSONL)
	}
	return nil
}

// Column indexes, in CSV header order.
const (
	colID = iota
	colFirstName
	colLastName
	colEmail
	colPhone
	colAddress
	colCity
	colState
	colPostalCode
	colCountry
	colCountryCode
	colEmailConsent
	colEmailConsentDate
	colOrders
	colLifetimeValue
	colLastOrderDate
	colCreated
	numCols
)

// Columns returns the generated columns (JSONL fields) in CSV header order.
// The id column is "id".
func Columns() []string {
	return []string{
		"id", "first_name", "last_name", "email", "phone", "address", "city", "state",
		"postal_code", "country", "country_code", "email_consent", "email_consent_date",
		"orders", "lifetime_value", "last_order_date", "created",
	}
}

// Generate writes opts.Profiles sample profiles to w in opts.Format. Profile
// ids are C0000001, C0000002, ... in order.
func Generate(w io.Writer, opts Options) error {
	opts = opts.WithDefaults()
	if err := opts.validate(); err != nil {
		return fmt.Errorf("demodata: %w", err)
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	enc := newEncoder(opts.Format)
	buf := enc.appendHeader(make([]byte, 0, 1024))
	g := newGenerator(opts.Seed)
	for i := 1; i <= opts.Profiles; i++ {
		g.fill(i)
		buf = enc.appendRow(buf, &g.row)
		if _, err := bw.Write(buf); err != nil {
			return fmt.Errorf("demodata: write profile %d: %w", i, err)
		}
		buf = buf[:0]
	}
	if _, err := bw.Write(buf); err != nil { // the header when there are no profiles
		return fmt.Errorf("demodata: write: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("demodata: write: %w", err)
	}
	return nil
}
