package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/export"
	"segbridge/internal/run"
)

func runBrake(t *testing.T, newStore NewStore) {
	t.Run("ExportBrakeRoundTrip", func(t *testing.T) { testBrakeRoundTrip(t, newStore) })
	t.Run("HoldAndDecide", func(t *testing.T) { testHoldAndDecide(t, newStore) })
}

// testBrakeRoundTrip stores an export's removal brake and reads it back,
// on create and on update.
func testBrakeRoundTrip(t *testing.T, newStore NewStore) {
	f := setupRuns(t, newStore)
	e, err := f.st.GetExport(f.ctx, "Weekly VIPs")
	require.NoError(t, err)
	require.Equal(t, e.Brake, export.DefaultBrake(), "the fixture's export has the default brake")
	e.Brake = export.Brake{UntagPercent: 25, UntagMin: 0, SkipPercent: export.BrakeOff, DropPercent: 5}
	saved, err := f.st.UpdateExport(f.ctx, e)
	require.NoError(t, err)
	require.Equal(t, e.Brake, saved.Brake)
	list, err := f.st.ListExports(f.ctx)
	require.NoError(t, err)
	for _, x := range list {
		if x.ID == e.ID {
			require.Equal(t, e.Brake, x.Brake)
		}
	}
}

// testHoldAndDecide: a run's hold reason is saved with it; a held run
// blocks its export; a decision is taken once (discarding again is
// allowed), approving queues the run again, and SaveRun never undoes a
// decision.
func testHoldAndDecide(t *testing.T, newStore NewStore) {
	f := setupRuns(t, newStore)
	r := f.newRun(t)
	err := f.rs.DecideHold(f.ctx, r.ID, run.DecisionApproved, "ann", "approved", f.now)
	require.ErrorIs(t, err, run.ErrNotHeld, "a queued run is not held")

	r.Status, r.Step, r.Hold.Reason, r.Message = run.StatusHeld, run.StepUntag, "held: would untag 3 of 4", "held: …"
	r.StartedAt, r.FinishedAt = f.now, f.now.Add(time.Minute)
	require.NoError(t, f.rs.SaveRun(f.ctx, r))
	got, err := f.rs.GetRun(f.ctx, r.ID)
	require.NoError(t, err)
	require.Equal(t, run.Hold{Reason: "held: would untag 3 of 4"}, got.Hold)
	_, err = f.rs.CreateRun(f.ctx, f.exp, run.TriggerManual, f.now)
	require.ErrorIs(t, err, run.ErrActiveRun, "a held run blocks its export")

	at := f.now.Add(time.Hour)
	require.NoError(t, f.rs.DecideHold(f.ctx, r.ID, run.DecisionApproved, "ann@example.com", "approved by ann", at))
	got, err = f.rs.GetRun(f.ctx, r.ID)
	require.NoError(t, err)
	require.Equal(t, run.StatusQueued, got.Status)
	require.True(t, got.FinishedAt.IsZero(), "an approved run is not finished any more")
	require.Equal(t, "approved by ann", got.Message)
	require.Equal(t, run.DecisionApproved, got.Hold.Decision)
	require.Equal(t, "ann@example.com", got.Hold.By)
	require.True(t, at.Equal(got.Hold.At), "decided at %s, read %s", at, got.Hold.At)
	require.ErrorIs(t, f.rs.DecideHold(f.ctx, r.ID, run.DecisionDiscarded, "bob", "", at), run.ErrNotHeld, "decided already")

	got.Status = run.StatusRunning
	require.NoError(t, f.rs.SaveRun(f.ctx, got))
	again, err := f.rs.GetRun(f.ctx, r.ID)
	require.NoError(t, err)
	require.Equal(t, got.Hold, again.Hold, "SaveRun keeps the decision")

	// Another export's held run, discarded twice (an interrupted discard
	// is finished by discarding again), and never approved after that.
	o := f.newRunOf(t, f.other)
	o.Status, o.Hold.Reason = run.StatusHeld, "held: members fell"
	require.NoError(t, f.rs.SaveRun(f.ctx, o))
	require.NoError(t, f.rs.DecideHold(f.ctx, o.ID, run.DecisionDiscarded, "bob", "m", at))
	require.NoError(t, f.rs.DecideHold(f.ctx, o.ID, run.DecisionDiscarded, "bob", "m", at))
	require.ErrorIs(t, f.rs.DecideHold(f.ctx, o.ID, run.DecisionApproved, "ann", "m", at), run.ErrNotHeld)
	got, err = f.rs.GetRun(f.ctx, o.ID)
	require.NoError(t, err)
	require.Equal(t, run.StatusHeld, got.Status, "discarding leaves the run held until run.Discard finishes it")
}
