package api_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestFullCheckThroughTheAPI: POST /exports/{name}/run with {"full":
// true} queues a run asked to check every member, shown in its plan;
// without a body the run chooses; the preview says how it would plan, and
// full: true previews a full check. A wrong type is a 422, not a 500.
func TestFullCheckThroughTheAPI(t *testing.T) {
	f := setup(t, "")
	f.export("Checked", "Shared")

	res := f.do("contributor", request{method: "POST", path: "/exports/Checked/plan", body: map[string]any{"full": true}})
	require.Equal(t, http.StatusOK, res.status, string(res.body))
	var pv struct {
		Plan       string `json:"plan"`
		PlanReason string `json:"plan_reason"`
	}
	require.NoError(t, json.Unmarshal(res.body, &pv))
	require.Equal(t, "full", pv.Plan)
	require.Equal(t, "a full check was asked for", pv.PlanReason)
	res = f.do("contributor", request{method: "POST", path: "/exports/Checked/plan"})
	require.Equal(t, http.StatusOK, res.status, string(res.body))
	require.NoError(t, json.Unmarshal(res.body, &pv))
	require.Equal(t, "full", pv.Plan)
	require.Equal(t, "first run", pv.PlanReason)

	res = f.do("contributor", request{method: "POST", path: "/exports/Checked/run", body: map[string]any{"full": "yes"}})
	require.Equal(t, http.StatusUnprocessableEntity, res.status, string(res.body))

	res = f.do("contributor", request{method: "POST", path: "/exports/Checked/run", body: map[string]any{"full": true}})
	require.Equal(t, http.StatusAccepted, res.status, string(res.body))
	var started struct {
		Run struct {
			ID   int64 `json:"id"`
			Plan struct {
				Full bool `json:"full_requested"`
			} `json:"plan"`
		} `json:"run"`
	}
	require.NoError(t, json.Unmarshal(res.body, &started))
	require.True(t, started.Run.Plan.Full, string(res.body))
}
