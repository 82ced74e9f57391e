package omnisend

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestContactPayloadPerDialect(t *testing.T) {
	t.Parallel()
	when := time.Date(2025, 1, 10, 12, 0, 0, 0, time.FixedZone("X", 3600))
	c := Contact{Email: "  Jane@Example.COM ", Status: StatusSubscribed, StatusDate: when,
		FirstName: "Jane", CountryCode: "GB", Tags: []string{"source: segbridge"},
		CustomProperties: map[string]any{"ltv": 512.4}}
	tests := []struct {
		dialect Dialect
		want    string
	}{
		{Dialect20260315, `{"identifiers":[{"type":"email","id":"jane@example.com",
			"channels":{"email":{"status":"subscribed","statusChangedAt":"2025-01-10T11:00:00Z"}},
			"sendWelcomeMessage":false}],"firstName":"Jane","countryCode":"GB",
			"tags":["source: segbridge"],"customProperties":{"ltv":512.4}}`},
		{DialectV3, `{"identifiers":[{"type":"email","id":"jane@example.com",
			"channels":{"email":{"status":"subscribed","statusDate":"2025-01-10T11:00:00Z"}},
			"sendWelcomeMessage":false}],"firstName":"Jane","countryCode":"GB",
			"tags":["source: segbridge"],"customProperties":{"ltv":512.4},"sendWelcomeEmail":false}`},
	}
	for _, tt := range tests {
		t.Run(string(tt.dialect), func(t *testing.T) {
			t.Parallel()
			got, err := json.Marshal(contactPayload(tt.dialect, c))
			require.NoError(t, err)
			require.JSONEq(t, tt.want, string(got))
		})
	}
}

// TestContactPayloadUnknownStatusKeepsConsent: without a status (or
// without its date) no identifier carries one: 2026-03-15 leaves channels
// out, v3 (where channels is required) sends an empty object. Welcome
// messages are off on every identifier.
func TestContactPayloadUnknownStatusKeepsConsent(t *testing.T) {
	t.Parallel()
	for _, c := range []Contact{
		{Email: "a@b.c", Phone: "+14155550123"},
		{Email: "a@b.c", Phone: "+14155550123", Status: StatusSubscribed},
	} {
		for d, want := range map[Dialect]string{
			Dialect20260315: `{"identifiers":[{"type":"email","id":"a@b.c","sendWelcomeMessage":false},
				{"type":"phone","id":"+14155550123","sendWelcomeMessage":false}]}`,
			DialectV3: `{"identifiers":[{"type":"email","id":"a@b.c","channels":{},"sendWelcomeMessage":false},
				{"type":"phone","id":"+14155550123","channels":{},"sendWelcomeMessage":false}],"sendWelcomeEmail":false}`,
		} {
			got, err := json.Marshal(contactPayload(d, c))
			require.NoError(t, err)
			require.JSONEq(t, want, string(got), "%s %+v", d, c)
		}
	}
}
