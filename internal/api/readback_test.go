package api_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestVerifyAndExplainAPI: a verify's answer carries its cost and its
// findings; explain shows only the exports the caller may see.
func TestVerifyAndExplainAPI(t *testing.T) {
	t.Parallel()
	f := setup(t, "")
	var est struct {
		Estimate struct{ Requests, State int }
		Requests int
	}
	res := f.do("contributor", request{method: "POST", path: "/exports/Shared%20Export/verify", body: map[string]any{"estimate_only": true}})
	require.Equal(t, http.StatusOK, res.status, string(res.body))
	require.NoError(t, json.Unmarshal(res.body, &est))
	require.Equal(t, 1, est.Estimate.Requests)
	require.Positive(t, est.Estimate.State)
	require.Zero(t, est.Requests, "an estimate asks Omnisend nothing")

	var rep struct {
		Findings []any
		Requests int
		Listed   int
		Repaired int
	}
	res = f.do("admin", request{method: "POST", path: "/exports/Shared%20Export/verify", body: map[string]any{"repair": "all"}})
	require.Equal(t, http.StatusOK, res.status, string(res.body))
	require.NoError(t, json.Unmarshal(res.body, &rep))
	require.Empty(t, rep.Findings)
	require.Positive(t, rep.Listed)
	require.Equal(t, 1, rep.Requests)
	res = f.do("admin", request{method: "POST", path: "/exports/Shared%20Export/verify", body: map[string]any{"repair": "some"}})
	require.Equal(t, http.StatusUnprocessableEntity, res.status)

	// A run in progress: 409.
	f.queuedRun(f.export("Busy", "Shared"))
	res = f.do("admin", request{method: "POST", path: "/exports/Busy/verify"})
	require.Equal(t, http.StatusConflict, res.status, string(res.body))
	require.Contains(t, string(res.body), "in progress")

	p, err := f.a.Store.GetProfile(f.ctx, f.profileID)
	require.NoError(t, err)
	email := p.Attrs["email"].(string)
	var ex struct {
		Email   string
		Exports []struct {
			Export   string
			Profiles []struct{ ID string }
		}
	}
	res = f.do("contributor", request{method: "GET", path: "/explain?email=" + url.QueryEscape(email)})
	require.Equal(t, http.StatusOK, res.status, string(res.body))
	require.NoError(t, json.Unmarshal(res.body, &ex))
	var names []string
	for _, e := range ex.Exports {
		names = append(names, e.Export)
	}
	require.ElementsMatch(t, []string{"Shared Export", "Busy"}, names, "not the admin-only export")
	require.Equal(t, f.profileID, ex.Exports[0].Profiles[0].ID)
	res = f.do("contributor", request{method: "GET", path: "/explain?email=" + url.QueryEscape(email) + "&export=Admin%20Export"})
	require.Equal(t, http.StatusNotFound, res.status)
	res = f.do("admin", request{method: "GET", path: "/explain?email=" + url.QueryEscape(email) + "&export=Admin%20Export"})
	require.Equal(t, http.StatusOK, res.status)
}
