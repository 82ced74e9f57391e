package demodata

import (
	"strings"
	"unicode/utf8"
)

// name is a person's name as displayed and folded to lower-case ASCII for
// e-mail addresses ("Dvořák" → "dvorak").
type name struct {
	display string
	ascii   string
}

// locale holds the names used in a group of countries. lastFemale, when
// set, is parallel to lastMale (Novák/Nováková, Kazlauskas/Kazlauskienė).
type locale struct {
	maleFirst, femaleFirst []name
	lastMale, lastFemale   []name
}

// city is a city with its state or region, a postal code pattern ('#' a
// digit, 'A' a letter from the country's postal letters, anything else
// literal) and, for North America, its telephone area code.
type city struct {
	name, state, postal, area string
}

// country is one country the generator places profiles in.
type country struct {
	code, name    string
	weight        int      // relative share of profiles
	dial          string   // E.164 country calling code with '+'
	mobile        []string // national mobile prefixes (ignored when a city has an area code)
	subscriber    int      // digits after the mobile prefix or area code
	numberFirst   bool     // "12 High Street" rather than "Hauptstraße 12"
	unit          string   // word for a flat/unit suffix, "" for none
	postalLetters string
	streets       []string
	cities        []city
	locale        *locale
}

// catalog is the reference data of one Generate call.
type catalog struct {
	countries []country
	cumWeight []int // cumulative country weights
	domains   []string
}

func newCatalog() *catalog {
	fold := asciiFolder()
	english := newLocale(fold, englishMale, englishFemale, englishLast, "")
	canadian := newLocale(fold, englishMale+" Jean Luc Mathieu", englishFemale+" Émilie Chloé Geneviève",
		englishLast+" Tremblay Gagnon Roy Côté Bouchard Gauthier", "")
	countries := countryTable(map[string]*locale{
		"en": english,
		"ca": canadian,
		"de": newLocale(fold, germanMale, germanFemale, germanLast, ""),
		"cs": newLocale(fold, czechMale, czechFemale, czechLastMale, czechLastFemale),
		"fr": newLocale(fold, frenchMale, frenchFemale, frenchLast, ""),
		"lt": newLocale(fold, lithuanianMale, lithuanianFemale, lithuanianLastMale, lithuanianLastFemale),
	})
	c := &catalog{countries: countries, domains: exampleDomains()}
	total := 0
	for _, co := range countries {
		total += co.weight
		c.cumWeight = append(c.cumWeight, total)
	}
	return c
}

// newLocale builds a locale from space-separated name lists; an underscore
// inside a list entry stands for a space within one name.
func newLocale(fold *strings.Replacer, male, female, lastMale, lastFemale string) *locale {
	l := &locale{
		maleFirst:   names(fold, male),
		femaleFirst: names(fold, female),
		lastMale:    names(fold, lastMale),
	}
	if lastFemale != "" {
		l.lastFemale = names(fold, lastFemale)
	}
	return l
}

func names(fold *strings.Replacer, list string) []name {
	fields := strings.Fields(list)
	out := make([]name, len(fields))
	for i, f := range fields {
		display := strings.ReplaceAll(f, "_", " ")
		out[i] = name{display: display, ascii: fold.Replace(strings.ToLower(display))}
	}
	return out
}

// asciiFolder maps the lower-case letters used in the name lists to ASCII
// and drops characters that do not belong in an e-mail local part.
func asciiFolder() *strings.Replacer {
	return strings.NewReplacer(
		"á", "a", "à", "a", "â", "a", "ä", "ae", "ą", "a",
		"č", "c", "ç", "c", "ď", "d",
		"é", "e", "è", "e", "ê", "e", "ë", "e", "ě", "e", "ė", "e", "ę", "e",
		"í", "i", "î", "i", "ï", "i", "į", "i", "ň", "n",
		"ó", "o", "ô", "o", "ö", "oe", "œ", "oe", "ř", "r",
		"š", "s", "ß", "ss", "ť", "t",
		"ú", "u", "ů", "u", "ū", "u", "ų", "u", "ü", "ue",
		"ý", "y", "ž", "z", "'", "", " ", "",
	)
}

// isEmailSafe reports whether s is lower-case ASCII letters and hyphens.
func isEmailSafe(s string) bool {
	if s == "" || !utf8.ValidString(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if (s[i] < 'a' || s[i] > 'z') && s[i] != '-' {
			return false
		}
	}
	return true
}

// exampleDomains are the e-mail domains used: reserved example domains
// (RFC 2606) and sub-domains of them, never real ones.
func exampleDomains() []string {
	return []string{
		"example.com", "example.org", "example.net",
		"mail.example.com", "shop.example.org", "post.example.net",
	}
}

// pickCountry chooses a country by weight.
func (c *catalog) pickCountry(r int) *country {
	for i, w := range c.cumWeight {
		if r < w {
			return &c.countries[i]
		}
	}
	return &c.countries[len(c.countries)-1]
}

func (c *catalog) totalWeight() int { return c.cumWeight[len(c.cumWeight)-1] }
