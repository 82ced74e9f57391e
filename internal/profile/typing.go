package profile

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
)

// typing is how the values of one column (CSV) or field (JSONL) become
// attribute values.
type typing struct {
	// pin is the type every value must have ("" = inferred per value).
	pin Type
	// keepText keeps number-looking values as strings: the column's name
	// says it holds postal codes or phone numbers.
	keepText bool
}

// typingFor decides how attribute name is typed: its pinned type, else
// text for numbers when the name says postal code or phone number, else
// inferred per value.
func typingFor(name string, pins map[string]Type) typing {
	if t, ok := pins[name]; ok {
		return typing{pin: t}
	}
	return typing{keepText: TextByName(name)}
}

// textNameWords are the words of a column name that mark postal codes and
// phone numbers, whose digits are text (leading zeros, a '+', spacing).
var textNameWords = map[string]bool{
	"zip": true, "zipcode": true, "postal": true, "postcode": true, "postalcode": true, "plz": true,
	"phone": true, "telephone": true, "tel": true, "mobile": true, "cellphone": true, "msisdn": true,
	"fax": true, "phonenumber": true, "mobilephone": true,
}

// flagNameWords mark a column about such a value rather than holding it
// (phone_verified, has_mobile, zip_count).
var flagNameWords = map[string]bool{
	"verified": true, "valid": true, "validated": true, "confirmed": true, "consent": true, "optin": true,
	"opt": true, "count": true, "is": true, "has": true, "enabled": true,
}

// TextByName reports whether a column's name says it holds postal codes
// or phone numbers (postal_code, zip, ZIP, mobilePhone, phone_number,
// tel), so number-looking values stay strings.
func TextByName(name string) bool {
	found := false
	for _, w := range nameWords(name) {
		if flagNameWords[w] {
			return false
		}
		found = found || textNameWords[w]
	}
	return found
}

// nameWords splits a column name into lower-case words at separators and
// at lower-to-upper case changes.
func nameWords(name string) []string {
	var words []string
	var cur []rune
	prevLower := false
	flush := func() {
		if len(cur) > 0 {
			words = append(words, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	for _, r := range name {
		switch {
		case !unicode.IsLetter(r) && !unicode.IsDigit(r):
			flush()
			prevLower = false
			continue
		case unicode.IsUpper(r) && prevLower:
			flush()
		}
		cur = append(cur, r)
		prevLower = unicode.IsLower(r) || unicode.IsDigit(r)
	}
	flush()
	return words
}

// cell types a trimmed, non-empty CSV cell.
func (t typing) cell(s string) (any, error) {
	switch {
	case t.pin == "":
		if t.keepText {
			if b, ok := parseBool(s); ok {
				return b, nil
			}
			return s, nil
		}
		return cellValue(s), nil
	case t.pin == TypeString:
		return s, nil
	}
	return t.pinned(s)
}

// pinned converts text to the pinned type.
func (t typing) pinned(s string) (any, error) {
	switch t.pin {
	case TypeInteger:
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return i, nil
		}
	case TypeDecimal:
		if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			return f, nil
		}
	case TypeBoolean:
		switch strings.ToLower(s) {
		case "true", "yes", "y", "1":
			return true, nil
		case "false", "no", "n", "0":
			return false, nil
		}
	case TypeDate:
		if isDate(s) {
			return s, nil
		}
	case TypeTimestamp:
		if _, ok := ParseTimestamp(s); ok {
			return s, nil
		}
	case TypeString:
		return s, nil
	}
	return nil, fmt.Errorf("%s is not %s (the attribute's type is pinned)", quoteValue(s), article(t.pin))
}

// json types a JSONL member value: v is what jsonValue made of it (nil
// when absent), literal the text of a number.
func (t typing) json(v any, literal string) (any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case int64, float64:
		switch {
		case t.pin == TypeString, t.pin == "" && t.keepText:
			return literal, nil
		case t.pin == "":
			return x, nil
		case t.pin == TypeDecimal:
			if i, ok := x.(int64); ok {
				return float64(i), nil
			}
			return x, nil
		}
		return t.pinned(literal)
	case bool:
		switch t.pin {
		case "", TypeBoolean:
			return x, nil
		}
		return t.pinned(strconv.FormatBool(x))
	case string:
		switch t.pin {
		case "", TypeString:
			return x, nil
		}
		return t.pinned(strings.TrimSpace(x))
	}
	return v, nil
}

// quoteValue quotes a value for an error message, cut to 40 characters.
func quoteValue(s string) string {
	if r := []rune(s); len(r) > 40 {
		s = string(r[:40]) + "…"
	}
	return strconv.Quote(s)
}

func article(t Type) string {
	if t == TypeInteger {
		return "an integer"
	}
	return "a " + string(t)
}

// TypeValue types a value read from a database column for attribute name:
// v is a string, int64, float64 or bool (nil: absent). A pinned type
// converts it (an error when it cannot); otherwise the database's type is
// kept, except that numbers of a column named for postal codes or phone
// numbers stay text.
func TypeValue(name string, v any, pins map[string]Type) (any, error) {
	t := typingFor(name, pins)
	switch x := v.(type) {
	case int64:
		return t.json(x, strconv.FormatInt(x, 10))
	case float64:
		return t.json(x, strconv.FormatFloat(x, 'g', -1, 64))
	}
	return t.json(v, "")
}
