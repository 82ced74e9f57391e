// Package segment holds segment definitions — CEL rules and static lists —
// and their evaluation.
//
// A rule is a Common Expression Language (CEL) expression over one profile,
// bound as the variable p of type map(string, dyn), for example
//
//	p.country == "CZ" && p.orders > 3
//	has(p.email) && p.email.endsWith("@example.com")
//	p.lifetime_value >= 100.5 || p.city in ["Prague", "Brno"]
//
// Compile parses and type-checks a rule once; the resulting Rule is then
// matched against any number of profiles, from any number of goroutines.
// Numbers compare across int and double, the CEL strings extension
// (lowerAscii, trim, split, ...) is available, and every rule runs under
// size, nesting and cost limits so a hostile rule cannot hang evaluation:
// Compile refuses a rule whose estimated worst-case cost per profile is too
// high, and a Previewer bounds how many previews run at once and for how
// long.
//
// Absent attributes: a profile's attributes have no key for an absent value.
// A rule that cannot be decided without an absent attribute does not match:
// p.country == "CZ" and p.country != "CZ" are both non-matches for a profile
// without a country. CEL's && and || still decide around the gap
// (p.orders > 3 || p.country == "CZ" matches a profile with 5 orders and no
// country), and has(p.country) tests presence explicitly.
//
// Segment names are checked by ValidateName and turned into tag-safe slugs
// by Slug.
package segment
