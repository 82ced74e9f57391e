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
)

// validator holds the compiled patterns of Omnisend's field rules.
type validator struct {
	phone    *regexp.Regexp
	country  *regexp.Regexp
	propName *regexp.Regexp
}

func newValidator() *validator {
	return &validator{
		phone:    regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`),
		country:  regexp.MustCompile(`^[A-Za-z]{2}$`),
		propName: regexp.MustCompile(`^[A-Za-z0-9_]{1,128}$`),
	}
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

// decodeField unmarshals raw into T; a type mismatch is a field error. JSON
// null counts as absent.
func decodeField[T any](raw json.RawMessage, p fieldPath, e *errs, want string) (T, bool) {
	var v T
	if raw == nil || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return v, false
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		e.add(p, "invalid_type", "Must be "+want)
		return v, false
	}
	return v, true
}

// decodeObject parses body as a JSON object of raw members.
func decodeObject(body []byte, p fieldPath, e *errs) (map[string]json.RawMessage, bool) {
	if len(bytes.TrimSpace(body)) == 0 {
		e.add(at(p, "body"), "required", "Request body is required")
		return nil, false
	}
	return decodeField[map[string]json.RawMessage](body, at(p, "body"), e, "a JSON object")
}

// contactRequest validates a contact request body in dialect d. POST needs
// at least one identifier (requireID); PATCH does not.
func (v *validator) contactRequest(body []byte, d dialect, requireID bool) (*contactInput, *apiError) {
	var e errs
	obj, ok := decodeObject(body, nil, &e)
	if !ok {
		return nil, e.err()
	}
	in := &contactInput{Fields: map[string]string{}}
	for _, f := range personalFields {
		if s, ok := decodeField[string](obj[f], fieldPath{f}, &e, "a string"); ok {
			in.Fields[f] = s
		}
	}
	v.personal(in, &e)
	v.identifiers(in, obj["identifiers"], d, requireID, truthy(obj["sendWelcomeEmail"]), &e)
	if tags, ok := decodeField[[]string](obj["tags"], fieldPath{"tags"}, &e, "an array of strings"); ok {
		in.Tags, in.HasTags = tags, true
		v.tags(tags, fieldPath{"tags"}, &e)
	}
	in.Props = v.properties(obj["customProperties"], &e)
	if d == dialect2026 {
		if s, ok := decodeField[string](obj["createdAt"], fieldPath{"createdAt"}, &e, "a string"); ok {
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
	if cc, ok := in.Fields["countryCode"]; ok {
		if !v.country.MatchString(cc) {
			e.add(fieldPath{"countryCode"}, "invalid_format", "Must be an ISO 3166-1 alpha-2 country code (2 letters)")
		}
		in.Fields["countryCode"] = strings.ToUpper(cc)
	}
	if g, ok := in.Fields["gender"]; ok && g != "m" && g != "f" {
		e.add(fieldPath{"gender"}, "invalid_value", "Must be one of: m, f")
	}
	if bd, ok := in.Fields["birthdate"]; ok {
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
		if strings.TrimSpace(t) == "" || len([]rune(t)) > maxTagLength {
			e.add(at(p, i), "invalid_value", fmt.Sprintf("A tag must be 1-%d characters", maxTagLength))
		}
	}
}

// properties validates customProperties: names [A-Za-z0-9_]{1,128}, at most
// 200, values string, number, boolean or array of strings; null deletes.
func (v *validator) properties(raw json.RawMessage, e *errs) map[string]any {
	p := fieldPath{"customProperties"}
	props, ok := decodeField[map[string]any](raw, p, e, "an object")
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

// email normalizes and checks an address: trimmed, lower-cased, one @, a
// dotted domain, accepted by net/mail.
func validEmail(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s {
		return s, false
	}
	at := strings.LastIndexByte(s, '@')
	return s, at > 0 && strings.Contains(s[at+1:], ".") && !strings.HasSuffix(s, ".")
}
