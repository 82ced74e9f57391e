package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// validator holds the compiled patterns of Omnisend's field rules. The
// simpler rules (E.164 phones, country codes) are plain functions.
type validator struct {
	propName *regexp.Regexp
}

func newValidator() *validator {
	return &validator{propName: regexp.MustCompile(`^[A-Za-z0-9_]{1,128}$`)}
}

// Limits of a contact request.
const (
	maxTagsPerRequest = 100
	maxTagLength      = 128
)

// errs collects field errors so that all of them are reported at once, as
// Omnisend does.
type errs []fieldError

func (e *errs) add(p fieldPath, code, msg string) { *e = append(*e, fieldError{p, code, msg}) }

func (e errs) err() *apiError {
	if len(e) == 0 {
		return nil
	}
	return errValidation(e...)
}

func at(p fieldPath, more ...any) fieldPath { return append(append(fieldPath{}, p...), more...) }

// decodeField decodes raw into T; a type mismatch is a field error at the
// path p followed by more (built only for the error). JSON null counts as
// absent. raw must be a slice of a validated JSON document (decodeObject
// validates the request body): common types are then decoded without
// encoding/json, the rest by it.
func decodeField[T any](raw json.RawMessage, e *errs, want string, p fieldPath, more ...any) (T, bool) {
	var v T
	if raw == nil || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return v, false
	}
	ok, known := decodeFast(bytes.TrimSpace(raw), &v)
	if !known {
		var w T // declared here: only this path moves it to the heap
		ok = decodeJSON(raw, &w)
		v = w
	}
	if !ok {
		e.add(at(p, more...), "invalid_type", "Must be "+want)
	}
	return v, ok
}

// isNull reports whether raw is JSON null: where an object is required it
// is an invalid body, not an absent one.
func isNull(raw []byte) bool { return bytes.Equal(bytes.TrimSpace(raw), []byte("null")) }

// decodeJSON is encoding/json's answer, numbers kept as json.Number.
func decodeJSON[T any](raw json.RawMessage, v *T) bool {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	return dec.Decode(v) == nil
}

// decodeFast decodes the valid, non-null JSON value raw into *v when it can
// tell encoding/json's answer without it (known). ok is that answer: false
// for a type mismatch.
func decodeFast(raw []byte, v any) (ok, known bool) {
	switch v := v.(type) {
	case *string:
		if raw[0] != '"' {
			return false, true
		}
		*v, ok = plainString(raw)
		return ok, ok
	case *bool:
		*v = string(raw) == "true"
		return *v || string(raw) == "false", true
	case *[]string:
		if raw[0] != '[' {
			return false, true
		}
		elems := splitArray(raw)
		list := make([]string, len(elems))
		for i, el := range elems {
			if list[i], ok = plainString(el); !ok {
				return false, false
			}
		}
		*v = list
		return true, true
	case *[]json.RawMessage:
		if raw[0] != '[' {
			return false, true
		}
		*v = splitArray(raw)
		if *v == nil {
			*v = []json.RawMessage{}
		}
		return true, true
	case *rawObject:
		if raw[0] != '{' {
			return false, true
		}
		if obj, ok := splitObject(raw); ok {
			*v = obj
			return true, true
		}
		var m map[string]json.RawMessage // escaped keys: let encoding/json unescape them
		if !decodeJSON(raw, &m) {
			return false, true
		}
		*v = objectOf(m)
		return true, true
	}
	return false, false
}

// decodeObject parses body as a JSON object of raw members. The first JSON
// value of body is what counts; data after it is ignored.
func decodeObject(body []byte, p fieldPath, e *errs) (rawObject, bool) {
	if len(bytes.TrimSpace(body)) == 0 {
		e.add(at(p, "body"), "required", "Request body is required")
		return rawObject{}, false
	}
	if isNull(body) {
		e.add(at(p, "body"), "invalid_type", "Must be a JSON object")
		return rawObject{}, false
	}
	if obj, ok := firstObject(body); ok {
		return decodeField[rawObject](obj, e, "a JSON object", p, "body")
	}
	// Not a valid object: encoding/json says what it is (null is absent).
	m, ok := decodeField[map[string]json.RawMessage](body, e, "a JSON object", p, "body")
	return objectOf(m), ok
}

// contactRequest validates a contact request body in dialect d. POST needs
// at least one identifier (requireID); PATCH does not.
func (v *validator) contactRequest(body []byte, d dialect, requireID bool) (*contactInput, *apiError) {
	var e errs
	obj, ok := decodeObject(body, nil, &e)
	if !ok {
		return nil, e.err()
	}
	return v.contact(obj, d, requireID, &e)
}

// contactItem validates a batch item: a POST contact body, already known
// to be valid JSON (its batch's body was validated).
func (v *validator) contactItem(item json.RawMessage, d dialect) (*contactInput, *apiError) {
	var e errs
	if isNull(item) {
		e.add(at(nil, "body"), "invalid_type", "Must be a JSON object")
		return nil, e.err()
	}
	obj, ok := decodeField[rawObject](item, &e, "a JSON object", nil, "body")
	if !ok {
		return nil, e.err()
	}
	return v.contact(obj, d, true, &e)
}

