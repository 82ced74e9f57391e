package sandbox

import (
	"bytes"
	"encoding/json"
	"maps"
	"math"
	"slices"
	"unicode/utf8"
)

// This file splits already validated JSON into raw members and elements
// without decoding it, so that a request is scanned once and each field is
// decoded once, where encoding/json would decode a map of raw members per
// object level. Everything here works on slices of a document that
// encoding/json has validated (json.Valid), which keeps the scanners simple:
// strings end at the first unescaped quote and brackets balance. Whatever
// they do not handle plainly (escaped or non-ASCII keys, escaped strings)
// is left to encoding/json, so the results are always encoding/json's.

// rawMember is one member of a JSON object: where its key (unescaped, no
// quotes) and its value are in the object's bytes.
type rawMember struct{ k0, k1, v0, v1 uint32 }

// rawObject is a JSON object split into its members, in document order.
// Like a map[string]json.RawMessage, it answers the last of duplicate keys.
type rawObject struct {
	raw     []byte
	members []rawMember
}

// objectOf builds the rawObject of a map decoded by encoding/json.
func objectOf(m map[string]json.RawMessage) rawObject {
	var o rawObject
	for _, k := range slices.Sorted(maps.Keys(m)) {
		k0 := len(o.raw)
		o.raw = append(append(o.raw, k...), m[k]...)
		o.members = append(o.members, rawMember{uint32(k0), uint32(k0 + len(k)), uint32(k0 + len(k)), uint32(len(o.raw))})
	}
	return o
}

func (o rawObject) key(i int) []byte { return o.raw[o.members[i].k0:o.members[i].k1] }

// get returns the raw value of the member name, nil when absent.
func (o rawObject) get(name string) json.RawMessage {
	for i := len(o.members) - 1; i >= 0; i-- {
		if string(o.key(i)) == name {
			m := o.members[i]
			return o.raw[m.v0:m.v1:m.v1]
		}
	}
	return nil
}

// keys returns the distinct member names, sorted.
func (o rawObject) keys() []string {
	ks := make([]string, 0, len(o.members))
	for i := range o.members {
		if k := o.key(i); !slices.Contains(ks, string(k)) {
			ks = append(ks, keyString(k))
		}
	}
	slices.Sort(ks)
	return ks
}

// keyString returns k as a string, without a copy for the channel names.
func keyString(k []byte) string {
	switch string(k) {
	case "email":
		return "email"
	case "sms":
		return "sms"
	}
	return string(k)
}

// isSpace reports JSON whitespace.
func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// valueEnd returns the index just after the JSON value starting at b[i], or
// -1 when b ends first. It does not validate: on invalid JSON the answer is
// only some index, to be checked with json.Valid.
func valueEnd(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				if i = stringEnd(b, i); i < 0 {
					return -1
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return -1
	default: // literal or number
		for i < len(b) && !isSpace(b[i]) && b[i] != ',' && b[i] != '}' && b[i] != ']' {
			i++
		}
		return i
	}
}

// stringEnd returns the index just after the string starting at b[i].
func stringEnd(b []byte, i int) int {
	for i++; i < len(b); i++ {
		q := bytes.IndexByte(b[i:], '"')
		if q < 0 {
			return -1
		}
		i += q
		esc := 0 // backslashes right before the quote: an odd count escapes it
		for j := i - 1; b[j] == '\\'; j-- {
			esc++
		}
		if esc%2 == 0 {
			return i + 1
		}
	}
	return -1
}

// firstObject returns the first JSON value of body when it is a valid
// object, as json.Decoder.Decode would read it (trailing data is ignored).
func firstObject(body []byte) ([]byte, bool) {
	i := skipSpace(body, 0)
	if i == len(body) || body[i] != '{' {
		return nil, false
	}
	end := valueEnd(body, i)
	if end < 0 || !json.Valid(body[i:end]) {
		return nil, false
	}
	return body[i:end], true
}

// splitObject splits the valid JSON object raw into members. ok is false
// when a key is escaped or not printable ASCII: decode those with
// encoding/json, which unescapes them and replaces invalid UTF-8.
func splitObject(raw []byte) (obj rawObject, ok bool) {
	if len(raw) > math.MaxUint32 {
		return obj, false
	}
	obj = rawObject{raw, make([]rawMember, 0, 8)} // a contact has about eight members
	i := skipSpace(raw, 1)
	for i < len(raw) && raw[i] != '}' {
		kEnd := stringEnd(raw, i)
		if kEnd < 0 {
			return obj, false
		}
		for _, c := range raw[i+1 : kEnd-1] {
			if c == '\\' || c < 0x20 || c >= 0x7f {
				return obj, false
			}
		}
		vStart := skipSpace(raw, skipSpace(raw, kEnd)+1) // past ':'
		vEnd := valueEnd(raw, vStart)
		if vEnd < 0 {
			return obj, false
		}
		obj.members = append(obj.members, rawMember{uint32(i + 1), uint32(kEnd - 1), uint32(vStart), uint32(vEnd)})
		if i = skipSpace(raw, vEnd); i < len(raw) && raw[i] == ',' {
			i = skipSpace(raw, i+1)
		}
	}
	return obj, true
}

// splitArray splits the valid JSON array raw into its elements, which stay
// slices of raw.
func splitArray(raw []byte) []json.RawMessage {
	var out []json.RawMessage
	i := skipSpace(raw, 1)
	for i < len(raw) && raw[i] != ']' {
		end := valueEnd(raw, i)
		if end < 0 {
			break
		}
		out = append(out, raw[i:end])
		if i = skipSpace(raw, end); i < len(raw) && raw[i] == ',' {
			i = skipSpace(raw, i+1)
		}
	}
	return out
}

// plainString decodes a valid JSON string that has no escapes and is valid
// UTF-8 — every other string needs encoding/json.
func plainString(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' {
		return "", false
	}
	s := raw[1 : len(raw)-1]
	switch string(s) { // values that recur in every request: no copy
	case "email":
		return "email", true
	case "phone":
		return "phone", true
	case "subscribed":
		return "subscribed", true
	case "unsubscribed":
		return "unsubscribed", true
	case "nonSubscribed":
		return "nonSubscribed", true
	}
	if bytes.IndexByte(s, '\\') >= 0 || !utf8.Valid(s) {
		return "", false
	}
	return string(s), true
}
