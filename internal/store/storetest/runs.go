package storetest

import (
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/run"
	"segbridge/internal/store"
)

// runRuns is the run.Store part of the suite: the export run pipeline's
// runs, outbox and confirmed state.
func runRuns(t *testing.T, newStore NewStore) {
	t.Run("OneActiveRun", func(t *testing.T) { testRunOneActive(t, newStore) })
	t.Run("OneActiveRunConcurrently", func(t *testing.T) { testRunOneActiveConcurrently(t, newStore) })
	t.Run("SaveRoundTrip", func(t *testing.T) { testRunSaveRoundTrip(t, newStore) })
	t.Run("RequestCancel", func(t *testing.T) { testRunRequestCancel(t, newStore) })
	t.Run("StateAndClear", func(t *testing.T) { testRunState(t, newStore) })
	t.Run("AddAndListOps", func(t *testing.T) { testRunListOps(t, newStore) })
	t.Run("FilterAndCountOps", func(t *testing.T) { testRunFilterOps(t, newStore) })
	t.Run("NextUpserts", func(t *testing.T) { testRunNextUpserts(t, newStore) })
	t.Run("ResolveBatches", func(t *testing.T) { testRunResolveBatches(t, newStore) })
	t.Run("Untags", func(t *testing.T) { testRunUntags(t, newStore) })
	t.Run("TagOps", func(t *testing.T) { testRunTagOps(t, newStore) })
	t.Run("CountsAndProgress", func(t *testing.T) { testRunCounts(t, newStore) })
	t.Run("SavedProgress", func(t *testing.T) { testRunSavedProgress(t, newStore) })
	t.Run("FoldAsConfirmed", func(t *testing.T) { testRunFoldAsConfirmed(t, newStore) })
	t.Run("Lease", func(t *testing.T) { testRunLease(t, newStore) })
	t.Run("FailStaleRun", func(t *testing.T) { testRunFailStale(t, newStore) })
	t.Run("AbandonOps", func(t *testing.T) { testRunAbandonOps(t, newStore) })
	t.Run("LargePlan", func(t *testing.T) { testRunLargePlan(t, newStore) })
	t.Run("DeleteExportDeletesRuns", func(t *testing.T) { testRunDeleteExport(t, newStore) })
	t.Run("LastConfirmedContacts", func(t *testing.T) { testLastConfirmedContacts(t, newStore) })
}

// runFixture is a store with two exports to hang runs on.
type runFixture struct {
	exportFixture
	rs      run.Store
	exp     int64 // the export the tests run
	other   int64 // an export whose runs and state must stay apart
	nextSeq int64
}

func setupRuns(t *testing.T, newStore NewStore) *runFixture {
	t.Helper()
	f := setupExports(t, newStore)
	rs, ok := f.st.(run.Store)
	require.True(t, ok, "%s store does not implement run.Store", f.st.Engine())
	e, err := f.st.CreateExport(f.ctx, f.export("Weekly VIPs", 0))
	require.NoError(t, err)
	o, err := f.st.CreateExport(f.ctx, f.export("Lapsed", 1))
	require.NoError(t, err)
	return &runFixture{exportFixture: f, rs: rs, exp: e.ID, other: o.ID}
}

// newRun creates a run of the fixture's export.
func (f *runFixture) newRun(t *testing.T) run.Run {
	t.Helper()
	return f.newRunOf(t, f.exp)
}

func (f *runFixture) newRunOf(t *testing.T, exportID int64) run.Run {
	t.Helper()
	r, err := f.rs.CreateRun(f.ctx, exportID, run.TriggerManual, f.now)
	require.NoError(t, err)
	return r
}

// finish finishes r as succeeded (its confirmed ops are in the state
// already).
func (f *runFixture) finish(t *testing.T, r run.Run) run.Run {
	t.Helper()
	r.Status, r.Step, r.FinishedAt = run.StatusSucceeded, run.StepDone, f.now.Add(time.Minute)
	require.NoError(t, f.rs.FinishRun(f.ctx, r))
	return r
}

// seq returns the next op sequence number of the fixture.
func (f *runFixture) seq() int64 {
	f.nextSeq++
	return f.nextSeq
}

func (f *runFixture) upsert(r run.Run, email string, isNew bool) run.Op {
	return run.Op{
		RunID: r.ID, Seq: f.seq(), Kind: run.OpUpsert, Email: email, ProfileID: "p-" + email, New: isNew,
		Contact: []byte(`{"email":"` + email + `"}`), Hash: "h1-" + email,
		Tags: []string{"segbridge: vip-buyers"}, Status: run.OpPending,
	}
}

func (f *runFixture) untag(r run.Run, email string, leaves bool) run.Op {
	return run.Op{
		RunID: r.ID, Seq: f.seq(), Kind: run.OpUntag, Email: email, Leaves: leaves,
		Tags: []string{"segbridge: vip-buyers"}, Status: run.OpPending,
	}
}

func (f *runFixture) tagOp(r run.Run, email string) run.Op {
	return run.Op{
		RunID: r.ID, Seq: f.seq(), Kind: run.OpTag, Email: email, ProfileID: "p-" + email,
		Tags: []string{"source: segbridge", "segbridge: vip-buyers"}, Status: run.OpPending,
	}
}

func (f *runFixture) skip(r run.Run, profileID, reason string) run.Op {
	return run.Op{RunID: r.ID, Seq: f.seq(), Kind: run.OpSkip, ProfileID: profileID, Status: run.OpSkipped, Reason: reason}
}

func (f *runFixture) addOps(t *testing.T, ops ...run.Op) []run.Op {
	t.Helper()
	require.NoError(t, f.rs.AddOps(f.ctx, ops))
	return ops
}

func desired(email, profileID string) run.Desired {
	return run.Desired{
		Email: email, ProfileID: profileID, Contact: []byte(`{"email":"` + email + `","id":"` + profileID + `"}`),
		Hash: "h-" + profileID, Tags: []string{"segbridge: vip-buyers", "segbridge: lapsed"},
	}
}

func seqs(ops []run.Op) []int64 {
	out := make([]int64, len(ops))
	for i, op := range ops {
		out[i] = op.Seq
	}
	return out
}

func emails(ops []run.Op) []string {
	out := make([]string, len(ops))
	for i, op := range ops {
		out[i] = op.Email
	}
	return out
}

