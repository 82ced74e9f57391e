package run

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// contactChanges lists the fields of contact (omnisend.Contact as JSON)
// that differ from old (nil: none), old → new, by field name (custom
// properties as custom.NAME). Email identifies the contact and Tags are
// reported apart, so neither is listed.
func contactChanges(old, contact []byte) ([]FieldChange, error) {
	before, err := contactFields(old)
	if err != nil {
		return nil, fmt.Errorf("last confirmed contact: %w", err)
	}
	after, err := contactFields(contact)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(after)+len(before))
	for k := range after {
		names = append(names, k)
	}
	for k := range before {
		if _, ok := after[k]; !ok {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	var out []FieldChange
	for _, k := range names {
		if before[k] != after[k] {
			out = append(out, FieldChange{Field: k, Old: before[k], New: after[k]})
		}
	}
	return out, nil
}

// contactFields flattens a contact's JSON into its set fields as text.
func contactFields(contact []byte) (map[string]string, error) {
	out := map[string]string{}
	if len(contact) == 0 {
		return out, nil
	}
	var m map[string]any
	if err := json.Unmarshal(contact, &m); err != nil {
		return nil, err
	}
	for k, v := range m {
		switch k {
		case "Email", "Tags":
			continue
		case "CustomProperties":
			props, _ := v.(map[string]any)
			for name, pv := range props {
				out["custom."+name] = fieldText(pv)
			}
			continue
		case "StatusDate":
			if t, err := time.Parse(time.RFC3339Nano, fmt.Sprint(v)); err == nil && t.IsZero() {
				continue // not set
			}
		}
		if s := fieldText(v); s != "" {
			out[fieldName(k)] = s
		}
	}
	return out, nil
}

// fieldName turns a contact's Go field name into the API's spelling:
// FirstName → first_name.
func fieldName(k string) string {
	var b strings.Builder
	for i, r := range k {
		if r >= 'A' && r <= 'Z' {
			if i > 0 {
				b.WriteByte('_')
			}
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

func fieldText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
