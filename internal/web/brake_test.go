package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/connection"
	"segbridge/internal/export"
	"segbridge/internal/run"
)

// TestExportFormBrakeAndHeldRun: the export form saves the removal
// brake's thresholds (blank ones take their defaults) and names a bad one
// as its label; the export page shows them; Run now on an export with a
// held run leads to that run, which offers Approve and Discard.
func TestExportFormBrakeAndHeldRun(t *testing.T) {
	b := setup(t, setupOpts{profiles: 50})
	seg := b.segment("Buyers", `p.orders >= 1`)
	c := b.connection("Acme", connection.AccessContributors)
	contrib := b.login(contributorEmail)
	form := url.Values{"name": {"Braked"}, "connection": {fmt.Sprint(c.ID)}, "segment": {fmt.Sprint(seg.ID)},
		"map_email": {"email"}, "leave": {"untag"}, "schedule": {"manual"}, "cap": {"5000"}, "active": {"yes"},
		"brake_untag_percent": {"25 %"}, "brake_untag_min": {"1,000"}, "brake_skip_percent": {""}, "brake_drop_percent": {"100"}}
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("brake_skip_percent", "120")
	res := contrib.post("/exports", bad)
	require.Equal(t, http.StatusBadRequest, res.status)
	besideField(t, res.body, "brake_skip_percent", "120: want a percentage from 0 to 100")
	res = contrib.post("/exports", form)
	require.Equal(t, http.StatusSeeOther, res.status, res.body)
	e, err := b.a.Store.GetExport(b.ctx, "Braked")
	require.NoError(t, err)
	require.Equal(t, export.Brake{UntagPercent: 25, UntagMin: 1000, SkipPercent: 50, DropPercent: 100}, e.Brake)
	page := contrib.get(fmt.Sprintf("/exports/%d", e.ID)).body
	require.Contains(t, page, "untags over 25 % and over 1,000 contacts; skipped members over 50 %; members falling: off")

	r, err := b.a.Store.CreateRun(b.ctx, e.ID, run.TriggerManual, time.Now())
	require.NoError(t, err)
	r.Status, r.Step, r.Hold.Reason = run.StatusHeld, run.StepUntag, "held: would untag 30 of 40 confirmed contacts (75 %, threshold 25 % and 1,000)"
	r.Message = r.Hold.Reason
	require.NoError(t, b.a.Store.SaveRun(b.ctx, r))
	res = contrib.post(fmt.Sprintf("/exports/%d/run", e.ID), nil)
	require.Equal(t, http.StatusSeeOther, res.status)
	require.Equal(t, fmt.Sprintf("/runs/%d", r.ID), res.location)
	held := contrib.get(res.location).body
	require.Contains(t, held, "approve or discard its untags first")
	require.Contains(t, held, `id="approve"`)
	require.Contains(t, held, `id="discard"`)
	require.NotContains(t, held, `http-equiv="refresh"`, "a held run does not move: no refresh")
	require.NotContains(t, b.login(viewerEmail).get(res.location).body, `id="approve"`)
}