// opsBySeq lists every op of a run, keyed by seq.
func (f *runFixture) opsBySeq(t *testing.T, r run.Run) map[int64]run.Op {
	t.Helper()
	ops, err := f.rs.ListOps(f.ctx, r.ID, run.OpFilter{})
	require.NoError(t, err)
	m := make(map[int64]run.Op, len(ops))
	for _, op := range ops {
		m[op.Seq] = op
	}
	return m
}

func testRunOneActive(t *testing.T, newStore NewStore) {
	f := setupRuns(t, newStore)
	r := f.newRun(t)
	require.NotZero(t, r.ID)
	require.Equal(t, run.Run{
		ID: r.ID, ExportID: f.exp, Trigger: run.TriggerManual, Status: run.StatusQueued, Step: run.StepPlan, QueuedAt: f.now,
	}, r)

	_, err := f.rs.CreateRun(f.ctx, f.exp, run.TriggerSchedule, f.now)
	require.ErrorIs(t, err, run.ErrActiveRun, "a queued run blocks another")
	o, err := f.rs.CreateRun(f.ctx, f.other, run.TriggerRefresh, f.now)
	require.NoError(t, err, "another export may run at the same time")

	r.Status, r.StartedAt = run.StatusRunning, f.now.Add(time.Second)
	require.NoError(t, f.rs.SaveRun(f.ctx, r))
	_, err = f.rs.CreateRun(f.ctx, f.exp, run.TriggerManual, f.now)
	require.ErrorIs(t, err, run.ErrActiveRun, "a running run blocks another")

	r.Status, r.FinishedAt = run.StatusFailed, f.now.Add(time.Minute)
	require.NoError(t, f.rs.SaveRun(f.ctx, r))
	r2, err := f.rs.CreateRun(f.ctx, f.exp, run.TriggerManual, f.now.Add(time.Hour))
	require.NoError(t, err, "a final run does not block")
	require.Greater(t, r2.ID, r.ID)
	require.NotEqual(t, o.ID, r2.ID)

	_, err = f.rs.GetRun(f.ctx, r2.ID+1000)
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = f.rs.CreateRun(f.ctx, f.other+1000, run.TriggerManual, f.now)
	require.Error(t, err, "a run needs an export")
	require.NotErrorIs(t, err, run.ErrActiveRun)
}

func testRunOneActiveConcurrently(t *testing.T, newStore NewStore) {
	f := setupRuns(t, newStore)
	const n = 8
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			_, err := f.rs.CreateRun(f.ctx, f.exp, run.TriggerRefresh, f.now)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	created := 0
	for err := range errs {
		if err == nil {
			created++
			continue
		}
		require.ErrorIs(t, err, run.ErrActiveRun)
	}
	require.Equal(t, 1, created, "exactly one of concurrent requests creates a run")
}

func testRunSaveRoundTrip(t *testing.T, newStore NewStore) {
	f := setupRuns(t, newStore)
	r := f.newRun(t)
	r.Status, r.Step, r.Message, r.Requests = run.StatusFailed, run.StepConfirm, "Omnisend said no: \"quota\" ✗", 42
	r.StartedAt, r.FinishedAt = f.now.Add(1500*time.Millisecond), f.now.Add(time.Hour+1500*time.Nanosecond).In(time.FixedZone("CET", 3600))
	r.Counts = run.Counts{
		Members: 10, Added: 3, Updated: 2, Unchanged: 1, Untagged: 1, Kept: 1,
		Skipped: map[string]int{run.ReasonInvalidEmail: 1, run.ReasonMissingEmail: 1},
		Failed:  map[string]int{run.ReasonRejected: 1},
	}
	require.NoError(t, f.rs.SaveRun(f.ctx, r))
	got, err := f.rs.GetRun(f.ctx, r.ID)
	require.NoError(t, err)
	require.Zero(t, got.Requests, "SaveRun does not write requests: AddRequests counts them")
	require.NoError(t, f.rs.AddRequests(f.ctx, r.ID, 40))
	require.NoError(t, f.rs.AddRequests(f.ctx, r.ID, 2))
	require.NoError(t, f.rs.SaveRun(f.ctx, r))
	got, err = f.rs.GetRun(f.ctx, r.ID)
	require.NoError(t, err)
	r.FinishedAt = f.now.Add(time.Hour + time.Microsecond) // read back in UTC, to the microsecond
	require.Equal(t, r, got)
	require.Zero(t, got.StartedBy, "no one started it by hand")
	require.NoError(t, f.rs.SetRunStarter(f.ctx, r.ID, 7))
	got, err = f.rs.GetRun(f.ctx, r.ID)
	require.NoError(t, err)
	require.Equal(t, int64(7), got.StartedBy)
	r.StartedBy = 7

	second := f.newRun(t)
	runs, err := f.rs.ListRuns(f.ctx, f.exp, 10)
	require.NoError(t, err)
	require.Equal(t, []run.Run{second, r}, runs, "newest first")
	runs, err = f.rs.ListRuns(f.ctx, f.exp, 1)
	require.NoError(t, err)
	require.Equal(t, []run.Run{second}, runs)
	runs, err = f.rs.ListRuns(f.ctx, f.other, 10)
	require.NoError(t, err)
	require.Empty(t, runs)
}

func testRunRequestCancel(t *testing.T, newStore NewStore) {
	f := setupRuns(t, newStore)
	r := f.newRun(t)
	require.NoError(t, f.rs.RequestCancel(f.ctx, r.ID))
	got, err := f.rs.GetRun(f.ctx, r.ID)
	require.NoError(t, err)
	require.True(t, got.CancelRequested)

	r.Status = run.StatusRunning // r.CancelRequested is false: SaveRun keeps the flag
	require.NoError(t, f.rs.SaveRun(f.ctx, r))
	got, err = f.rs.GetRun(f.ctx, r.ID)
	require.NoError(t, err)
	require.True(t, got.CancelRequested, "SaveRun does not clear a cancel request")
	require.NoError(t, f.rs.RequestCancel(f.ctx, r.ID), "a running run can be cancelled")

	r.Status, r.FinishedAt = run.StatusCancelled, f.now.Add(time.Minute)
	require.NoError(t, f.rs.SaveRun(f.ctx, r))
	require.ErrorIs(t, f.rs.RequestCancel(f.ctx, r.ID), store.ErrNotFound, "a final run cannot be cancelled")
	require.ErrorIs(t, f.rs.RequestCancel(f.ctx, r.ID+1000), store.ErrNotFound)
}

