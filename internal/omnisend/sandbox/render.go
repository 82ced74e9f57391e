package sandbox

import (
	"maps"
	"time"
)

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// contact2026 renders c as the 2026-03-15 ContactResponse.
func (b *brandState) contact2026(c *contact) map[string]any {
	m := map[string]any{
		"id":               c.ID,
		"status":           c.emailStatus(),
		"identifiers":      identifiers(c, "statusChangedAt"),
		"statuses":         statuses(c),
		"phone":            []string{},
		"tags":             append([]string{}, c.Tags...),
		"customProperties": props(c),
		"consents":         consents2026(c),
		"optIns":           optIns(c),
		"segments":         b.segmentIDs(c),
		"createdAt":        ts(c.CreatedAt),
		"updatedAt":        ts(c.UpdatedAt),
	}
	if c.Email != "" {
		m["email"] = c.Email
	}
	if c.Phone != "" {
		m["phone"] = []string{c.Phone}
	}
	for k, v := range c.Fields.all() {
		m[k] = v
	}
	return m
}

// contactV3 renders c as the v3 contacts-output.
func (b *brandState) contactV3(c *contact) map[string]any {
	m := map[string]any{
		"contactID":        c.ID,
		"identifiers":      identifiers(c, "statusDate"),
		"createdAt":        ts(c.CreatedAt),
		"updatedAt":        ts(c.UpdatedAt),
		"tags":             append([]string{}, c.Tags...),
		"customProperties": props(c),
		"consents":         consentsV3(c),
		"segments":         b.segmentIDs(c),
	}
	if c.Email != "" {
		m["email"] = c.Email
	}
	if c.Phone != "" {
		m["phone"] = c.Phone
	}
	for k, v := range c.Fields.all() {
		m[k] = v
	}
	return m
}

// props copies c's custom properties ({} when there are none).
func props(c *contact) map[string]any {
	if c.Props == nil {
		return map[string]any{}
	}
	return maps.Clone(c.Props)
}

// contactRefV3 is the v3 answer to POST and PATCH: {email, contactID, phone}.
func contactRefV3(c *contact) map[string]any {
	m := map[string]any{"contactID": c.ID}
	if c.Email != "" {
		m["email"] = c.Email
	}
	if c.Phone != "" {
		m["phone"] = c.Phone
	}
	return m
}

func (b *brandState) renderContact(c *contact, d dialect) map[string]any {
	if d == dialectV3 {
		return b.contactV3(c)
	}
	return b.contact2026(c)
}

func identifiers(c *contact, dateField string) []map[string]any {
	out := []map[string]any{}
	add := func(typ, id, channel string, ch *channelState) {
		if id == "" || ch == nil {
			return
		}
		out = append(out, map[string]any{"type": typ, "id": id, "channels": map[string]any{
			channel: map[string]any{"status": ch.Status, dateField: ts(ch.ChangedAt)},
		}})
	}
	add("email", c.Email, "email", c.EmailCh)
	add("phone", c.Phone, "sms", c.SMSCh)
	return out
}

func statuses(c *contact) []map[string]any {
	out := []map[string]any{}
	if c.EmailCh != nil {
		out = append(out, map[string]any{"channel": "email", "status": c.EmailCh.Status, "statusChangedAt": ts(c.EmailCh.ChangedAt)})
	}
	if c.SMSCh != nil {
		out = append(out, map[string]any{"channel": "sms", "status": c.SMSCh.Status, "statusChangedAt": ts(c.SMSCh.ChangedAt)})
	}
	return out
}

func consents2026(c *contact) []map[string]any {
	out := []map[string]any{}
	for _, r := range c.Consents {
		out = append(out, map[string]any{"channel": r.Channel, "source": r.Source, "ip": r.IP,
			"userAgent": r.UserAgent, "createdAt": ts(r.CreatedAt)})
	}
	return out
}

func consentsV3(c *contact) []map[string]any {
	out := []map[string]any{}
	for _, r := range c.Consents {
		out = append(out, map[string]any{"source": r.Source, "ip": r.IP, "userAgent": r.UserAgent, "createdAt": ts(r.CreatedAt)})
	}
	return out
}

func optIns(c *contact) []map[string]any {
	out := []map[string]any{}
	for _, o := range c.OptIns {
		out = append(out, map[string]any{"channel": o.Channel, "optInAt": ts(o.At)})
	}
	return out
}
