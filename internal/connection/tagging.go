package connection

import (
	"fmt"

	"segbridge/internal/omnisend"
)

// Tagging is how the exports of a connection put their tags on contacts.
type Tagging string

const (
	// TaggingUpsert sends a contact's tags on its upsert (the default).
	// Exact and cheapest where Omnisend adds the tags sent to a contact's
	// (what its documents suggest); where the upsert replaced a contact's
	// tags, every update would drop the tags the merchant or other
	// integrations set ("source: shopify").
	TaggingUpsert Tagging = "upsert"
	// TaggingEndpoints sends upserts without tags and adds the tags a
	// contact gains with POST /contacts/tags (60 requests a minute, 250
	// e-mails a request) once its batch is confirmed, so other tags
	// survive whatever the upsert does to tags. 2026-03-15 only.
	TaggingEndpoints Tagging = "endpoints"
)

// ParseTagging reads "upsert" or "endpoints" ("" is the default, upsert).
func ParseTagging(s string) (Tagging, error) {
	switch t := Tagging(s); t {
	case "":
		return TaggingUpsert, nil
	case TaggingUpsert, TaggingEndpoints:
		return t, nil
	}
	return "", fmt.Errorf("tagging %q: want %q (the default: tags sent on the upsert) or %q (tags added through the tag endpoints)",
		s, TaggingUpsert, TaggingEndpoints)
}

// ValidateTagging checks that a connection of dialect d can tag as t:
// v3 has no tag endpoints.
func ValidateTagging(t Tagging, d omnisend.Dialect) error {
	if _, err := ParseTagging(string(t)); err != nil {
		return err
	}
	if t == TaggingEndpoints && d == omnisend.DialectV3 {
		return fmt.Errorf("tagging %q needs the 2026-03-15 API: Omnisend's v3 API has no tag endpoints; use dialect %s, or tagging %q",
			t, omnisend.Dialect20260315, TaggingUpsert)
	}
	return nil
}