// state collects ScanState of exportID by e-mail.
func (f *runFixture) state(t *testing.T, exportID int64) map[string]run.StateEntry {
	t.Helper()
	got := map[string]run.StateEntry{}
	err := f.rs.ScanState(f.ctx, exportID, func(s run.StateEntry) error {
		_, seen := got[s.Email]
		require.False(t, seen, "%s listed twice", s.Email)
		got[s.Email] = s
		return nil
	})
	require.NoError(t, err)
	return got
}

func testRunState(t *testing.T, newStore NewStore) {
	f := setupRuns(t, newStore)
	f.seedState(t, "both@example.com", "gone@example.com")
	r := f.newRun(t)

	got, err := f.rs.StateOf(f.ctx, f.exp, []string{"new@example.com", "both@example.com"})
	require.NoError(t, err)
	require.Equal(t, map[string]run.StateEntry{"both@example.com": *state("both@example.com")}, got)
	got, err = f.rs.StateOf(f.ctx, f.exp, nil)
	require.NoError(t, err)
	require.Empty(t, got)
	got, err = f.rs.StateOf(f.ctx, f.other, []string{"both@example.com"})
	require.NoError(t, err)
	require.Empty(t, got, "another export's state is its own")

	// StateOf over more e-mails than one statement takes.
	many := make([]string, 0, 1300)
	for i := range 1300 {
		many = append(many, fmt.Sprintf("m%04d@example.com", i))
	}
	many[1234] = "gone@example.com"
	got, err = f.rs.StateOf(f.ctx, f.exp, many)
	require.NoError(t, err)
	require.Equal(t, map[string]run.StateEntry{"gone@example.com": *state("gone@example.com")}, got)

	require.Equal(t, map[string]run.StateEntry{
		"both@example.com": *state("both@example.com"),
		"gone@example.com": *state("gone@example.com"),
	}, f.state(t, f.exp))
	require.Empty(t, f.state(t, f.other))

	// A callback error stops the scan and is returned.
	stop := errStop{}
	err = f.rs.ScanState(f.ctx, f.exp, func(run.StateEntry) error { return stop })
	require.ErrorIs(t, err, stop)

	// ClearPlan forgets the ops, not the state.
	f.addOps(t, f.upsert(r, "new@example.com", true))
	require.NoError(t, f.rs.ClearPlan(f.ctx, r.ID))
	ops, err := f.rs.ListOps(f.ctx, r.ID, run.OpFilter{})
	require.NoError(t, err)
	require.Empty(t, ops)
	require.Len(t, f.state(t, f.exp), 2)
}

// seedState gives the fixture's export confirmed state for emails through
// a finished run, and returns that run.
func (f *runFixture) seedState(t *testing.T, emails ...string) run.Run {
	t.Helper()
	r := f.newRun(t)
	var ops []run.Op
	for _, e := range emails {
		ops = append(ops, f.upsert(r, e, true))
	}
	f.addOps(t, ops...)
	f.confirm(t, r, ops, run.BatchOutcome{})
	return f.finish(t, r)
}

// confirm sends ops as one batch and resolves it with out, as the
// pipeline does.
func (f *runFixture) confirm(t *testing.T, r run.Run, ops []run.Op, out run.BatchOutcome) {
	t.Helper()
	no := ops[0].Seq
	id := "batch-" + strconv.FormatInt(r.ID, 10) + "-" + strconv.FormatInt(no, 10)
	require.NoError(t, f.rs.AssignBatch(f.ctx, r.ExportID, ops, no, f.now))
	require.NoError(t, f.rs.SetBatchID(f.ctx, r.ID, no, emails(ops), id))
	_, err := f.rs.ResolveBatch(f.ctx, r.ID, id, out, f.now)
	require.NoError(t, err)
}

func state(email string) *run.StateEntry {
	return &run.StateEntry{Email: email, ProfileID: "p-" + email, Hash: "h1-" + email, Tags: []string{"segbridge: vip-buyers"}}
}

type errStop struct{}

func (errStop) Error() string { return "stop" }

func testRunListOps(t *testing.T, newStore NewStore) {
	f := setupRuns(t, newStore)
	r := f.newRun(t)
	want := f.addOps(t,
		f.upsert(r, "a@example.com", true),
		f.upsert(r, "b@example.com", false),
		f.untag(r, "c@example.com", true),
		f.untag(r, "d@example.com", false),
		f.skip(r, "p9", run.ReasonMissingEmail),
	)
	got, err := f.rs.ListOps(f.ctx, r.ID, run.OpFilter{})
	require.NoError(t, err)
	require.Equal(t, normOps(want), normOps(got), "ops round-trip in seq order")
	require.Nil(t, got[2].Contact, "an op without a contact has none")

	got, err = f.rs.ListOps(f.ctx, r.ID, run.OpFilter{Status: run.OpSkipped})
	require.NoError(t, err)
	require.Equal(t, []int64{want[4].Seq}, seqs(got))
	got, err = f.rs.ListOps(f.ctx, r.ID, run.OpFilter{Status: run.OpPending, AfterSeq: want[0].Seq, Limit: 2})
	require.NoError(t, err)
	require.Equal(t, []int64{want[1].Seq, want[2].Seq}, seqs(got))
	got, err = f.rs.ListOps(f.ctx, r.ID, run.OpFilter{Status: run.OpPending, AfterSeq: want[2].Seq, Limit: 2})
	require.NoError(t, err)
	require.Equal(t, []int64{want[3].Seq}, seqs(got))

	// Seq is unique per run: another run may reuse it.
	o, err := f.rs.CreateRun(f.ctx, f.other, run.TriggerManual, f.now)
	require.NoError(t, err)
	dup := want[0]
	dup.RunID = o.ID
	f.addOps(t, dup)
	require.Error(t, f.rs.AddOps(f.ctx, []run.Op{want[0]}), "a taken seq is refused")
	got, err = f.rs.ListOps(f.ctx, r.ID, run.OpFilter{})
	require.NoError(t, err)
	require.Len(t, got, 5)
}

