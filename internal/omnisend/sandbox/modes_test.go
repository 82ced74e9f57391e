package sandbox

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// postStatus upserts s@example.com on 2026-03-15 with an email status.
func postStatus(b *bundle, status, at string) *result {
	b.t.Helper()
	body := contact2026("s@example.com", nil)
	ident := body["identifiers"].([]any)[0].(map[string]any)
	ident["channels"] = map[string]any{"email": map[string]any{"status": status, "statusChangedAt": at}}
	return b.api(http.MethodPost, "/api/contacts", body)
}

func emailChannel(t *testing.T, res *result) map[string]any {
	t.Helper()
	ident := list(t, res.body, "identifiers")[0].(map[string]any)
	return ident["channels"].(map[string]any)["email"].(map[string]any)
}

func TestTagsOnUpsertModes(t *testing.T) {
	t.Parallel()
	for mode, want := range map[TagsMode][]any{TagsUnion: {"merchant", "x", "y"}, TagsReplace: {"y"}} {
		b := setup(t, func(c *Config) { c.TagsOnUpsert = mode })
		b.api(http.MethodPost, "/api/contacts", contact2026("a@example.com", map[string]any{"tags": []string{"merchant", "x"}}))
		res := b.api(http.MethodPost, "/api/contacts", contact2026("a@example.com", map[string]any{"tags": []string{"y"}}))
		require.Equal(t, want, res.body["tags"], mode)
		// Batch items and v3 follow the same rule.
		b.v3(http.MethodPost, "/v3/batches", batchBody(1, func(int) map[string]any {
			return contactV3("a@example.com", map[string]any{"tags": []string{"z"}})
		}))
		b.clock.Advance(10 * DefaultBatchDelay)
		tags := b.srv.Contacts("brand-a")[0]["tags"]
		if mode == TagsReplace {
			require.Equal(t, []string{"z"}, tags)
		} else {
			require.Equal(t, []string{"merchant", "x", "y", "z"}, tags)
		}
	}
	// The deprecated switch still works; contradicting TagsOnUpsert is refused.
	b := setup(t, func(c *Config) { c.ReplaceTags = true })
	b.api(http.MethodPost, "/api/contacts", contact2026("a@example.com", map[string]any{"tags": []string{"x"}}))
	require.Equal(t, []any{"y"}, b.api(http.MethodPost, "/api/contacts",
		contact2026("a@example.com", map[string]any{"tags": []string{"y"}})).body["tags"])
	_, err := New(Config{ReplaceTags: true, TagsOnUpsert: TagsUnion})
	require.EqualError(t, err, "sandbox: ReplaceTags contradicts TagsOnUpsert (set only TagsOnUpsert)")
}

func TestStatusDowngradeModes(t *testing.T) {
	t.Parallel()
	for _, mode := range []DowngradeMode{DowngradeAllow, DowngradeBlock} {
		b := setup(t, func(c *Config) { c.StatusDowngrade = mode })
		require.Equal(t, "subscribed", postStatus(b, "subscribed", "2025-06-01T00:00:00Z").body["status"])
		res := postStatus(b, "nonSubscribed", "2025-07-01T00:00:00Z")
		if mode == DowngradeAllow {
			require.Equal(t, "nonSubscribed", res.body["status"], "the newer date wins")
			continue
		}
		require.Equal(t, "subscribed", res.body["status"], "nonSubscribed never replaces subscribed")
		require.Equal(t, "2025-06-01T00:00:00Z", emailChannel(t, res)["statusChangedAt"])
		res = postStatus(b, "unsubscribed", "2025-08-01T00:00:00Z")
		require.Equal(t, "unsubscribed", res.body["status"], "an opt-out is not a downgrade")
		res = postStatus(b, "nonSubscribed", "2025-09-01T00:00:00Z")
		require.Equal(t, "unsubscribed", res.body["status"], "nor does it replace unsubscribed")
		res = postStatus(b, "subscribed", "2025-05-01T00:00:00Z")
		require.Equal(t, "unsubscribed", res.body["status"], "the date rule still holds")
	}
}

