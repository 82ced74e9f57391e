package sandbox

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// paddedContact is a valid contact body of exactly n bytes (JSON allows
// trailing white space).
func paddedContact(t *testing.T, email string, n int) string {
	raw, err := json.Marshal(contact2026(email, nil))
	require.NoError(t, err)
	require.Less(t, len(raw), n)
	return string(raw) + strings.Repeat(" ", n-len(raw))
}

func TestMaxBodyBytes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	require.Equal(t, http.StatusCreated, b.api(http.MethodPost, "/api/contacts", paddedContact(t, "a@example.com", 1_000_000)).status,
		"Omnisend's 1 MB is accepted")
	res := b.api(http.MethodPost, "/api/contacts", paddedContact(t, "b@example.com", 1_000_001))
	require.Equal(t, http.StatusBadRequest, res.status)
	require.Equal(t, []string{"body"}, fieldNames(t, res))
	res = b.v3(http.MethodPost, "/v3/contacts", paddedContact(t, "c@example.com", 1_000_001))
	require.Equal(t, http.StatusBadRequest, res.status)
	require.Equal(t, []string{"body"}, fieldNames(t, res))
	reqs := b.srv.Requests()
	require.Equal(t, 1_000_000, reqs[0].BodyBytes, "the request log records body sizes")
	require.Equal(t, 1_000_001, reqs[1].BodyBytes)
	require.Len(t, b.srv.Contacts(""), 1)

	big := setup(t, func(c *Config) { c.MaxBodyBytes = 4 << 20 })
	require.Equal(t, http.StatusCreated, big.api(http.MethodPost, "/api/contacts", paddedContact(t, "d@example.com", 2<<20)).status)
}