// testRunFilterOps: results filter by status, action, reason and e-mail
// prefix, page both ways in seq order and count what a filter selects.
func testRunFilterOps(t *testing.T, newStore NewStore) {
	f := setupRuns(t, newStore)
	r := f.newRun(t)
	ann := f.upsert(r, "ann@example.com", true)
	failed := f.upsert(r, "bob@example.com", false)
	failed.Status, failed.Reason = run.OpFailed, run.ReasonRejected
	ops := f.addOps(t,
		ann,                                 // 0
		failed,                              // 1
		f.untag(r, "bea@example.com", true), // 2
		f.skip(r, "p9", run.ReasonMissingEmail),
		f.upsert(r, "anna@example.org", true), // 4
		f.upsert(r, "zed@example.com", false), // 5
	)
	o, err := f.rs.CreateRun(f.ctx, f.other, run.TriggerManual, f.now)
	require.NoError(t, err)
	dup := ops[0]
	dup.RunID = o.ID
	f.addOps(t, dup)
	list := func(fl run.OpFilter) []int64 {
		t.Helper()
		got, err := f.rs.ListOps(f.ctx, r.ID, fl)
		require.NoError(t, err)
		if len(got) == 0 {
			return nil
		}
		return seqs(got)
	}
	count := func(fl run.OpFilter) int {
		t.Helper()
		n, err := f.rs.CountListed(f.ctx, r.ID, fl)
		require.NoError(t, err)
		return n
	}
	s := seqs(ops)
	for _, c := range []struct {
		f    run.OpFilter
		want []int64
	}{
		{run.OpFilter{}, s},
		{run.OpFilter{Action: run.ActionAdd}, []int64{s[0], s[4]}},
		{run.OpFilter{Action: run.ActionUpdate}, []int64{s[1], s[5]}},
		{run.OpFilter{Action: run.ActionUntag}, []int64{s[2]}},
		{run.OpFilter{Action: run.ActionSkip}, []int64{s[3]}},
		{run.OpFilter{Action: run.ActionTag}, nil},
		{run.OpFilter{Reason: run.ReasonRejected}, []int64{s[1]}},
		{run.OpFilter{Status: run.OpFailed, Reason: run.ReasonRejected}, []int64{s[1]}},
		{run.OpFilter{Status: run.OpPending, Action: run.ActionUpdate}, []int64{s[5]}},
		{run.OpFilter{Email: "ann"}, []int64{s[0], s[4]}},
		{run.OpFilter{Email: " ANN@"}, []int64{s[0]}},
		{run.OpFilter{Email: "anna@example.org"}, []int64{s[4]}},
		{run.OpFilter{Email: "nobody"}, nil},
		{run.OpFilter{Email: "a", Action: run.ActionAdd, Status: run.OpPending}, []int64{s[0], s[4]}},
		{run.OpFilter{AfterSeq: s[1], Limit: 2}, []int64{s[2], s[3]}},
		{run.OpFilter{BeforeSeq: s[4], Limit: 2}, []int64{s[2], s[3]}},
		{run.OpFilter{BeforeSeq: s[1], Limit: 2}, []int64{s[0]}},
		{run.OpFilter{BeforeSeq: s[5], Action: run.ActionAdd, Limit: 1}, []int64{s[4]}},
		{run.OpFilter{AfterSeq: s[0], BeforeSeq: s[3]}, []int64{s[1], s[2]}},
	} {
		require.Equal(t, c.want, list(c.f), "%+v", c.f)
		lim := c.f
		lim.Limit = 0
		if c.f.Limit == 0 {
			require.Equal(t, len(c.want), count(lim), "count %+v", c.f)
		}
	}
	require.Equal(t, 3, count(run.OpFilter{BeforeSeq: s[3]}), "ops before a seq: a page's position")
	require.Equal(t, 1, count(run.OpFilter{Email: "ann", BeforeSeq: s[4]}))
}

// normOps makes empty tag lists nil, so ops compare across a round trip.
func normOps(ops []run.Op) []run.Op {
	out := make([]run.Op, len(ops))
	for i, op := range ops {
		if len(op.Tags) == 0 {
			op.Tags = nil
		}
		out[i] = op
	}
	return out
}

func testRunNextUpserts(t *testing.T, newStore NewStore) {
	f := setupRuns(t, newStore)
	r := f.newRun(t)
	var ups []run.Op
	for _, e := range []string{"a", "b", "c", "d", "e", "f", "g"} {
		ups = append(ups, f.upsert(r, e+"@example.com", true))
	}
	f.addOps(t, f.untag(r, "x@example.com", true), f.skip(r, "p0", run.ReasonInvalidEmail))
	f.addOps(t, ups...)

	next, err := f.rs.NextUpserts(f.ctx, r.ID, 3)
	require.NoError(t, err)
	require.Equal(t, seqs(ups[:3]), seqs(next), "pending upserts in seq order")
	require.Equal(t, normOps(ups[:3]), normOps(next))

	// Batch 1 is sent; batch 2 is assigned but the process stopped before
	// Omnisend's id was recorded.
	require.NoError(t, f.rs.AssignBatch(f.ctx, r.ExportID, ups[:3], 1, time.Now()))
	require.NoError(t, f.rs.SetBatchID(f.ctx, r.ID, 1, emails(ups[:3]), "batch-1"))
	require.NoError(t, f.rs.AssignBatch(f.ctx, r.ExportID, ups[5:7], 2, time.Now()))

	next, err = f.rs.NextUpserts(f.ctx, r.ID, 10)
	require.NoError(t, err)
	require.Equal(t, seqs(ups[5:7]), seqs(next), "the batch in flight comes first and alone")
	require.Equal(t, []int64{2, 2}, []int64{next[0].BatchNo, next[1].BatchNo})
	fresh, err := f.rs.FreshUpserts(f.ctx, r.ID, 10)
	require.NoError(t, err)
	require.Equal(t, seqs(ups[3:5]), seqs(fresh), "FreshUpserts skips every batch in flight")
	next, err = f.rs.NextUpserts(f.ctx, r.ID, 1)
	require.NoError(t, err)
	require.Equal(t, seqs(ups[5:6]), seqs(next), "the limit holds for a batch in flight too")

	require.NoError(t, f.rs.SetBatchID(f.ctx, r.ID, 2, emails(ups[5:7]), "batch-2"))
	next, err = f.rs.NextUpserts(f.ctx, r.ID, 10)
	require.NoError(t, err)
	require.Equal(t, seqs(ups[3:5]), seqs(next), "then the ones in no batch")
	require.Zero(t, next[0].BatchNo)

	batches, err := f.rs.OpenBatches(f.ctx, r.ID)
	require.NoError(t, err)
	require.Equal(t, []run.BatchRef{{No: 1, ID: "batch-1"}, {No: 2, ID: "batch-2"}}, batches)
	ops := f.opsBySeq(t, r)
	require.Equal(t, "batch-1", ops[ups[0].Seq].BatchID)
	require.Equal(t, int64(1), ops[ups[0].Seq].BatchNo)

	// SetBatchID touches only the named e-mails of that batch.
	require.NoError(t, f.rs.AssignBatch(f.ctx, r.ExportID, ups[3:5], 3, time.Now()))
	require.NoError(t, f.rs.SetBatchID(f.ctx, r.ID, 3, []string{ups[3].Email, ups[0].Email}, "batch-3"))
	ops = f.opsBySeq(t, r)
	require.Equal(t, "batch-3", ops[ups[3].Seq].BatchID)
	require.Equal(t, "", ops[ups[4].Seq].BatchID)
	require.Equal(t, "batch-1", ops[ups[0].Seq].BatchID, "an op of another batch keeps its id")
	next, err = f.rs.NextUpserts(f.ctx, r.ID, 10)
	require.NoError(t, err)
	require.Equal(t, seqs(ups[4:5]), seqs(next))
}

