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

func TestContactPayloadUnknownStatusKeepsConsent(t *testing.T) {
	t.Parallel()
	for _, d := range []Dialect{Dialect20260315, DialectV3} {
		w := contactPayload(d, Contact{Email: "a@b.c", Phone: "+14155550123"})
		require.Len(t, w.Identifiers, 2)
		for _, id := range w.Identifiers {
			require.False(t, id.SendWelcomeMessage)
			for _, ch := range id.Channels {
				require.Equal(t, StatusNonSubscribed, ch.Status)
				require.Equal(t, "2000-01-01T00:00:00Z", ch.StatusDate+ch.StatusChangedAt)
			}
		}
		require.Contains(t, w.Identifiers[1].Channels, "sms")
	}
}
