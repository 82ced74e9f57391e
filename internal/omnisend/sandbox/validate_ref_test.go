package sandbox

// The validator as it was before the single-pass decoding (encoding/json
// maps of raw members at every level), kept as the oracle the equivalence
// tests compare the fast one with.

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

type refValidator struct {
	phone    *regexp.Regexp
	country  *regexp.Regexp
	propName *regexp.Regexp
}

func newRefValidator() *refValidator {
	return &refValidator{
		phone:    regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`),
		country:  regexp.MustCompile(`^[A-Za-z]{2}$`),
		propName: regexp.MustCompile(`^[A-Za-z0-9_]{1,128}$`),
	}
}

var refPersonalFields = personalFields[:]

// refInput is the old contactInput: personal fields in a map.
type refInput struct {
	Email   *identifierInput
	Phone   *identifierInput
	Fields  map[string]string
	Tags    []string
	HasTags bool
	Props   map[string]any
}

// refDecodeField unmarshals raw into T; a type mismatch is a field error. JSON
// null counts as absent.
func refDecodeField[T any](raw json.RawMessage, p fieldPath, e *errs, want string) (T, bool) {
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

// refDecodeObject parses body as a JSON object of raw members.
func refDecodeObject(body []byte, p fieldPath, e *errs) (map[string]json.RawMessage, bool) {
	if len(bytes.TrimSpace(body)) == 0 {
		e.add(at(p, "body"), "required", "Request body is required")
		return nil, false
	}
	return refDecodeField[map[string]json.RawMessage](body, at(p, "body"), e, "a JSON object")
}

// refContactRequest validates a contact request body in dialect d. POST needs
// at least one identifier (requireID); PATCH does not.
func (v *refValidator) refContactRequest(body []byte, d dialect, requireID bool) (*refInput, *apiError) {
	var e errs
	obj, ok := refDecodeObject(body, nil, &e)
	if !ok {
		return nil, e.err()
	}
	in := &refInput{Fields: map[string]string{}}
	for _, f := range refPersonalFields {
		if s, ok := refDecodeField[string](obj[f], fieldPath{f}, &e, "a string"); ok {
			in.Fields[f] = s
		}
	}
	v.refPersonal(in, &e)
	v.refIdentifiers(in, obj["identifiers"], d, requireID, refTruthy(obj["sendWelcomeEmail"]), &e)
	if tags, ok := refDecodeField[[]string](obj["tags"], fieldPath{"tags"}, &e, "an array of strings"); ok {
		in.Tags, in.HasTags = tags, true
		v.refTags(tags, fieldPath{"tags"}, &e)
	}
	in.Props = v.refProperties(obj["customProperties"], &e)
	if d == dialect2026 {
		if s, ok := refDecodeField[string](obj["createdAt"], fieldPath{"createdAt"}, &e, "a string"); ok {
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

func refTruthy(raw json.RawMessage) bool { return bytes.Equal(bytes.TrimSpace(raw), []byte("true")) }

func (v *refValidator) refPersonal(in *refInput, e *errs) {
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

func (v *refValidator) refTags(tags []string, p fieldPath, e *errs) {
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
func (v *refValidator) refProperties(raw json.RawMessage, e *errs) map[string]any {
	p := fieldPath{"customProperties"}
	props, ok := refDecodeField[map[string]any](raw, p, e, "an object")
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

// email normalizes and checks an address: trimmed, lower-cased, one @, a
// dotted domain, accepted by net/mail.
func refValidEmail(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s {
		return s, false
	}
	at := strings.LastIndexByte(s, '@')
	return s, at > 0 && strings.Contains(s[at+1:], ".") && !strings.HasSuffix(s, ".")
}

// identifiers validates the identifiers array: type email|phone, a valid id
// (e-mail, or E.164 phone), at most one of each type, channels matching the
// type (required in v3), statuses and their dates.
func (v *refValidator) refIdentifiers(in *refInput, raw json.RawMessage, d dialect, requireID, welcomeV3 bool, e *errs) {
	p := fieldPath{"identifiers"}
	list, ok := refDecodeField[[]json.RawMessage](raw, p, e, "an array")
	if !ok || len(list) == 0 {
		if requireID {
			e.add(p, "required", "At least one identifier (email or phone) is required")
		}
		return
	}
	for i, item := range list {
		ip := at(p, i)
		obj, ok := refDecodeField[map[string]json.RawMessage](item, ip, e, "an object")
		if !ok {
			continue
		}
		typ, id, ok := v.refIdentifierID(obj, ip, e)
		if !ok {
			continue
		}
		ident := &identifierInput{ID: id, Welcome: v.refWelcome(obj, ip, d, welcomeV3, e)}
		v.refChannels(ident, obj["channels"], typ, ip, d, e)
		ident.Consent = refConsent(obj["consent"], at(ip, "consent"), e)
		slot := &in.Email
		if typ == "phone" {
			slot = &in.Phone
		}
		if *slot != nil {
			e.add(ip, "invalid_value", "A contact can have only one "+typ+" identifier")
			continue
		}
		*slot = ident
	}
}

func (v *refValidator) refIdentifierID(obj map[string]json.RawMessage, ip fieldPath, e *errs) (typ, id string, ok bool) {
	typ, hasType := refDecodeField[string](obj["type"], at(ip, "type"), e, "a string")
	id, hasID := refDecodeField[string](obj["id"], at(ip, "id"), e, "a string")
	if !hasType {
		e.add(at(ip, "type"), "required", "Field required")
	}
	if !hasID || id == "" {
		e.add(at(ip, "id"), "required", "Field required")
		return "", "", false
	}
	switch typ {
	case "email":
		norm, valid := refValidEmail(id)
		if !valid {
			e.add(at(ip, "id"), "invalid_format", "Must be a valid email address")
		}
		return typ, norm, valid
	case "phone":
		if !v.phone.MatchString(id) {
			e.add(at(ip, "id"), "invalid_format", "Must be a phone number in E.164 format, e.g. +14155550123")
			return typ, id, false
		}
		return typ, id, true
	case "":
		return "", "", false
	default:
		e.add(at(ip, "type"), "invalid_value", "Must be one of: email, phone")
		return "", "", false
	}
}

// welcome reports whether a welcome message is requested: 2026-03-15
// defaults sendWelcomeMessage to true; v3 defaults to false unless the
// top-level sendWelcomeEmail or the identifier's sendWelcomeMessage is true.
func (v *refValidator) refWelcome(obj map[string]json.RawMessage, ip fieldPath, d dialect, welcomeV3 bool, e *errs) bool {
	w, ok := refDecodeField[bool](obj["sendWelcomeMessage"], at(ip, "sendWelcomeMessage"), e, "a boolean")
	if ok {
		return w
	}
	return d == dialect2026 || welcomeV3
}

func (v *refValidator) refChannels(ident *identifierInput, raw json.RawMessage, typ string, ip fieldPath, d dialect, e *errs) {
	cp := at(ip, "channels")
	chans, ok := refDecodeField[map[string]json.RawMessage](raw, cp, e, "an object")
	if !ok {
		if d == dialectV3 {
			e.add(cp, "required", "field required but not found in Json")
		}
		return
	}
	want := map[string]string{"email": "email", "phone": "sms"}[typ]
	dateField := map[dialect]string{dialect2026: "statusChangedAt", dialectV3: "statusDate"}[d]
	for _, name := range slices.Sorted(maps.Keys(chans)) {
		chRaw := chans[name]
		chp := at(cp, name)
		if name != want {
			e.add(chp, "invalid_value", "Channel "+name+" is not valid for identifier type "+typ+" (want "+want+")")
			continue
		}
		ch, ok := refDecodeField[map[string]json.RawMessage](chRaw, chp, e, "an object")
		if !ok {
			continue
		}
		status, has := refDecodeField[string](ch["status"], at(chp, "status"), e, "a string")
		switch {
		case !has && d == dialect2026:
			e.add(at(chp, "status"), "required", "Field required")
		case !has:
			status = "subscribed" // v3 schema default
		case !subscriptionStatuses[status]:
			e.add(at(chp, "status"), "invalid_value", "Must be one of: subscribed, unsubscribed, nonSubscribed")
		}
		ident.Status = status
		if s, ok := refDecodeField[string](ch[dateField], at(chp, dateField), e, "a string"); ok {
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				e.add(at(chp, dateField), "invalid_format", "Must be an RFC3339 date-time")
			}
			ident.ChangedAt = t
		}
	}
}

func refConsent(raw json.RawMessage, p fieldPath, e *errs) *consentRecord {
	obj, ok := refDecodeField[map[string]json.RawMessage](raw, p, e, "an object")
	if !ok {
		return nil
	}
	rec := &consentRecord{}
	rec.Source, _ = refDecodeField[string](obj["source"], at(p, "source"), e, "a string")
	rec.IP, _ = refDecodeField[string](obj["ip"], at(p, "ip"), e, "a string")
	rec.UserAgent, _ = refDecodeField[string](obj["userAgent"], at(p, "userAgent"), e, "a string")
	if s, ok := refDecodeField[string](obj["createdAt"], at(p, "createdAt"), e, "a string"); ok {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			e.add(at(p, "createdAt"), "invalid_format", "Must be an RFC3339 date-time")
		}
		rec.CreatedAt = t
	}
	return rec
}