func testRunResolveBatches(t *testing.T, newStore NewStore) {
	f := setupRuns(t, newStore)
	r := f.newRun(t)
	ups := f.addOps(t,
		f.upsert(r, "a@example.com", true), f.upsert(r, "b@example.com", true), f.upsert(r, "c@example.com", false),
		f.upsert(r, "d@example.com", true), f.upsert(r, "e@example.com", true), f.upsert(r, "f@example.com", true),
		f.upsert(r, "g@example.com", true),
	)
	for i, b := range [][]run.Op{ups[:3], ups[3:7]} {
		no := int64(i + 1)
		require.NoError(t, f.rs.AssignBatch(f.ctx, r.ExportID, b, no, time.Now()))
		require.NoError(t, f.rs.SetBatchID(f.ctx, r.ID, no, emails(b), "batch-"+strconv.FormatInt(no, 10)))
	}

	// A finished batch: every op not failed succeeded.
	n, err := f.rs.ResolveBatch(f.ctx, r.ID, "batch-1", run.BatchOutcome{
		Failed: map[string]string{"b@example.com": "email: invalid"},
	}, time.Now())
	require.NoError(t, err)
	require.Equal(t, 3, n, "every op of the batch resolved")
	batches, err := f.rs.OpenBatches(f.ctx, r.ID)
	require.NoError(t, err)
	require.Equal(t, []run.BatchRef{{No: 2, ID: "batch-2"}}, batches)

	// A stopped batch: only the OK ones succeeded.
	n, err = f.rs.ResolveBatch(f.ctx, r.ID, "batch-2", run.BatchOutcome{
		Stopped: true, OK: map[string]bool{"d@example.com": true},
		Failed: map[string]string{"e@example.com": "phone: invalid"},
	}, time.Now())
	require.NoError(t, err)
	require.Equal(t, 4, n, "ok, failed and the unprocessed rest")
	batches, err = f.rs.OpenBatches(f.ctx, r.ID)
	require.NoError(t, err)
	require.Empty(t, batches)

	type result struct {
		Status  run.OpStatus
		Reason  string
		Message string
	}
	ops := f.opsBySeq(t, r)
	got := map[string]result{}
	for _, op := range ops {
		got[op.Email] = result{op.Status, op.Reason, op.Message}
	}
	stopped := "Omnisend stopped the batch before processing this contact"
	require.Equal(t, map[string]result{
		"a@example.com": {run.OpOK, "", ""},
		"b@example.com": {run.OpFailed, run.ReasonRejected, "email: invalid"},
		"c@example.com": {run.OpOK, "", ""},
		"d@example.com": {run.OpOK, "", ""},
		"e@example.com": {run.OpFailed, run.ReasonRejected, "phone: invalid"},
		"f@example.com": {run.OpFailed, run.ReasonNotConfirmed, stopped},
		"g@example.com": {run.OpFailed, run.ReasonNotConfirmed, stopped},
	}, got)

	// Resolving again changes nothing: only pending ops are marked.
	n, err = f.rs.ResolveBatch(f.ctx, r.ID, "batch-1", run.BatchOutcome{}, time.Now())
	require.NoError(t, err)
	require.Zero(t, n)
	require.Equal(t, ops, f.opsBySeq(t, r))
}

func testRunUntags(t *testing.T, newStore NewStore) {
	f := setupRuns(t, newStore)
	r := f.newRun(t)
	f.addOps(t, f.upsert(r, "u@example.com", true))
	uts := f.addOps(t, f.untag(r, "a@example.com", true), f.untag(r, "b@example.com", false), f.untag(r, "c@example.com", true))

	got, err := f.rs.PendingUntags(f.ctx, r.ID, 2)
	require.NoError(t, err)
	require.Equal(t, normOps(uts[:2]), normOps(got))

	require.NoError(t, f.rs.SetOpStatus(f.ctx, r.ID, seqs(uts[:2]), run.OpOK, "", ""))
	got, err = f.rs.PendingUntags(f.ctx, r.ID, 10)
	require.NoError(t, err)
	require.Equal(t, seqs(uts[2:]), seqs(got))

	require.NoError(t, f.rs.SetOpStatus(f.ctx, r.ID, seqs(uts[2:]), run.OpFailed, run.ReasonRejected, "tag: not found"))
	got, err = f.rs.PendingUntags(f.ctx, r.ID, 10)
	require.NoError(t, err)
	require.Empty(t, got)
	op := f.opsBySeq(t, r)[uts[2].Seq]
	require.Equal(t, run.OpFailed, op.Status)
	require.Equal(t, run.ReasonRejected, op.Reason)
	require.Equal(t, "tag: not found", op.Message)
	require.NoError(t, f.rs.SetOpStatus(f.ctx, r.ID, nil, run.OpOK, "", ""), "no seqs, nothing to do")
}

