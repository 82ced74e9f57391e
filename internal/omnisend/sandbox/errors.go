package sandbox

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// dialect is one of the two API generations served side by side.
type dialect int

const (
	dialect2026 dialect = iota // /api, Omnisend-API-Key, problem details
	dialectV3                  // /v3, X-API-KEY, {"error", "fields"}
)

func (d dialect) String() string {
	if d == dialectV3 {
		return "v3"
	}
	return "2026-03-15"
}

// fieldPath is a JSON path: strings are object keys, ints are array indexes.
type fieldPath []any

// render formats the path per dialect: "identifiers.0.id" for 2026-03-15
// (the spec's "dot-separated path"), "identifiers[0].id" for v3 (as in
// Omnisend's v3 messages).
func (p fieldPath) render(d dialect) string {
	var b strings.Builder
	for i, seg := range p {
		switch s := seg.(type) {
		case int:
			if d == dialectV3 {
				fmt.Fprintf(&b, "[%d]", s)
				continue
			}
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(strconv.Itoa(s))
		default:
			if i > 0 {
				b.WriteByte('.')
			}
			fmt.Fprint(&b, s)
		}
	}
	return b.String()
}

// fieldError is one invalid field.
type fieldError struct {
	Path    fieldPath
	Code    string // "required", "invalid_format", "invalid_value", "too_many", "too_long"
	Message string
}

// apiError is every non-2xx answer a handler gives; writeError renders it in
// the request's dialect.
type apiError struct {
	Status     int
	Kind       string // problem type suffix: "validation-failed", "not-found", ...
	Title      string
	Detail     string
	Fields     []fieldError
	RetryAfter int // seconds, 429 only
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Title, e.Detail) }

func errValidation(fields ...fieldError) *apiError {
	return &apiError{Status: http.StatusBadRequest, Kind: "validation-failed", Title: "Validation failed",
		Detail: "One or more fields are invalid.", Fields: fields}
}

func errNotFound(detail string) *apiError {
	return &apiError{Status: http.StatusNotFound, Kind: "not-found", Title: "Not found", Detail: detail}
}

func errUnauthorized() *apiError {
	return &apiError{Status: http.StatusUnauthorized, Kind: "unauthorized", Title: "Unauthorized",
		Detail: "Unauthorized - authorization error (invalid basic auth data or API key)"}
}

func errForbidden(detail string) *apiError {
	return &apiError{Status: http.StatusForbidden, Kind: "forbidden", Title: "Forbidden", Detail: detail}
}

func errConflict(detail string) *apiError {
	return &apiError{Status: http.StatusConflict, Kind: "conflict", Title: "Conflict", Detail: detail}
}

func errRateLimited(retryAfter int) *apiError {
	return &apiError{Status: http.StatusTooManyRequests, Kind: "rate-limit-exceeded", Title: "Rate limit exceeded",
		Detail: "Too many requests, the brand's rate limit was exceeded.", RetryAfter: retryAfter}
}

func errServer(status int) *apiError {
	return &apiError{Status: status, Kind: "problem", Title: http.StatusText(status),
		Detail: "Unexpected error occurred (injected by the sandbox)."}
}

// body renders e in dialect d. 2026-03-15: RFC 9457 problem details; v3:
// {"error": "...", "fields": {"0": ["path: reason"], ...}}.
func (e *apiError) body(d dialect, requestID string) any {
	if d == dialectV3 {
		return e.v3Body()
	}
	p := map[string]any{
		"type":     "https://problems.omnisend.com/" + e.Kind,
		"title":    e.Title,
		"status":   e.Status,
		"detail":   e.Detail,
		"instance": "urn:omnisend:request:" + requestID,
	}
	if len(e.Fields) > 0 {
		errs := make([]map[string]string, len(e.Fields))
		for i, f := range e.Fields {
			errs[i] = map[string]string{"field": f.Path.render(d), "code": f.Code, "message": f.Message}
		}
		p["errors"] = errs
	}
	if e.Status == http.StatusTooManyRequests {
		p["retryAfter"] = e.RetryAfter
	}
	return p
}

func (e *apiError) v3Body() any {
	if len(e.Fields) == 0 {
		return map[string]any{"error": e.Detail}
	}
	fields := make(map[string][]string, len(e.Fields))
	for i, f := range e.Fields {
		fields[strconv.Itoa(i)] = []string{f.Path.render(dialectV3) + ": " + f.Message}
	}
	return map[string]any{
		"error":  fmt.Sprintf("%d error(s) found. Check 'fields' array for details.", len(e.Fields)),
		"fields": fields,
	}
}
