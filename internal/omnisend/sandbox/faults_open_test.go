package sandbox

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestGatewayErrorsHTML(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *Config) { c.Faults = FaultConfig{Seed: 5, Error5xx: 1, GatewayErrors: GatewayHTML} })
	seen := map[int]int{}
	for i := range 40 {
		d, path := dialect2026, "/api/contacts"
		if i%2 == 1 {
			d, path = dialectV3, "/v3/contacts"
		}
		body := contact2026(fmt.Sprintf("g%d@example.com", i), nil)
		if d == dialectV3 {
			body = contactV3(fmt.Sprintf("g%d@example.com", i), nil)
		}
		res := b.call(d, keyMain, http.MethodPost, path, body) // spec-checked: JSON errors validate, pages are pages
		seen[res.status]++
		if res.status == http.StatusInternalServerError {
			require.Equal(t, "application/json", res.header.Get("Content-Type"), "the API's own 500 is JSON")
			continue
		}
		require.Equal(t, "text/html", res.header.Get("Content-Type"))
		require.Contains(t, string(res.raw), fmt.Sprintf("<title>%d %s</title>", res.status, http.StatusText(res.status)))
		require.Nil(t, res.body)
	}
	for _, st := range []int{500, 502, 503, 504} {
		require.Positive(t, seen[st], "status %d among %v", st, seen)
	}
	require.Empty(t, b.srv.Contacts(""), "no injected error applies the request")
	require.Equal(t, 40, b.srv.Stats().Faults["5xx"])

	// json (the default) keeps today's statuses and bodies.
	b = setup(t, func(c *Config) { c.Faults = FaultConfig{Seed: 5, Error5xx: 1} })
	for range 20 {
		res := b.api(http.MethodGet, "/api/contacts", nil)
		require.Contains(t, []int{500, 502, 503}, res.status)
		require.Equal(t, "application/json", res.header.Get("Content-Type"))
	}
}

func TestFault408(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *Config) { c.Faults = FaultConfig{Seed: 1, Timeout408: 1} })
	res := b.api(http.MethodPost, "/api/contacts", contact2026("t@example.com", nil))
	require.Equal(t, http.StatusRequestTimeout, res.status)
	require.EqualValues(t, 408, res.body["status"])
	res = b.v3(http.MethodPost, "/v3/contacts", contactV3("t@example.com", nil))
	require.Equal(t, http.StatusRequestTimeout, res.status)
	require.Equal(t, "Request timeout", res.body["error"])
	require.Empty(t, b.srv.Contacts(""), "a 408 is not applied")
	require.Equal(t, 2, b.srv.Stats().Faults["408"])

	// A fraction of 408s, reproducible per seed, other faults unchanged.
	mix := func(seed int64) []string {
		bb := setup(t, func(c *Config) { c.Faults = FaultConfig{Seed: seed, Timeout408: 0.3, Error5xx: 0.2} })
		return outcomes(bb, 50)
	}
	first := mix(11)
	require.Equal(t, first, mix(11))
	require.Contains(t, first, "408")
	require.Contains(t, first, "201")
}

func TestBlockAfterErrors(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *Config) { c.Block = BlockConfig{AfterErrors: 3, Window: time.Minute, For: 30 * time.Second} })
	bad := map[string]any{"firstName": "no identifiers"}
	for range 2 {
		require.Equal(t, http.StatusBadRequest, b.v3(http.MethodPost, "/v3/contacts", bad).status)
	}
	b.clock.Advance(61 * time.Second) // those two leave the window
	require.Equal(t, http.StatusBadRequest, b.v3(http.MethodPost, "/v3/contacts", bad).status)
	require.Equal(t, http.StatusOK, b.v3(http.MethodPost, "/v3/contacts", contactV3("ok@example.com", nil)).status,
		"two errors in the window: not blocked")
	for range 2 {
		require.Equal(t, http.StatusBadRequest, b.v3(http.MethodPost, "/v3/contacts", bad).status)
	}
	admitted := b.srv.Stats().Brands["brand-a"].Limits[limitGeneral].Admitted

	res := b.v3(http.MethodPost, "/v3/contacts", contactV3("blocked@example.com", nil))
	require.Equal(t, http.StatusForbidden, res.status)
	require.Contains(t, res.body["error"], "blocked due to many errors")
	res = b.api(http.MethodGet, "/api/contacts", nil)
	require.Equal(t, http.StatusForbidden, res.status, "the key is blocked in both dialects")
	require.Contains(t, res.body["detail"], "blocked due to many errors")
	require.Equal(t, http.StatusOK, b.call(dialect2026, keyRO, http.MethodGet, "/api/contacts", nil).status,
		"another key of the brand is not")
	require.Equal(t, admitted+1, b.srv.Stats().Brands["brand-a"].Limits[limitGeneral].Admitted,
		"blocked requests do not count against the rate limit")
	require.Equal(t, 2, b.srv.Stats().Faults["blocked"])

	b.clock.Advance(30 * time.Second)
	require.Equal(t, http.StatusOK, b.v3(http.MethodPost, "/v3/contacts", contactV3("later@example.com", nil)).status)
	emails := []string{}
	for _, c := range b.srv.Contacts("brand-a") {
		emails = append(emails, c["email"].(string))
	}
	require.Equal(t, "ok@example.com later@example.com", strings.Join(emails, " "))
}