func testRunCounts(t *testing.T, newStore NewStore) {
	f := setupRuns(t, newStore)
	r := f.newRun(t)
	c, err := f.rs.CountOps(f.ctx, r.ID)
	require.NoError(t, err)
	require.Equal(t, run.Counts{}, c)
	p, err := f.rs.CountProgress(f.ctx, r.ID)
	require.NoError(t, err)
	require.Equal(t, run.Progress{}, p)

	ups := f.addOps(t,
		f.upsert(r, "new1@example.com", true), f.upsert(r, "new2@example.com", true),
		f.upsert(r, "old1@example.com", false), f.upsert(r, "bad@example.com", true),
		f.upsert(r, "lost@example.com", false), f.upsert(r, "later@example.com", true),
	)
	uts := f.addOps(t, f.untag(r, "gone1@example.com", true), f.untag(r, "gone2@example.com", true), f.untag(r, "gone3@example.com", true))
	f.addOps(t,
		f.skip(r, "p1", run.ReasonMissingEmail), f.skip(r, "p2", run.ReasonMissingEmail),
		f.skip(r, "p3", run.ReasonInvalidEmail), f.skip(r, "p4", run.ReasonDuplicateEmail),
	)
	p, err = f.rs.CountProgress(f.ctx, r.ID)
	require.NoError(t, err)
	require.Equal(t, run.Progress{Upserts: 6, Untags: 3}, p)

	require.NoError(t, f.rs.AssignBatch(f.ctx, r.ExportID, ups[:5], 1, time.Now()))
	p, err = f.rs.CountProgress(f.ctx, r.ID)
	require.NoError(t, err)
	require.Equal(t, run.Progress{Upserts: 6, Untags: 3}, p, "assigned is not sent")
	require.NoError(t, f.rs.SetBatchID(f.ctx, r.ID, 1, emails(ups[:5]), "batch-1"))
	p, err = f.rs.CountProgress(f.ctx, r.ID)
	require.NoError(t, err)
	require.Equal(t, run.Progress{Upserts: 6, Sent: 5, Untags: 3}, p)

	_, err = f.rs.ResolveBatch(f.ctx, r.ID, "batch-1", run.BatchOutcome{
		Stopped: true, OK: map[string]bool{"new1@example.com": true, "new2@example.com": true, "old1@example.com": true},
		Failed: map[string]string{"bad@example.com": "email: invalid"},
	}, time.Now())
	require.NoError(t, err)
	require.NoError(t, f.rs.SetOpStatus(f.ctx, r.ID, seqs(uts[:2]), run.OpOK, "", ""))
	p, err = f.rs.CountProgress(f.ctx, r.ID)
	require.NoError(t, err)
	require.Equal(t, run.Progress{Upserts: 6, Sent: 5, Confirmed: 5, Untags: 3, Untagged: 2}, p)

	c, err = f.rs.CountOps(f.ctx, r.ID)
	require.NoError(t, err)
	require.Equal(t, run.Counts{
		Added: 2, Updated: 1, Untagged: 2,
		Skipped: map[string]int{run.ReasonMissingEmail: 2, run.ReasonInvalidEmail: 1, run.ReasonDuplicateEmail: 1},
		Failed:  map[string]int{run.ReasonRejected: 1, run.ReasonNotConfirmed: 1},
	}, c, "pending ops are not counted")

	// A failed op that was never sent (the run was cancelled) counts as failed and confirmed.
	require.NoError(t, f.rs.SetOpStatus(f.ctx, r.ID, seqs(ups[5:]), run.OpFailed, run.ReasonNotConfirmed, "cancelled"))
	p, err = f.rs.CountProgress(f.ctx, r.ID)
	require.NoError(t, err)
	require.Equal(t, run.Progress{Upserts: 6, Sent: 6, Confirmed: 6, Untags: 3, Untagged: 2}, p)
	c, err = f.rs.CountOps(f.ctx, r.ID)
	require.NoError(t, err)
	require.Equal(t, 2, c.Failed[run.ReasonNotConfirmed])
}

func testRunSavedProgress(t *testing.T, newStore NewStore) {
	f := setupRuns(t, newStore)
	r := f.newRun(t)
	p, err := f.rs.RunProgress(f.ctx, r.ID)
	require.NoError(t, err)
	require.Zero(t, p, "a new run has made no progress")
	want := run.Progress{Upserts: 1_000_000, Sent: 420_000, Confirmed: 410_000, Untags: 12, Untagged: 0}
	require.NoError(t, f.rs.SaveProgress(f.ctx, r.ID, want))
	r.Step = run.StepConfirm
	require.NoError(t, f.rs.SaveRun(f.ctx, r))
	p, err = f.rs.RunProgress(f.ctx, r.ID)
	require.NoError(t, err)
	require.Equal(t, want, p, "saving the run keeps the progress")
	_, err = f.rs.RunProgress(f.ctx, r.ID+1000)
	require.ErrorIs(t, err, store.ErrNotFound)
}

func testRunFoldAsConfirmed(t *testing.T, newStore NewStore) {
	f := setupRuns(t, newStore)
	first := f.seedState(t, "stay@example.com", "change@example.com", "leave@example.com", "leavefail@example.com", "keep@example.com")
	got, err := f.rs.GetRun(f.ctx, first.ID)
	require.NoError(t, err)
	require.Equal(t, first, got, "FinishRun saves the run")

	r := f.newRun(t)
	change := f.upsert(r, "change@example.com", false)
	change.Hash, change.Tags = "h2-change", []string{"segbridge: lapsed"}
	ops := f.addOps(t,
		change,
		f.upsert(r, "add@example.com", true),
		f.upsert(r, "addfail@example.com", true),
		f.upsert(r, "addpending@example.com", true),
		f.untag(r, "leave@example.com", true),
		f.untag(r, "leavefail@example.com", true),
		f.untag(r, "keep@example.com", false), // tags removed, still a contact of the export
	)
	// Confirmed as it is confirmed: one batch resolved, one only sent.
	f.confirm(t, r, ops[:3], run.BatchOutcome{Failed: map[string]string{"addfail@example.com": "no"}})
	require.NoError(t, f.rs.AssignBatch(f.ctx, r.ExportID, ops[3:4], ops[3].Seq, f.now))
	require.NoError(t, f.rs.ResolveUntags(f.ctx, r.ExportID, []run.Op{ops[4], ops[6]}, run.OpOK, "", ""))
	require.NoError(t, f.rs.ResolveUntags(f.ctx, r.ExportID, []run.Op{ops[5]}, run.OpFailed, run.ReasonRejected, "no"))

	changed := &run.StateEntry{Email: "change@example.com", ProfileID: "p-change@example.com", Hash: "h2-change",
		Tags: []string{"segbridge: vip-buyers", "segbridge: lapsed"}}
	possibly := func(email string) run.StateEntry {
		e := *state(email)
		e.Hash, e.Unsure = "", true
		return e
	}
	keep := *state("keep@example.com")
	keep.Tags = []string{}
	want := map[string]run.StateEntry{
		"stay@example.com":       *state("stay@example.com"),
		"change@example.com":     *changed,
		"add@example.com":        *state("add@example.com"),
		"addfail@example.com":    possibly("addfail@example.com"),
		"addpending@example.com": possibly("addpending@example.com"),
		"leavefail@example.com":  *state("leavefail@example.com"),
		"keep@example.com":       keep,
	}
	require.Equal(t, want, normState(f.state(t, f.exp)),
		"confirmed upserts folded with the union of tags, sent ones possibly present, ok leavers dropped, ok untags' tags removed")
	require.Empty(t, f.state(t, f.other), "another export's state is its own")

	// Finishing (or failing) the run changes none of it.
	r.Status, r.FinishedAt = run.StatusFailed, f.now.Add(time.Minute)
	require.NoError(t, f.rs.FinishRun(f.ctx, r))
	require.Equal(t, want, normState(f.state(t, f.exp)))
}