// contact validates the members of a contact request body.
func (v *validator) contact(obj rawObject, d dialect, requireID bool, e *errs) (*contactInput, *apiError) {
	in := &contactInput{}
	for i, f := range personalFields {
		if s, ok := decodeField[string](obj.get(f), e, "a string", personalPaths[i]); ok {
			in.Fields.set(i, s)
		}
	}
	v.personal(in, e)
	v.identifiers(in, obj.get("identifiers"), d, requireID, truthy(obj.get("sendWelcomeEmail")), e)
	if tags, ok := decodeField[[]string](obj.get("tags"), e, "an array of strings", nil, "tags"); ok {
		in.Tags, in.HasTags = tags, true
		v.tags(tags, fieldPath{"tags"}, e)
	}
	in.Props = v.properties(obj.get("customProperties"), e)
	if d == dialect2026 {
		if s, ok := decodeField[string](obj.get("createdAt"), e, "a string", nil, "createdAt"); ok {
			if _, err := time.Parse(time.RFC3339, s); err != nil {
				e.add(fieldPath{"createdAt"}, "invalid_format", "Must be an RFC3339 date-time")
			} else {
				if in.Props == nil {
					in.Props = map[string]any{}
				}
				in.Props["externalCreated"] = s
			}
		}
	}
	return in, e.err()
}

func truthy(raw json.RawMessage) bool { return bytes.Equal(bytes.TrimSpace(raw), []byte("true")) }

func (v *validator) personal(in *contactInput, e *errs) {
	if cc, ok := in.Fields.get(fieldCountryCode); ok {
		if !validCountryCode(cc) {
			e.add(fieldPath{"countryCode"}, "invalid_format", "Must be an ISO 3166-1 alpha-2 country code (2 letters)")
		}
		in.Fields.set(fieldCountryCode, strings.ToUpper(cc))
	}
	if g, ok := in.Fields.get(fieldGender); ok && g != "m" && g != "f" {
		e.add(fieldPath{"gender"}, "invalid_value", "Must be one of: m, f")
	}
	if bd, ok := in.Fields.get(fieldBirthdate); ok {
		if _, err := time.Parse(time.DateOnly, bd); err != nil {
			e.add(fieldPath{"birthdate"}, "invalid_format", "Must be a date in YYYY-MM-DD format")
		}
	}
}

func (v *validator) tags(tags []string, p fieldPath, e *errs) {
	if len(tags) > maxTagsPerRequest {
		e.add(p, "too_many", fmt.Sprintf("At most %d tags are allowed per request", maxTagsPerRequest))
	}
	for i, t := range tags {
		if strings.TrimSpace(t) == "" || utf8.RuneCountInString(t) > maxTagLength {
			e.add(at(p, i), "invalid_value", fmt.Sprintf("A tag must be 1-%d characters", maxTagLength))
		}
	}
}

// properties validates customProperties: names [A-Za-z0-9_]{1,128}, at most
// 200, values string, number, boolean or array of strings; null deletes.
func (v *validator) properties(raw json.RawMessage, e *errs) map[string]any {
	if raw == nil {
		return nil
	}
	p := fieldPath{"customProperties"}
	props, ok := decodeField[map[string]any](raw, e, "an object", p)
	if !ok {
		return nil
	}
	if len(props) > maxCustomProperties {
		e.add(p, "too_many", fmt.Sprintf("At most %d custom properties are allowed", maxCustomProperties))
	}
	for _, name := range slices.Sorted(maps.Keys(props)) {
		val := props[name]
		if !v.propName.MatchString(name) {
			e.add(at(p, name), "invalid_format", "Property names may contain only latin letters, digits and _ (1-128 characters)")
		}
		if !validPropertyValue(val) {
			e.add(at(p, name), "invalid_type", "Must be a string, number, boolean or array of strings")
		}
	}
	return props
}

func validPropertyValue(val any) bool {
	switch x := val.(type) {
	case nil, string, json.Number, bool:
		return true
	case []any:
		for _, item := range x {
			if _, ok := item.(string); !ok {
				return false
			}
		}
		return true
	}
	return false
}

// validPhone reports an E.164 number: ^\+[1-9][0-9]{1,14}$.
func validPhone(s string) bool {
	if len(s) < 3 || len(s) > 16 || s[0] != '+' || s[1] < '1' || s[1] > '9' {
		return false
	}
	for i := 2; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// validCountryCode reports two latin letters: ^[A-Za-z]{2}$.
func validCountryCode(s string) bool {
	letter := func(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }
	return len(s) == 2 && letter(s[0]) && letter(s[1])
}

// email normalizes and checks an address: trimmed, lower-cased, one @, a
// dotted domain, accepted by net/mail.
func validEmail(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if plainEmail(s) {
		return s, true
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s {
		return s, false
	}
	at := strings.LastIndexByte(s, '@')
	return s, at > 0 && strings.Contains(s[at+1:], ".") && !strings.HasSuffix(s, ".")
}

// plainEmail reports the everyday address that validEmail's rules accept
// without asking net/mail: dot-separated runs of [a-z0-9_+-], "@", and at
// least two dot-separated labels of [a-z0-9-]. Anything else is decided by
// net/mail.
func plainEmail(s string) bool {
	at := strings.IndexByte(s, '@')
	return at > 0 && dotAtom(s[:at], "_+-") && dotAtom(s[at+1:], "-") && strings.IndexByte(s[at+1:], '.') > 0
}

// dotAtom reports non-empty runs of [a-z0-9] and extra, separated by single dots.
func dotAtom(s, extra string) bool {
	run := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.':
			if run == 0 {
				return false
			}
			run = 0
			continue
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9', strings.IndexByte(extra, c) >= 0:
		default:
			return false
		}
		run++
	}
	return run > 0
}
