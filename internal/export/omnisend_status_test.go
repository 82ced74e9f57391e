package export

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/omnisend"
	"segbridge/internal/profile"
)

// TestContactKeepsOmnisendUnsubscribe: a mapped status never lifts an
// unsubscribe made in Omnisend (read back onto the profile) unless it is
// dated after it; a tie goes to the unsubscribe.
func TestContactKeepsOmnisendUnsubscribe(t *testing.T) {
	t.Parallel()
	m := Mapping{Email: "e", Consent: &ConsentMapping{Attribute: "s", DateAttribute: "d"}}
	unsubAt := time.Date(2026, 5, 2, 9, 0, 0, 0, time.UTC)
	optIns := Consent{Policy: ConsentOptIns, Now: mirrorNow.Now}
	get := func(cs Consent, attrs profile.Attrs) omnisend.Contact {
		attrs["e"] = "a@example.com"
		attrs[OmnisendStatusAttribute] = "unsubscribed"
		if _, ok := attrs[OmnisendStatusAtAttribute]; !ok {
			attrs[OmnisendStatusAtAttribute] = unsubAt.Format(time.RFC3339)
		}
		c, _ := m.Contact(profile.Profile{Attrs: attrs}, nil, cs)
		return c
	}
	for _, attrs := range []profile.Attrs{
		{"s": "subscribed", "d": "2025-01-10"},
		{"s": "subscribed", "d": "2026-05-02T09:00:00Z"},
	} {
		c := get(mirrorNow, attrs)
		require.Equal(t, omnisend.StatusUnsubscribed, c.Status, "mirror: %v", attrs)
		require.Equal(t, unsubAt, c.StatusDate, "dated as Omnisend dated it")
		c = get(optIns, attrs)
		require.Empty(t, c.Status, "opt-ins: %v: not sent", attrs)
	}
	for _, cs := range []Consent{mirrorNow, optIns} {
		c := get(cs, profile.Attrs{"s": "subscribed", "d": "2026-06-01T00:00:00Z"})
		require.Equal(t, omnisend.StatusSubscribed, c.Status, "consent given after the unsubscribe is newer and is sent")
		require.Equal(t, time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), c.StatusDate)

		c = get(cs, profile.Attrs{"s": "subscribed", "d": "2025-01-10", OmnisendStatusAtAttribute: "sometime"})
		require.Empty(t, c.Status, "an undated unsubscribe leaves the status unknown (not sent)")

		c = get(cs, profile.Attrs{"d": "2025-01-10"})
		require.Empty(t, c.Status, "no mapped status: unknown as before")
	}
	c := get(mirrorNow, profile.Attrs{"s": "unsubscribed", "d": "2024-01-01"})
	require.Equal(t, omnisend.StatusUnsubscribed, c.Status, "an unsubscribe stays one")
	require.Equal(t, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), c.StatusDate)

	// Omnisend's status alone changes nothing: subscribed in Omnisend, or
	// no consent mapping at all.
	attrs := profile.Attrs{"e": "a@example.com", "s": "subscribed", "d": "2025-01-10",
		OmnisendStatusAttribute: "subscribed", OmnisendStatusAtAttribute: unsubAt.Format(time.RFC3339)}
	c, _ = m.Contact(profile.Profile{Attrs: attrs}, nil, mirrorNow)
	require.Equal(t, omnisend.StatusSubscribed, c.Status)
	attrs[OmnisendStatusAttribute] = "unsubscribed"
	c, _ = Mapping{Email: "e"}.Contact(profile.Profile{Attrs: attrs}, nil, mirrorNow)
	require.Empty(t, c.Status, "without consent mapping the status stays unknown")
}
