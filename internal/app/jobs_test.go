package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/export"
	"segbridge/internal/jobs"
	"segbridge/internal/omnisend/sandbox"
	"segbridge/internal/run"
)

// waitFinal waits for run id to be final and returns it.
func (e *e2e) waitFinal(id int64) run.Run {
	e.t.Helper()
	var r run.Run
	require.Eventually(e.t, func() bool {
		var err error
		r, err = e.a.Store.GetRun(e.ctx, id)
		require.NoError(e.t, err)
		return r.Status.Final()
	}, 60*time.Second, 20*time.Millisecond)
	return r
}

// startJobs starts the app's River client and stops it when the test ends.
func (e *e2e) startJobs() {
	e.t.Helper()
	require.NoError(e.t, e.a.Jobs.Start(e.ctx, jobs.StartOptions{}))
	e.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		require.NoError(e.t, e.a.Jobs.Stop(ctx))
	})
}

// TestRunJobRoundTrip enqueues a run as a River job; the started client
// works it to success against the sandbox.
func TestRunJobRoundTrip(t *testing.T) {
	onEachEngine(t, func(t *testing.T, dbURL string) {
		e := newE2E(t, dbURL, 500, sandbox.FaultConfig{})
		r, err := e.a.Store.CreateRun(e.ctx, e.export.ID, run.TriggerManual, time.Now())
		require.NoError(t, err)
		job, err := e.a.Jobs.Enqueue(e.ctx, r.ID)
		require.NoError(t, err)
		again, err := e.a.Jobs.Enqueue(e.ctx, r.ID)
		require.NoError(t, err)
		require.Equal(t, job.ID, again.ID, "a run has one unfinished job")

		e.startJobs()
		done := e.waitFinal(r.ID)
		require.Equal(t, run.StatusSucceeded, done.Status, done.Message)
		require.Positive(t, done.Counts.Added)
		e.requireExact(nil)
	})
}

// TestSystemRefresh queues runs only for active 'refresh' exports without
// a run in progress, and records the refresh.
func TestSystemRefresh(t *testing.T) {
	onEachEngine(t, func(t *testing.T, dbURL string) {
		e := newE2E(t, dbURL, 200, sandbox.FaultConfig{})
		manual := e.addExport("Manual", export.Schedule{Kind: export.ScheduleManual}, true)
		paused := e.addExport("Paused", export.Schedule{}, true)
		paused.Active = false
		_, err := e.a.Store.UpdateExport(e.ctx, paused)
		require.NoError(t, err)
		busy := e.addExport("Busy", export.Schedule{}, true)
		inProgress, err := e.a.Store.CreateRun(e.ctx, busy.ID, run.TriggerManual, time.Now())
		require.NoError(t, err)

		rec, err := e.a.Jobs.Refresh(e.ctx)
		require.NoError(t, err)
		require.Equal(t, 1, rec.Runs, "only the main export gets a run")
		require.Positive(t, rec.Segments)
		require.Contains(t, rec.Message, `"Busy" has a run in progress`)

		runs, err := e.a.Store.ListRuns(e.ctx, e.export.ID, 5)
		require.NoError(t, err)
		require.Len(t, runs, 1)
		require.Equal(t, run.TriggerRefresh, runs[0].Trigger)
		for _, ex := range []export.Export{manual, paused} {
			got, err := e.a.Store.ListRuns(e.ctx, ex.ID, 5)
			require.NoError(t, err)
			require.Empty(t, got, ex.Name)
		}
		got, err := e.a.Store.ListRuns(e.ctx, busy.ID, 5)
		require.NoError(t, err)
		require.Len(t, got, 1)
		require.Equal(t, inProgress.ID, got[0].ID)

		list, err := e.a.Store.ListRefreshes(e.ctx, 0)
		require.NoError(t, err)
		require.Len(t, list, 1)
		require.Equal(t, "succeeded", list[0].Status)

		e.startJobs()
		done := e.waitFinal(runs[0].ID)
		require.Equal(t, run.StatusSucceeded, done.Status, done.Message)
	})
}

// TestCronExportQueuedOnce queues a due cron export once, however often
// the check runs.
func TestCronExportQueuedOnce(t *testing.T) {
	onEachEngine(t, func(t *testing.T, dbURL string) {
		e := newE2E(t, dbURL, 100, sandbox.FaultConfig{})
		// Saved an hour ago: the schedule has fired since.
		ex := e.addExport("Every minute", export.Schedule{Kind: export.ScheduleCron, Cron: "* * * * *"}, true)
		e.addExport("Manual", export.Schedule{Kind: export.ScheduleManual}, true)

		n, err := e.a.Jobs.CheckCron(e.ctx)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		n, err = e.a.Jobs.CheckCron(e.ctx)
		require.NoError(t, err)
		require.Zero(t, n, "queued once")
		runs, err := e.a.Store.ListRuns(e.ctx, ex.ID, 5)
		require.NoError(t, err)
		require.Len(t, runs, 1)
		require.Equal(t, run.TriggerSchedule, runs[0].Trigger)
	})
}

// addExport adds an export of the main export's segments and connection.
func (e *e2e) addExport(name string, sched export.Schedule, backdate bool) export.Export {
	e.t.Helper()
	at := time.Now()
	if backdate {
		at = at.Add(-time.Hour)
	}
	ex := e.export
	ex.ID, ex.Name, ex.Schedule, ex.CreatedAt, ex.UpdatedAt = 0, name, sched.WithDefaults(), at, at
	ex, err := e.a.Store.CreateExport(e.ctx, ex)
	require.NoError(e.t, err)
	return ex
}
