package export

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/omnisend"
	"segbridge/internal/profile"
)

// TestContactKeepsOmnisendUnsubscribe: no consent mapping resubscribes a
// contact that unsubscribed in Omnisend after the mapped status's date.
func TestContactKeepsOmnisendUnsubscribe(t *testing.T) {
	t.Parallel()
	m := Mapping{Email: "e", Consent: &ConsentMapping{Attribute: "s", DateAttribute: "d"}}
	unsubAt := time.Date(2026, 5, 2, 9, 0, 0, 0, time.UTC)
	get := func(attrs profile.Attrs) omnisend.Contact {
		attrs["e"] = "a@example.com"
		attrs[OmnisendStatusAttribute] = "unsubscribed"
		if _, ok := attrs[OmnisendStatusAtAttribute]; !ok {
			attrs[OmnisendStatusAtAttribute] = unsubAt.Format(time.RFC3339)
		}
		c, _ := m.Contact(profile.Profile{Attrs: attrs}, nil)
		return c
	}
	for _, tc := range []struct {
		name  string
		attrs profile.Attrs
	}{
		{"an older opt-in", profile.Attrs{"s": "subscribed", "d": "2025-01-10"}},
		{"an undated opt-in", profile.Attrs{"s": "yes"}},
		{"an opt-in with an unreadable date", profile.Attrs{"s": "subscribed", "d": "last spring"}},
		{"an older nonSubscribed", profile.Attrs{"s": "no", "d": "2026-05-01T23:59:59Z"}},
	} {
		c := get(tc.attrs)
		require.Equal(t, omnisend.StatusUnsubscribed, c.Status, tc.name)
		require.Equal(t, unsubAt, c.StatusDate, "%s: dated as Omnisend dated it", tc.name)
	}

	c := get(profile.Attrs{"s": "subscribed", "d": "2026-06-01T00:00:00Z"})
	require.Equal(t, omnisend.StatusSubscribed, c.Status, "consent given after the unsubscribe is newer and is sent")
	require.Equal(t, time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), c.StatusDate)

	c = get(profile.Attrs{"s": "unsubscribed", "d": "2024-01-01"})
	require.Equal(t, omnisend.StatusUnsubscribed, c.Status, "an unsubscribe stays one")
	require.Equal(t, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), c.StatusDate)

	c = get(profile.Attrs{"s": "subscribed", "d": "2025-01-10", OmnisendStatusAtAttribute: "sometime"})
	require.Empty(t, c.Status, "an undated unsubscribe leaves the status unknown, which never overrides Omnisend's")

	c = get(profile.Attrs{"d": "2025-01-10"})
	require.Empty(t, c.Status, "no mapped status: unknown as before")

	// Omnisend's status alone changes nothing: subscribed in Omnisend, or
	// no consent mapping at all.
	attrs := profile.Attrs{"e": "a@example.com", "s": "subscribed", "d": "2025-01-10",
		OmnisendStatusAttribute: "subscribed", OmnisendStatusAtAttribute: unsubAt.Format(time.RFC3339)}
	c, _ = m.Contact(profile.Profile{Attrs: attrs}, nil)
	require.Equal(t, omnisend.StatusSubscribed, c.Status)
	attrs[OmnisendStatusAttribute] = "unsubscribed"
	c, _ = Mapping{Email: "e"}.Contact(profile.Profile{Attrs: attrs}, nil)
	require.Empty(t, c.Status, "without consent mapping the status stays unknown")
}