func normState(m map[string]run.StateEntry) map[string]run.StateEntry {
	for k, e := range m {
		if e.Tags == nil {
			e.Tags = []string{}
		}
		m[k] = e
	}
	return m
}

func testRunLease(t *testing.T, newStore NewStore) {
	f := setupRuns(t, newStore)
	r := f.newRun(t)
	require.NoError(t, f.rs.AcquireLease(f.ctx, r.ID, "a", f.now, 30*time.Second))
	got, err := f.rs.GetRun(f.ctx, r.ID)
	require.NoError(t, err)
	require.Equal(t, "a", got.LeaseOwner)
	require.Equal(t, f.now.Add(30*time.Second).UTC(), got.LeaseUntil)

	err = f.rs.AcquireLease(f.ctx, r.ID, "b", f.now.Add(10*time.Second), 30*time.Second)
	var le *run.LeaseError
	require.ErrorAs(t, err, &le, "a live lease keeps a second executor out")
	require.Equal(t, "a", le.Owner)
	require.NoError(t, f.rs.AcquireLease(f.ctx, r.ID, "a", f.now.Add(20*time.Second), 30*time.Second), "the owner renews")
	require.ErrorAs(t, f.rs.AcquireLease(f.ctx, r.ID, "b", f.now.Add(45*time.Second), time.Minute), &le, "renewed: still live")
	require.NoError(t, f.rs.AcquireLease(f.ctx, r.ID, "b", f.now.Add(51*time.Second), time.Minute), "an expired lease is taken over")
	require.ErrorAs(t, f.rs.AcquireLease(f.ctx, r.ID, "a", f.now.Add(52*time.Second), time.Minute), &le, "the old owner is out")

	require.NoError(t, f.rs.ReleaseLease(f.ctx, r.ID, "a"), "releasing someone else's lease does nothing")
	require.ErrorAs(t, f.rs.AcquireLease(f.ctx, r.ID, "c", f.now.Add(53*time.Second), time.Minute), &le)
	require.NoError(t, f.rs.ReleaseLease(f.ctx, r.ID, "b"))
	require.NoError(t, f.rs.AcquireLease(f.ctx, r.ID, "c", f.now.Add(53*time.Second), time.Minute), "released: free")
	require.ErrorIs(t, f.rs.AcquireLease(f.ctx, r.ID+1000, "a", f.now, time.Minute), store.ErrNotFound)

	// Two executors asking at once: exactly one gets it.
	o := f.newRunOf(t, f.other)
	errs := make(chan error, 8)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() { errs <- f.rs.AcquireLease(f.ctx, o.ID, fmt.Sprint("w", i), f.now, time.Minute) })
	}
	wg.Wait()
	close(errs)
	won := 0
	for err := range errs {
		if err == nil {
			won++
			continue
		}
		require.ErrorAs(t, err, &le)
	}
	require.Equal(t, 1, won)
}

func testRunFailStale(t *testing.T, newStore NewStore) {
	f := setupRuns(t, newStore)
	r := f.newRun(t)
	ok, err := f.rs.FailStaleRun(f.ctx, r.ID, f.now, "stale")
	require.NoError(t, err)
	require.False(t, ok, "a queued run is not stale")
	r.Status, r.StartedAt = run.StatusRunning, f.now
	require.NoError(t, f.rs.SaveRun(f.ctx, r))
	require.NoError(t, f.rs.AcquireLease(f.ctx, r.ID, "a", f.now, 30*time.Second))
	ok, err = f.rs.FailStaleRun(f.ctx, r.ID, f.now.Add(10*time.Second), "stale")
	require.NoError(t, err)
	require.False(t, ok, "a live lease: not stale")
	ok, err = f.rs.FailStaleRun(f.ctx, r.ID, f.now.Add(31*time.Second), "the process stopped")
	require.NoError(t, err)
	require.True(t, ok)
	got, err := f.rs.GetRun(f.ctx, r.ID)
	require.NoError(t, err)
	require.Equal(t, run.StatusFailed, got.Status)
	require.Equal(t, "the process stopped", got.Message)
	require.Equal(t, "", got.LeaseOwner)
	_, err = f.rs.CreateRun(f.ctx, f.exp, run.TriggerManual, f.now)
	require.NoError(t, err, "the export is free again")
}

func testRunAbandonOps(t *testing.T, newStore NewStore) {
	f := setupRuns(t, newStore)
	r := f.newRun(t)
	ops := f.addOps(t, f.upsert(r, "a@example.com", true), f.upsert(r, "b@example.com", true), f.untag(r, "c@example.com", true))
	require.NoError(t, f.rs.SetOpStatus(f.ctx, r.ID, seqs(ops[:1]), run.OpOK, "", ""))
	n, err := f.rs.AbandonOps(f.ctx, r.ID, run.ReasonContinued, "carried over")
	require.NoError(t, err)
	require.Equal(t, 2, n)
	got := f.opsBySeq(t, r)
	require.Equal(t, run.OpOK, got[ops[0].Seq].Status)
	require.Equal(t, run.OpSkipped, got[ops[1].Seq].Status)
	require.Equal(t, run.ReasonContinued, got[ops[2].Seq].Reason)
	n, err = f.rs.AbandonOps(f.ctx, r.ID, run.ReasonContinued, "carried over")
	require.NoError(t, err)
	require.Zero(t, n)
}

