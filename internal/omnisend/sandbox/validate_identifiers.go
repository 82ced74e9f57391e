package sandbox

import (
	"encoding/json"
	"maps"
	"slices"
	"time"
)

var subscriptionStatuses = map[string]bool{"subscribed": true, "unsubscribed": true, "nonSubscribed": true}

// identifiers validates the identifiers array: type email|phone, a valid id
// (e-mail, or E.164 phone), at most one of each type, channels matching the
// type (required in v3), statuses and their dates.
func (v *validator) identifiers(in *contactInput, raw json.RawMessage, d dialect, requireID, welcomeV3 bool, e *errs) {
	p := fieldPath{"identifiers"}
	list, ok := decodeField[[]json.RawMessage](raw, p, e, "an array")
	if !ok || len(list) == 0 {
		if requireID {
			e.add(p, "required", "At least one identifier (email or phone) is required")
		}
		return
	}
	for i, item := range list {
		ip := at(p, i)
		obj, ok := decodeField[map[string]json.RawMessage](item, ip, e, "an object")
		if !ok {
			continue
		}
		typ, id, ok := v.identifierID(obj, ip, e)
		if !ok {
			continue
		}
		ident := &identifierInput{ID: id, Welcome: v.welcome(obj, ip, d, welcomeV3, e)}
		v.channels(ident, obj["channels"], typ, ip, d, e)
		ident.Consent = consent(obj["consent"], at(ip, "consent"), e)
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

func (v *validator) identifierID(obj map[string]json.RawMessage, ip fieldPath, e *errs) (typ, id string, ok bool) {
	typ, hasType := decodeField[string](obj["type"], at(ip, "type"), e, "a string")
	id, hasID := decodeField[string](obj["id"], at(ip, "id"), e, "a string")
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
func (v *validator) welcome(obj map[string]json.RawMessage, ip fieldPath, d dialect, welcomeV3 bool, e *errs) bool {
	w, ok := decodeField[bool](obj["sendWelcomeMessage"], at(ip, "sendWelcomeMessage"), e, "a boolean")
	if ok {
		return w
	}
	return d == dialect2026 || welcomeV3
}

func (v *validator) channels(ident *identifierInput, raw json.RawMessage, typ string, ip fieldPath, d dialect, e *errs) {
	cp := at(ip, "channels")
	chans, ok := decodeField[map[string]json.RawMessage](raw, cp, e, "an object")
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
		ch, ok := decodeField[map[string]json.RawMessage](chRaw, chp, e, "an object")
		if !ok {
			continue
		}
		status, has := decodeField[string](ch["status"], at(chp, "status"), e, "a string")
		switch {
		case !has && d == dialect2026:
			e.add(at(chp, "status"), "required", "Field required")
		case !has:
			status = "subscribed" // v3 schema default
		case !subscriptionStatuses[status]:
			e.add(at(chp, "status"), "invalid_value", "Must be one of: subscribed, unsubscribed, nonSubscribed")
		}
		ident.Status = status
		if s, ok := decodeField[string](ch[dateField], at(chp, dateField), e, "a string"); ok {
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				e.add(at(chp, dateField), "invalid_format", "Must be an RFC3339 date-time")
			}
			ident.ChangedAt = t
		}
	}
}

func consent(raw json.RawMessage, p fieldPath, e *errs) *consentRecord {
	obj, ok := decodeField[map[string]json.RawMessage](raw, p, e, "an object")
	if !ok {
		return nil
	}
	rec := &consentRecord{}
	rec.Source, _ = decodeField[string](obj["source"], at(p, "source"), e, "a string")
	rec.IP, _ = decodeField[string](obj["ip"], at(p, "ip"), e, "a string")
	rec.UserAgent, _ = decodeField[string](obj["userAgent"], at(p, "userAgent"), e, "a string")
	if s, ok := decodeField[string](obj["createdAt"], at(p, "createdAt"), e, "a string"); ok {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			e.add(at(p, "createdAt"), "invalid_format", "Must be an RFC3339 date-time")
		}
		rec.CreatedAt = t
	}
	return rec
}
