package api_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestExportConsentPolicyAPI: consent_policy in the export body (create
// and update) and in the export shown; keep is the default; opt-ins and
// mirror need a dated consent mapping; an unknown policy is refused.
func TestExportConsentPolicyAPI(t *testing.T) {
	onEachEngine(t, func(t *testing.T, dbURL string) {
		f := setup(t, dbURL)
		policy := func(res response) string {
			t.Helper()
			require.Equal(t, http.StatusOK, res.status, string(res.body))
			var e map[string]any
			require.NoError(t, json.Unmarshal(res.body, &e))
			return e["consent_policy"].(string)
		}
		require.Equal(t, "keep", policy(f.do("admin", request{method: "GET", path: "/exports/Admin Export"})), "the default")

		res := f.do("admin", request{method: "PATCH", path: "/exports/Admin Export", body: map[string]any{"consent_policy": "sometimes"}})
		require.Equal(t, http.StatusUnprocessableEntity, res.status, string(res.body))
		require.Contains(t, string(res.body), "consent_policy")
		res = f.do("admin", request{method: "PATCH", path: "/exports/Admin Export", body: map[string]any{"consent_policy": "mirror"}})
		require.Equal(t, http.StatusUnprocessableEntity, res.status, string(res.body))
		require.Contains(t, string(res.body), "mirror sends the mapped consent status: map the consent attribute and its date attribute")

		mapping := map[string]any{"email": "email", "first_name": "first_name",
			"consent": map[string]any{"attribute": "email_consent", "date_attribute": "email_consent_date"}}
		res = f.do("admin", request{method: "PATCH", path: "/exports/Admin Export",
			body: map[string]any{"consent_policy": "opt-ins", "mapping": mapping}})
		require.Equal(t, "opt-ins", policy(res))
		require.Equal(t, "opt-ins", policy(f.do("admin", request{method: "GET", path: "/exports/Admin Export"})))

		res = f.do("admin", request{method: "POST", path: "/exports", body: map[string]any{"name": "Mirrored", "connection": "Admins Only",
			"segments": []string{"Buyers"}, "mapping": mapping, "consent_policy": "mirror"}})
		require.Equal(t, http.StatusCreated, res.status, string(res.body))
		require.Contains(t, string(res.body), `"consent_policy":"mirror"`)
	})
}
