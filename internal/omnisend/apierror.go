package omnisend

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// APIError is an error response from Omnisend, parsed from either error
// format: v3's {"error", "fields"} or 2026-03-15's problem+json.
type APIError struct {
	// Status is the HTTP status code.
	Status int
	// Type is the problem type URI (2026-03-15 only).
	Type string
	// Title is the problem title (2026-03-15), or the status text.
	Title string
	// Message is Omnisend's explanation: the problem detail or v3's error.
	Message string
	// Fields lists per-field validation failures, in the order given.
	Fields []FieldError
	// RetryAfter is the server-requested wait, if any (body or header).
	RetryAfter time.Duration
	// Instance is the request trace id (2026-03-15 only).
	Instance string
}

// FieldError is one field validation failure.
type FieldError struct {
	Field   string // dot- or bracket-separated path, as Omnisend wrote it
	Code    string // e.g. "required", "invalid_format" (2026-03-15 only)
	Message string
}

// Error implements error.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "omnisend: HTTP %d", e.Status)
	if e.Title != "" {
		b.WriteString(" " + e.Title)
	}
	if e.Message != "" && e.Message != e.Title {
		b.WriteString(": " + e.Message)
	}
	for i, f := range e.Fields {
		if i == 0 {
			b.WriteString(" (")
		} else {
			b.WriteString("; ")
		}
		if f.Field != "" {
			b.WriteString(f.Field + ": ")
		}
		b.WriteString(f.Message)
		if i == len(e.Fields)-1 {
			b.WriteString(")")
		}
	}
	return b.String()
}

// errorBody is the union of both error formats.
type errorBody struct {
	// 2026-03-15 problem details.
	Type       string         `json:"type"`
	Title      string         `json:"title"`
	Detail     string         `json:"detail"`
	Instance   string         `json:"instance"`
	RetryAfter json.Number    `json:"retryAfter"`
	Errors     []problemField `json:"errors"`
	// v3 / v5.
	Error  any             `json:"error"`
	Fields json.RawMessage `json:"fields"`
}

type problemField struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// parseAPIError builds an APIError from a non-2xx response. It never fails:
// an HTML page (a gateway's 502/504) becomes its title, any other body it
// cannot parse the message (trimmed, at most 200 bytes).
func parseAPIError(status int, header http.Header, body []byte) *APIError {
	e := &APIError{Status: status, Title: http.StatusText(status)}
	var eb errorBody
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&eb); err != nil {
		e.Message = snippet(body)
		if title, ok := htmlTitle(body); ok {
			e.Message = "HTML page: " + title
		}
	} else {
		fillFromBody(e, &eb)
	}
	if d, ok := retryAfterHeader(header); ok && e.RetryAfter == 0 {
		e.RetryAfter = d
	}
	return e
}

func fillFromBody(e *APIError, eb *errorBody) {
	if eb.Title != "" {
		e.Title = eb.Title
	}
	e.Type, e.Instance = eb.Type, eb.Instance
	e.Message = eb.Detail
	if s, ok := eb.Error.(string); ok && e.Message == "" {
		e.Message = s
	}
	if secs, err := eb.RetryAfter.Float64(); err == nil && secs > 0 {
		e.RetryAfter = time.Duration(secs * float64(time.Second))
	}
	for _, f := range eb.Errors {
		e.Fields = append(e.Fields, FieldError(f))
	}
	e.Fields = append(e.Fields, parseV3Fields(eb.Fields)...)
}

// parseV3Fields accepts v3's "fields" as an object keyed by index
// ({"0": ["path: reason"]}) or as an array of arrays ([["path: reason"]]),
// and, leniently, as a flat array or an object of strings.
func parseV3Fields(raw json.RawMessage) []FieldError {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil
	}
	var groups [][]string
	var obj map[string]json.RawMessage
	var arr []json.RawMessage
	switch {
	case json.Unmarshal(raw, &obj) == nil:
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool { return indexLess(keys[i], keys[j]) })
		for _, k := range keys {
			groups = append(groups, stringsOf(obj[k]))
		}
	case json.Unmarshal(raw, &arr) == nil:
		for _, a := range arr {
			groups = append(groups, stringsOf(a))
		}
	default:
		groups = append(groups, stringsOf(raw))
	}
	var out []FieldError
	for _, g := range groups {
		for _, s := range g {
			out = append(out, splitFieldMessage(s))
		}
	}
	return out
}

