package app_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/app"
	"segbridge/internal/omnisend"
	"segbridge/internal/omnisend/pgbudget"
	"segbridge/internal/omnisend/sandbox"
	"segbridge/internal/run"
)

// fleetProfiles and fleetScale size the fleet tests: four exports of 1,800
// to 3,000 contacts, Omnisend's minute lasting a second.
const (
	fleetProfiles = 10_000
	fleetScale    = 60
	// fleetBudget is each brand's budget per window: small enough that
	// the budget, shared by the three processes, paces the runs (a brand
	// gets about 55 requests here), as 360 would pace bigger exports.
	fleetBudget = 20
	// fleetRescue is when a dead worker's job goes to another; the job
	// timeout is a second less, longer than any run here takes.
	fleetRescue = 10 * time.Second
)

// TestWorkersShareBrandBudgets runs four exports to two brands on three
// worker processes sharing one PostgreSQL database: every run finishes
// with the exact contacts and tags, nothing is sent twice, and neither
// brand's busiest rate window passes the budget the processes share.
func TestWorkersShareBrandBudgets(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process test: skipped with -short")
	}
	t.Parallel()
	f := newFleet(t, fleetProfiles, fleetScale, fleetBudget, fleetExports())
	for range 3 {
		f.startWorker(fleetRescue)
	}
	start := time.Now()
	runs := f.enqueueAll()
	final := f.waitAll(runs, 2*time.Minute)
	elapsed := time.Since(start)
	f.requireBudgetHeld()
	f.requireExact()

	busy := 0
	for _, w := range f.workers {
		if len(w.started()) > 0 {
			busy++
		}
	}
	require.GreaterOrEqual(t, busy, 2, "the runs were spread over the workers")
	sent, want := f.sentAndWanted(runs, final)
	require.Equal(t, want, sent, "no contact sent twice")
	t.Logf("4 runs, %d contacts, on %d busy workers in %s", sent, busy, elapsed.Round(time.Millisecond))
}

// TestWorkerKilledMidRunIsRescued kills (SIGKILL) a worker process while
// it sends a run: another process resumes the run (River's rescue), every
// run ends exact, and the contacts sent twice are at most the batches the
// killed worker had in flight.
func TestWorkerKilledMidRunIsRescued(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process test: skipped with -short")
	}
	t.Parallel()
	f := newFleet(t, fleetProfiles, fleetScale, fleetBudget, fleetExports())
	base := sandboxRequestCount(f.sb)
	for range 3 {
		f.startWorker(fleetRescue)
	}
	runs := f.enqueueAll()
	victim, interrupted := f.awaitSending(runs)
	require.NoError(t, victim.cmd.Process.Kill()) // SIGKILL
	<-victim.exited
	killedAt := time.Now()
	t.Logf("killed worker %d while it ran %v", victim.cmd.Process.Pid, interrupted)

	final := f.waitAll(runs, 2*time.Minute)
	t.Logf("all runs final %s after the kill", time.Since(killedAt).Round(time.Millisecond))
	for _, id := range interrupted {
		rescuers := 0
		for _, w := range f.workers {
			if w != victim && containsRun(w.started(), id) {
				rescuers++
			}
		}
		require.Positive(t, rescuers, "run %d was finished by another worker", id)
	}
	f.requireBudgetHeld()
	f.requireExact()
	received := sandboxRequestCount(f.sb) - base // before sentAndWanted asks the sandbox
	sent, want := f.sentAndWanted(runs, final)
	inFlight := len(interrupted) * run.MaxInFlight * omnisend.Dialect20260315.MaxBatchItems()
	t.Logf("%d contacts sent for %d planned: %d twice (at most %d: the batches in flight of %d interrupted runs)",
		sent, want, sent-want, inFlight, len(interrupted))
	require.LessOrEqual(t, sent-want, inFlight, "contacts sent twice exceed the batches in flight at the kill")
	recorded := 0
	for _, r := range final {
		got, err := f.a.Store.GetRun(f.ctx, r.ID)
		require.NoError(t, err)
		recorded += got.Requests
	}
	t.Logf("requests: %d recorded by the runs, %d received by the sandbox", recorded, received)
	requireRequestsRecorded(t, recorded, received, 1)
}

// sandboxRequestCount is how many requests sb has received.
func sandboxRequestCount(sb *sandbox.Server) int {
	n := 0
	for _, byStatus := range sb.Stats().Requests {
		for _, c := range byStatus {
			n += c
		}
	}
	return n
}

// awaitSending waits until a worker is sending one of runs and returns it
// with the unfinished runs it started.
func (f *fleet) awaitSending(runs map[int64]*fleetExport) (*fleetWorker, []int64) {
	f.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		for _, w := range f.workers {
			var mine []int64
			sending := false
			for _, id := range w.started() {
				r, err := f.a.Store.GetRun(f.ctx, id)
				require.NoError(f.t, err)
				if !r.Status.Final() {
					mine = append(mine, id)
					sending = sending || r.Step == run.StepSend
				}
			}
			if sending {
				return w, mine
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	f.t.Fatal("no worker reached the send step of a run")
	return nil, nil
}

func containsRun(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// requireBudgetHeld checks each brand's busiest general window against
// the budget (90 % of the sandbox's limit per window) and that nothing was
// refused with 429.
func (f *fleet) requireBudgetHeld() {
	f.t.Helper()
	for brand, bs := range f.sb.Stats().Brands {
		g := bs.Limits["general"]
		f.t.Logf("brand %s: %d requests, busiest window %d (budget %d, sandbox's limit %d), %d refused",
			brand, g.Admitted, g.Busiest, f.budget, g.Limit, g.Rejected)
		require.LessOrEqual(f.t, g.Busiest, f.budget, "brand %s: busiest window over the budget", brand)
		require.Zero(f.t, g.Rejected, "brand %s: 429s", brand)
	}
}

// sentAndWanted returns the contacts the sandbox received in batches, over
// both brands, and those the runs planned to send.
func (f *fleet) sentAndWanted(runs map[int64]*fleetExport, final map[int64]run.Run) (sent, want int) {
	f.t.Helper()
	for _, brand := range []string{"brand-a", "brand-b"} {
		sent += f.sent(brand)
	}
	for id := range runs {
		want += final[id].Counts.Added + final[id].Counts.Updated
	}
	return sent, want
}

// TestOpenPicksRateBudget: on PostgreSQL the budget is in the database
// (shared by every process), on SQLite in the process; one set in the
// config wins.
func TestOpenPicksRateBudget(t *testing.T) {
	onEachEngine(t, func(t *testing.T, dbURL string) {
		a, err := app.Open(t.Context(), app.Config{DatabaseURL: dbURL, DataDir: t.TempDir()})
		require.NoError(t, err)
		defer a.Close()
		_, inDB := a.Omnisend.Budget.(*pgbudget.Budget)
		_, inProcess := a.Omnisend.Budget.(*omnisend.WindowBudget)
		require.Equal(t, dbURL != "", inDB)
		require.Equal(t, dbURL == "", inProcess)

		mine := omnisend.NewWindowBudget(omnisend.WindowBudgetConfig{}, nil)
		b, err := app.Open(t.Context(), app.Config{DatabaseURL: dbURL, DataDir: t.TempDir(),
			Omnisend: app.OmnisendConfig{Budget: mine}})
		require.NoError(t, err)
		defer b.Close()
		require.Same(t, mine, b.Omnisend.Budget)
	})
}