func TestFutureStatusDatesModes(t *testing.T) {
	t.Parallel()
	// The sandbox clock starts at 2026-03-20T12:00:00Z.
	for _, mode := range []FutureDatesMode{FutureDatesKeep, FutureDatesDrop} {
		b := setup(t, func(c *Config) { c.FutureStatusDates = mode })
		res := postStatus(b, "subscribed", "2027-01-01T00:00:00Z")
		require.Equal(t, "subscribed", res.body["status"])
		later := postStatus(b, "unsubscribed", "2026-03-21T00:00:00Z")
		if mode == FutureDatesKeep {
			require.Equal(t, "2027-01-01T00:00:00Z", emailChannel(t, res)["statusChangedAt"])
			require.Equal(t, "subscribed", later.body["status"], "the stored future date outranks a real one")
			continue
		}
		require.Equal(t, "2026-03-20T12:00:00Z", emailChannel(t, res)["statusChangedAt"], "dated when applied")
		require.Equal(t, "unsubscribed", later.body["status"])
	}
}

func TestConfigValidatesModes(t *testing.T) {
	t.Parallel()
	c := Config{}.WithDefaults()
	require.Equal(t, TagsUnion, c.TagsOnUpsert)
	require.Equal(t, DowngradeAllow, c.StatusDowngrade)
	require.Equal(t, FutureDatesKeep, c.FutureStatusDates)
	require.Equal(t, CursorsPlain, c.Cursors)
	require.Equal(t, HeadersNone, c.RateLimit.Headers)
	require.Equal(t, GatewayJSON, c.Faults.GatewayErrors)
	require.Equal(t, 1_000_000, c.MaxBodyBytes)
	require.True(t, c.RateLimit.RetryAfter.IsZero())
	require.Zero(t, c.Block.AfterErrors)
	cases := map[string]func(*Config){
		`sandbox: TagsOnUpsert must be "union" or "replace"`:                       func(c *Config) { c.TagsOnUpsert = "append" },
		`sandbox: StatusDowngrade must be "allow" or "block"`:                      func(c *Config) { c.StatusDowngrade = "deny" },
		`sandbox: FutureStatusDates must be "keep" or "drop"`:                      func(c *Config) { c.FutureStatusDates = "now" },
		`sandbox: Cursors must be "plain" or "opaque"`:                             func(c *Config) { c.Cursors = "base64" },
		`sandbox: RateLimit.Headers must be "none", "v3" or "retry-after"`:         func(c *Config) { c.RateLimit.Headers = "all" },
		"sandbox: RateLimit.RetryAfter must be whole seconds with 1 <= Min <= Max": func(c *Config) { c.RateLimit.RetryAfter = SecondsRange{5, 2} },
		`sandbox: Faults.GatewayErrors must be "json" or "html"`:                   func(c *Config) { c.Faults.GatewayErrors = "xml" },
		"sandbox: Faults.Timeout408 must be between 0 and 1":                       func(c *Config) { c.Faults.Timeout408 = 2 },
		"sandbox: MaxBodyBytes must be > 0":                                        func(c *Config) { c.MaxBodyBytes = -1 },
		"sandbox: ForeignBatches must be >= 0":                                     func(c *Config) { c.ForeignBatches = -1 },
		"sandbox: TagJitter must be >= 0":                                          func(c *Config) { c.TagJitter = -1 },
		"sandbox: Block.AfterErrors must be >= 0":                                  func(c *Config) { c.Block.AfterErrors = -1 },
		"sandbox: Block.For must be > 0":                                           func(c *Config) { c.Block.For = -1 },
	}
	for want, mutate := range cases {
		c := Config{}
		mutate(&c)
		_, err := New(c)
		require.EqualError(t, err, want)
	}
}

func TestParseSecondsRange(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]SecondsRange{"": {}, "5": {5, 5}, "1-30": {1, 30}, " 2 - 3 ": {2, 3}} {
		got, err := ParseSecondsRange(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, bad := range []string{"0-5", "5-2", "a-b", "-3", "1-", "1.5-2"} {
		_, err := ParseSecondsRange(bad)
		require.Error(t, err, bad)
		require.True(t, strings.Contains(err.Error(), "MIN-MAX"), err.Error())
	}
}
