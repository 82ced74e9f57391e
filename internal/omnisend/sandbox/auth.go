package sandbox

import (
	"net/http"
	"strings"
)

// APIVersion is the dated version the /api dialect serves.
const APIVersion = "2026-03-15"

const apiKeyScheme = "Omnisend-API-Key "

// authenticate finds the request's key: "Authorization: Omnisend-API-Key KEY"
// on /api, "X-API-KEY: KEY" on /v3. A missing or unknown key is a 401.
func (s *Server) authenticate(r *http.Request, d dialect) (Key, *apiError) {
	var raw string
	if d == dialectV3 {
		raw = r.Header.Get("X-API-KEY")
	} else {
		h := r.Header.Get("Authorization")
		if len(h) > len(apiKeyScheme) && strings.EqualFold(h[:len(apiKeyScheme)], apiKeyScheme) {
			raw = h[len(apiKeyScheme):]
		}
	}
	k, ok := s.keys[strings.TrimSpace(raw)]
	if raw == "" || !ok {
		return Key{}, errUnauthorized()
	}
	return k, nil
}

// checkVersion enforces the required Omnisend-Version header on /api: a
// missing header is a 400 naming it, any other version a 410 (retired).
func (s *Server) checkVersion(q *request) *apiError {
	if q.d != dialect2026 {
		return nil
	}
	v := q.r.Header.Get("Omnisend-Version")
	switch v {
	case APIVersion:
		return nil
	case "":
		return errValidation(fieldError{fieldPath{"Omnisend-Version"}, "required", "Header Omnisend-Version is required"})
	default:
		return &apiError{Status: http.StatusGone, Kind: "version-retired", Title: "Gone",
			Detail: "API version " + v + " has been retired or is unknown; use " + APIVersion}
	}
}
