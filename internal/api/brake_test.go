package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/export"
	"segbridge/internal/run"
)

// heldRun creates a run of e held by the removal brake at its untag step
// (as the executor leaves it), with nothing left to untag.
func (f *fixture) heldRun(e export.Export) int64 {
	id := f.queuedRun(e)
	r, err := f.a.Store.GetRun(f.ctx, id)
	require.NoError(f.t, err)
	r.Status, r.Step, r.StartedAt = run.StatusHeld, run.StepUntag, time.Now()
	r.Hold.Reason = "held: would untag 300 of 1,000 confirmed contacts (30 %, threshold 10 % and 100)"
	r.Message = r.Hold.Reason + "; the untags wait"
	require.NoError(f.t, f.a.Store.SaveRun(f.ctx, r))
	return id
}

// TestHeldRunThroughTheAPI: a held run shows its hold; the export's next
// run is refused with the way out; approving queues the run again with
// its decision; a second decision is a conflict; the export's brake is
// shown and changed through the export's body.
func TestHeldRunThroughTheAPI(t *testing.T) {
	f := setup(t, "")
	e := f.export("Braked", "Shared")
	id := f.heldRun(e)

	res := f.do("contributor", request{method: "GET", path: fmt.Sprintf("/runs/%d", id)})
	require.Equal(t, http.StatusOK, res.status, string(res.body))
	var got struct {
		Status string `json:"status"`
		Hold   struct {
			Reason   string `json:"reason"`
			Decision string `json:"decision"`
		} `json:"hold"`
	}
	require.NoError(t, json.Unmarshal(res.body, &got))
	require.Equal(t, "held", got.Status)
	require.Contains(t, got.Hold.Reason, "would untag 300 of 1,000")

	res = f.do("contributor", request{method: "POST", path: "/exports/Braked/run"})
	require.Equal(t, http.StatusConflict, res.status, string(res.body))
	require.Contains(t, string(res.body), fmt.Sprintf("POST /api/v1/runs/%d/approve", id))

	res = f.do("contributor", request{method: "POST", path: fmt.Sprintf("/runs/%d/approve", id)})
	require.Equal(t, http.StatusAccepted, res.status, string(res.body))
	var approved struct {
		Run struct {
			Status string `json:"status"`
			Hold   struct {
				Decision  string `json:"decision"`
				DecidedBy string `json:"decided_by"`
			} `json:"hold"`
		} `json:"run"`
		JobID int64 `json:"job_id"`
	}
	require.NoError(t, json.Unmarshal(res.body, &approved))
	require.Equal(t, "queued", approved.Run.Status)
	require.Equal(t, "approved", approved.Run.Hold.Decision)
	require.Equal(t, "contributor@example.com", approved.Run.Hold.DecidedBy)
	require.Positive(t, approved.JobID)

	res = f.do("contributor", request{method: "POST", path: fmt.Sprintf("/runs/%d/discard", id)})
	require.Equal(t, http.StatusConflict, res.status, string(res.body))
	require.Contains(t, string(res.body), "already approved")

	res = f.do("contributor", request{method: "PATCH", path: "/exports/Braked", body: map[string]any{"brake": map[string]any{"untag_percent": 25}}})
	require.Equal(t, http.StatusOK, res.status, string(res.body))
	var ex struct {
		Brake export.Brake `json:"brake"`
	}
	require.NoError(t, json.Unmarshal(res.body, &ex))
	want := export.DefaultBrake()
	want.UntagPercent = 25
	require.Equal(t, want, ex.Brake)
	res = f.do("contributor", request{method: "PATCH", path: "/exports/Braked", body: map[string]any{"brake": map[string]any{"skip_percent": 101}}})
	require.Equal(t, http.StatusUnprocessableEntity, res.status, string(res.body))
}