// stringsOf reads a string or an array of strings; anything else is kept
// as its JSON text.
func stringsOf(raw json.RawMessage) []string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []string{s}
	}
	var ss []string
	if json.Unmarshal(raw, &ss) == nil {
		return ss
	}
	return []string{snippet(raw)}
}

// splitFieldMessage splits v3's "identifiers[0].channels: field required".
func splitFieldMessage(s string) FieldError {
	path, msg, ok := strings.Cut(s, ": ")
	if !ok || strings.ContainsAny(path, " \t") {
		return FieldError{Message: s}
	}
	return FieldError{Field: path, Message: msg}
}

// indexLess orders "2" before "10", then strings.
func indexLess(a, b string) bool {
	ai, aerr := strconv.Atoi(a)
	bi, berr := strconv.Atoi(b)
	if aerr == nil && berr == nil {
		return ai < bi
	}
	return a < b
}

// snippet returns a printable, bounded excerpt of a body.
func snippet(body []byte) string {
	s := strings.TrimSpace(string(body))
	if len(s) > 200 {
		s = s[:200]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
		s += "…"
	}
	return strings.Join(strings.Fields(s), " ")
}

// htmlTitle returns the <title> of an HTML page, if body is one.
func htmlTitle(body []byte) (string, bool) {
	lower := bytes.ToLower(body)
	start := bytes.Index(lower, []byte("<title>"))
	if start < 0 {
		return "", false
	}
	start += len("<title>")
	end := bytes.Index(lower[start:], []byte("</title>"))
	if end < 0 {
		return "", false
	}
	title := snippet(body[start : start+end])
	return title, title != ""
}

// rateLimitHeaders reads X-Rate-Limit-Limit, -Remaining and -Reset. Reset
// is seconds left in the period (fractions accepted); a value that can
// only be a Unix time is measured against the response's Date header.
func rateLimitHeaders(h http.Header) RateLimit {
	remaining, err := strconv.Atoi(strings.TrimSpace(h.Get("X-Rate-Limit-Remaining")))
	if err != nil || remaining < 0 {
		return RateLimit{}
	}
	rl := RateLimit{Known: true, Remaining: remaining}
	if n, err := strconv.Atoi(strings.TrimSpace(h.Get("X-Rate-Limit-Limit"))); err == nil && n > 0 {
		rl.Limit = n
	}
	secs, err := strconv.ParseFloat(strings.TrimSpace(h.Get("X-Rate-Limit-Reset")), 64)
	switch {
	case err != nil || !(secs >= 0) || math.IsInf(secs, 0): // NaN, negative, infinite
	case secs >= unixTimeSeconds:
		if now, err := http.ParseTime(h.Get("Date")); err == nil {
			rl.Reset = max(0, time.Unix(int64(secs), 0).Sub(now))
		}
	default:
		rl.Reset = time.Duration(secs * float64(time.Second))
	}
	return rl
}

// unixTimeSeconds is where a reset value stops being a plausible number of
// seconds (about 31 years) and becomes a Unix time.
const unixTimeSeconds = 1e9

// retryAfterHeader parses Retry-After as delta-seconds or as an HTTP date.
func retryAfterHeader(h http.Header) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil && secs >= 0 {
		return time.Duration(secs * float64(time.Second)), true
	}
	// An HTTP date is measured against the response's own Date header, so
	// clock skew between us and Omnisend does not matter.
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	now, err := http.ParseTime(h.Get("Date"))
	if err != nil {
		return 0, false
	}
	return max(0, t.Sub(now)), true
}