func testRunLargePlan(t *testing.T, newStore NewStore) {
	f := setupRuns(t, newStore)
	seeded := make([]string, 0, 300)
	for i := range 300 {
		seeded = append(seeded, fmt.Sprintf("s%04d@example.com", i*10)) // every tenth desired one, and some beyond
	}
	f.seedState(t, seeded...)
	r := f.newRun(t)
	f.nextSeq = 0

	// 2,500 contacts in one call, with repeats far apart (across any chunking).
	var ds []run.Desired
	for i := range 2500 {
		ds = append(ds, desired(fmt.Sprintf("s%04d@example.com", i), fmt.Sprintf("p%04d", i)))
	}
	for _, i := range []int{3, 1999, 2400} {
		ds = append(ds, desired(fmt.Sprintf("s%04d@example.com", i), fmt.Sprintf("dup%04d", i)))
	}
	// Ops written as the planner does: state looked up in chunks, then the
	// state no contact matched.
	var buf []run.Op
	pairs := map[string]int{}
	seen := map[string]bool{}
	for c := range slices.Chunk(ds, 700) {
		var emails []string
		for _, d := range c {
			if !seen[d.Email] {
				emails = append(emails, d.Email)
			}
		}
		st, err := f.rs.StateOf(f.ctx, f.exp, emails)
		require.NoError(t, err)
		for _, d := range c {
			_, has := st[d.Email]
			switch {
			case seen[d.Email]:
				pairs["dup"]++
			case !has:
				pairs["new"]++
				buf = append(buf, f.upsert(r, d.Email, true))
			default:
				pairs["both"]++
				buf = append(buf, f.upsert(r, d.Email, false))
			}
			seen[d.Email] = true
		}
		f.addOps(t, buf...)
		buf = buf[:0]
	}
	err := f.rs.ScanState(f.ctx, f.exp, func(s run.StateEntry) error {
		if !seen[s.Email] {
			pairs["gone"]++
			buf = append(buf, f.untag(r, s.Email, true))
		}
		return nil
	})
	require.NoError(t, err)
	f.addOps(t, buf...)
	require.Equal(t, map[string]int{"new": 2250, "both": 250, "gone": 50, "dup": 3}, pairs)

	var all []run.Op
	for after := int64(0); ; {
		page, err := f.rs.ListOps(f.ctx, r.ID, run.OpFilter{AfterSeq: after})
		require.NoError(t, err)
		if len(page) == 0 {
			break
		}
		require.LessOrEqual(t, len(page), 1000, "the default page is 1000")
		all, after = append(all, page...), page[len(page)-1].Seq
	}
	require.Len(t, all, 2550)
	for i, op := range all {
		require.Equal(t, int64(i+1), op.Seq)
	}

	require.NoError(t, f.rs.SetOpStatus(f.ctx, r.ID, seqs(all), run.OpOK, "", ""))
	c, err := f.rs.CountOps(f.ctx, r.ID)
	require.NoError(t, err)
	require.Equal(t, run.Counts{Added: 2250, Updated: 250, Untagged: 50}, c)
	p, err := f.rs.CountProgress(f.ctx, r.ID)
	require.NoError(t, err)
	require.Equal(t, run.Progress{Upserts: 2500, Sent: 2500, Confirmed: 2500, Untags: 50, Untagged: 50}, p)
}

func testRunDeleteExport(t *testing.T, newStore NewStore) {
	f := setupRuns(t, newStore)
	done := f.seedState(t, "a@example.com")
	r := f.newRun(t)
	f.addOps(t, f.upsert(r, "b@example.com", true))

	require.NoError(t, f.st.DeleteExport(f.ctx, f.exp))
	for _, id := range []int64{done.ID, r.ID} {
		_, err := f.rs.GetRun(f.ctx, id)
		require.ErrorIs(t, err, store.ErrNotFound, "an export's runs go with it")
	}
	runs, err := f.rs.ListRuns(f.ctx, f.exp, 10)
	require.NoError(t, err)
	require.Empty(t, runs)
	ops, err := f.rs.ListOps(f.ctx, r.ID, run.OpFilter{})
	require.NoError(t, err)
	require.Empty(t, ops)
	require.Empty(t, f.state(t, f.exp), "and its state")
}

// testRunTagOps: tag ops (tags through the tag endpoints) are read after a
// seq like untags; resolving them ok leaves the state as the batch left
// it, failing them makes their contacts unsure, and so does carrying a
// run's pending tag ops over to a later run (AbandonOps).
func testRunTagOps(t *testing.T, newStore NewStore) {
	f := setupRuns(t, newStore)
	r := f.newRun(t)
	emails := []string{"a@example.com", "b@example.com", "c@example.com", "d@example.com"}
	var ups, tags []run.Op
	for _, e := range emails {
		ups = append(ups, f.upsert(r, e, true))
	}
	f.addOps(t, ups...)
	for _, e := range emails {
		tags = append(tags, f.tagOp(r, e))
	}
	f.addOps(t, tags...)
	f.addOps(t, f.untag(r, "z@example.com", true))
	f.confirm(t, r, ups, run.BatchOutcome{})

	got, err := f.rs.PendingTags(f.ctx, r.ID, 0, 2)
	require.NoError(t, err)
	require.Equal(t, normOps(tags[:2]), normOps(got))
	got, err = f.rs.PendingTags(f.ctx, r.ID, tags[1].Seq, 10)
	require.NoError(t, err)
	require.Equal(t, seqs(tags[2:]), seqs(got), "after a seq, tag ops only")

	require.NoError(t, f.rs.ResolveTags(f.ctx, r.ExportID, tags[:1], run.OpOK, "", ""))
	require.NoError(t, f.rs.ResolveTags(f.ctx, r.ExportID, tags[1:2], run.OpFailed, run.ReasonRejected, "no"))
	require.NoError(t, f.rs.ResolveTags(f.ctx, r.ExportID, nil, run.OpOK, "", ""), "no ops, nothing to do")
	got, err = f.rs.PendingTags(f.ctx, r.ID, 0, 10)
	require.NoError(t, err)
	require.Equal(t, seqs(tags[2:]), seqs(got))
	ops := f.opsBySeq(t, r)
	require.Equal(t, run.OpOK, ops[tags[0].Seq].Status)
	require.Equal(t, run.Op{RunID: r.ID, Seq: tags[1].Seq, Kind: run.OpTag, Email: "b@example.com", ProfileID: "p-b@example.com",
		Tags: tags[1].Tags, Status: run.OpFailed, Reason: run.ReasonRejected, Message: "no"}, normOps([]run.Op{ops[tags[1].Seq]})[0])

	// The run stops; the next one carries its pending ops over.
	n, err := f.rs.AbandonOps(f.ctx, r.ID, run.ReasonContinued, "carried over")
	require.NoError(t, err)
	require.Equal(t, 3, n, "two tag ops and the untag")
	unsure := func(email string) run.StateEntry {
		e := *state(email)
		e.Unsure = true
		return e
	}
	require.Equal(t, map[string]run.StateEntry{
		"a@example.com": *state("a@example.com"),
		"b@example.com": unsure("b@example.com"),
		"c@example.com": unsure("c@example.com"),
		"d@example.com": unsure("d@example.com"),
	}, normState(f.state(t, f.exp)), "a contact whose tags may be missing is unsure")
	require.Empty(t, f.state(t, f.other))
}
