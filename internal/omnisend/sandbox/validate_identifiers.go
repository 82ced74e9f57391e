package sandbox

import (
	"encoding/json"
	"time"
)

var subscriptionStatuses = map[string]bool{"subscribed": true, "unsubscribed": true, "nonSubscribed": true}

// identifiers validates the identifiers array: type email|phone, a valid id
// (e-mail, or E.164 phone), at most one of each type, channels matching the
// type (required in v3), statuses and their dates.
func (v *validator) identifiers(in *contactInput, raw json.RawMessage, d dialect, requireID, welcomeV3 bool, e *errs) {
	list, ok := decodeField[[]json.RawMessage](raw, e, "an array", nil, "identifiers")
	if !ok || len(list) == 0 {
		if requireID {
			e.add(fieldPath{"identifiers"}, "required", "At least one identifier (email or phone) is required")
		}
		return
	}
	for i, item := range list {
		ip := fieldPath{"identifiers", i}
		obj, ok := decodeField[rawObject](item, e, "an object", ip)
		if !ok {
			continue
		}
		typ, id, ok := v.identifierID(obj, ip, e)
		if !ok {
			continue
		}
		ident := &identifierInput{ID: id, Welcome: v.welcome(obj, ip, d, welcomeV3, e)}
		v.channels(ident, obj.get("channels"), typ, ip, d, e)
		ident.Consent = consent(obj.get("consent"), ip, e)
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

func (v *validator) identifierID(obj rawObject, ip fieldPath, e *errs) (typ, id string, ok bool) {
	typ, hasType := decodeField[string](obj.get("type"), e, "a string", ip, "type")
	id, hasID := decodeField[string](obj.get("id"), e, "a string", ip, "id")
	if !hasType {
		e.add(at(ip, "type"), "required", "Field required")
	}
	if !hasID || id == "" {
		e.add(at(ip, "id"), "required", "Field required")
		return "", "", false
	}
	switch typ {
	case "email":
		norm, valid := validEmail(id)
		if !valid {
			e.add(at(ip, "id"), "invalid_format", "Must be a valid email address")
		}
		return typ, norm, valid
	case "phone":
		if !validPhone(id) {
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
func (v *validator) welcome(obj rawObject, ip fieldPath, d dialect, welcomeV3 bool, e *errs) bool {
	w, ok := decodeField[bool](obj.get("sendWelcomeMessage"), e, "a boolean", ip, "sendWelcomeMessage")
	if ok {
		return w
	}
	return d == dialect2026 || welcomeV3
}

// channelOf is the channel an identifier type may carry.
func channelOf(typ string) string {
	if typ == "phone" {
		return "sms"
	}
	return "email"
}

// statusDateField is the dialect's name of a channel status's date.
func statusDateField(d dialect) string {
	if d == dialectV3 {
		return "statusDate"
	}
	return "statusChangedAt"
}

func (v *validator) channels(ident *identifierInput, raw json.RawMessage, typ string, ip fieldPath, d dialect, e *errs) {
	chans, ok := decodeField[rawObject](raw, e, "an object", ip, "channels")
	if !ok {
		if d == dialectV3 {
			e.add(at(ip, "channels"), "required", "field required but not found in Json")
		}
		return
	}
	want, dateField := channelOf(typ), statusDateField(d)
	names := chans.keys()
	for _, name := range names {
		if name != want {
			e.add(at(ip, "channels", name), "invalid_value", "Channel "+name+" is not valid for identifier type "+typ+" (want "+want+")")
			continue
		}
		ch, ok := decodeField[rawObject](chans.get(name), e, "an object", ip, "channels", name)
		if !ok {
			continue
		}
		status, has := decodeField[string](ch.get("status"), e, "a string", ip, "channels", name, "status")
		switch {
		case !has && d == dialect2026:
			e.add(at(ip, "channels", name, "status"), "required", "Field required")
		case !has:
			status = "subscribed" // v3 schema default
		case !subscriptionStatuses[status]:
			e.add(at(ip, "channels", name, "status"), "invalid_value", "Must be one of: subscribed, unsubscribed, nonSubscribed")
		}
		ident.Status = canonicalStatus(status)
		if s, ok := decodeField[string](ch.get(dateField), e, "a string", ip, "channels", name, dateField); ok {
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				e.add(at(ip, "channels", name, dateField), "invalid_format", "Must be an RFC3339 date-time")
			}
			ident.ChangedAt = t
		}
	}
}

// canonicalStatus returns the package's copy of a valid status, so that a
// million stored statuses share three strings.
func canonicalStatus(s string) string {
	for _, c := range [...]string{"subscribed", "unsubscribed", "nonSubscribed"} {
		if s == c {
			return c
		}
	}
	return s
}

func consent(raw json.RawMessage, ip fieldPath, e *errs) *consentRecord {
	obj, ok := decodeField[rawObject](raw, e, "an object", ip, "consent")
	if !ok {
		return nil
	}
	rec := &consentRecord{}
	rec.Source, _ = decodeField[string](obj.get("source"), e, "a string", ip, "consent", "source")
	rec.IP, _ = decodeField[string](obj.get("ip"), e, "a string", ip, "consent", "ip")
	rec.UserAgent, _ = decodeField[string](obj.get("userAgent"), e, "a string", ip, "consent", "userAgent")
	if s, ok := decodeField[string](obj.get("createdAt"), e, "a string", ip, "consent", "createdAt"); ok {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			e.add(at(ip, "consent", "createdAt"), "invalid_format", "Must be an RFC3339 date-time")
		}
		rec.CreatedAt = t
	}
	return rec
}
