package app_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/app"
	"segbridge/internal/omnisend"
	"segbridge/internal/omnisend/sandbox"
	"segbridge/internal/profile"
	"segbridge/internal/run"
)

// outageProxy stands between segbridge and the sandbox and can go down:
// refusing connections (its listener closed) or hanging (it reads the
// request and never answers). Nothing reaches the sandbox while it is down.
type outageProxy struct {
	t    testing.TB
	addr string
	h    http.Handler

	mu   sync.Mutex
	srv  *http.Server
	hang bool
}

func newOutageProxy(t testing.TB, target string) *outageProxy {
	u, err := url.Parse(target)
	require.NoError(t, err)
	p := &outageProxy{t: t, h: httputil.NewSingleHostReverseProxy(u)}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(func() { p.refuse() })
	return p
}

func (p *outageProxy) url() string { return "http://" + p.addr }

func (p *outageProxy) serve(ln net.Listener) {
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		hang := p.hang
		p.mu.Unlock()
		if hang {
			<-r.Context().Done()
			return
		}
		p.h.ServeHTTP(w, r)
	})}
	p.mu.Lock()
	p.srv = srv
	p.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
}

// refuse closes the listener and every connection: connections are refused.
func (p *outageProxy) refuse() {
	p.mu.Lock()
	srv := p.srv
	p.srv = nil
	p.mu.Unlock()
	if srv != nil {
		_ = srv.Close()
	}
}

// setHang makes requests hang (true) or pass (false).
func (p *outageProxy) setHang(hang bool) {
	p.mu.Lock()
	p.hang = hang
	p.mu.Unlock()
}

// up listens again on the same address.
func (p *outageProxy) up() {
	var ln net.Listener
	var err error
	require.Eventually(p.t, func() bool {
		ln, err = net.Listen("tcp", p.addr)
		return err == nil
	}, 5*time.Second, 10*time.Millisecond, "listen again on %s", p.addr)
	p.serve(ln)
}

// fastClock runs k times faster than the wall clock: it stands for
// Omnisend's time in the clients, as the sandbox's time scale does.
type fastClock struct {
	start time.Time
	k     float64
}

func newFastClock(k float64) fastClock { return fastClock{start: time.Now(), k: k} }

func (c fastClock) Now() time.Time {
	return c.start.Add(time.Duration(float64(time.Since(c.start)) * c.k))
}

func (c fastClock) Sleep(ctx context.Context, d time.Duration) error {
	return omnisend.SystemClock{}.Sleep(ctx, time.Duration(float64(d)/c.k))
}

// startRun starts a manual run the way every interface does (run.Start),
// waiting while the export's run in progress is still leased.
func (e *e2e) startRun() run.Run {
	e.t.Helper()
	var r run.Run
	require.Eventually(e.t, func() bool {
		var err error
		r, err = run.Start(e.ctx, e.a.Store, e.export.ID, run.TriggerManual, time.Now())
		if errors.Is(err, run.ErrActiveRun) {
			return false
		}
		require.NoError(e.t, err)
		return true
	}, 20*time.Second, 20*time.Millisecond, "the export's run in progress never became free")
	return r
}

// executeInBackground starts run r's executor and returns a channel that
// yields the final run.
func (e *e2e) executeInBackground(r run.Run) <-chan run.Run {
	done := make(chan run.Run, 1)
	go func() {
		final, err := e.a.Runs.Execute(e.ctx, r.ID)
		if err != nil {
			final.Message = "executor error: " + err.Error()
		}
		done <- final
	}()
	return done
}

// awaitSent waits until run id has sent at least n contacts.
func (e *e2e) awaitSent(id int64, n int) {
	e.t.Helper()
	require.Eventually(e.t, func() bool {
		p, err := e.a.Store.RunProgress(e.ctx, id)
		require.NoError(e.t, err)
		return p.Sent >= n
	}, 60*time.Second, 5*time.Millisecond, "run %d never sent %d contacts", id, n)
}

// leaveSome moves frac of the export's members out of its segment,
// choosing first those Omnisend already holds, and returns their e-mails.
func (e *e2e) leaveSome(frac float64) map[string]bool {
	e.t.Helper()
	want, shared := e.expectedWithShared()
	inSandbox := e.contacts()
	var present, absent []string
	for em := range want {
		switch {
		case shared[em]:
		case inSandbox[em] != nil:
			present = append(present, em)
		default:
			absent = append(absent, em)
		}
	}
	slices.Sort(present)
	slices.Sort(absent)
	n := max(1, int(frac*float64(len(want))))
	pick := append(present, absent...)[:n]
	left := map[string]bool{}
	var batch []profile.Profile
	for _, em := range pick {
		id, err := e.findByEmail(em)
		require.NoError(e.t, err)
		attrs := want[em]
		attrs["orders"] = int64(0)
		batch = append(batch, profile.Profile{ID: id, Attrs: attrs})
		left[em] = true
	}
	_, err := e.a.Store.UpsertProfiles(e.ctx, batch, time.Now())
	require.NoError(e.t, err)
	return left
}

// TestRunsConvergeAfterUnfinishedRuns stops a run part-way three ways —
// cancelled, failed (Omnisend unreachable past the outage limit), killed
// (SIGKILL, no --resume) — after Omnisend accepted some of its batches,
// moves 5 % of the members out, and runs again: the next run continues
// the unfinished one, and no contact stays tagged after leaving.
func TestRunsConvergeAfterUnfinishedRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped with -short")
	}
	t.Run("cancelled", func(t *testing.T) {
		onEachEngine(t, func(t *testing.T, dbURL string) {
			e := newE2E(t, dbURL, 8000, sandbox.FaultConfig{})
			r := e.startRun()
			done := e.executeInBackground(r)
			e.awaitSent(r.ID, 1500)
			require.NoError(t, e.a.Store.RequestCancel(e.ctx, r.ID))
			stopped := <-done
			require.Equal(t, run.StatusCancelled, stopped.Status, stopped.Message)
			e.requireConvergesAfter(stopped)
		})
	})
	t.Run("failed", func(t *testing.T) {
		onEachEngine(t, func(t *testing.T, dbURL string) {
			var proxy *outageProxy
			e := newE2EWith(t, dbURL, 8000, sandbox.FaultConfig{}, func(cfg *app.Config, sbURL string) string {
				cfg.Omnisend.OutageLimit = 500 * time.Millisecond
				cfg.Omnisend.Timeout = 200 * time.Millisecond
				proxy = newOutageProxy(t, sbURL)
				return proxy.url()
			})
			r := e.startRun()
			done := e.executeInBackground(r)
			e.awaitSent(r.ID, 1500)
			proxy.refuse() // the sandbox is gone mid-send
			stopped := <-done
			require.Equal(t, run.StatusFailed, stopped.Status, stopped.Message)
			require.Contains(t, stopped.Message, "did not answer", "the cause: %s", stopped.Message)
			require.Contains(t, stopped.Message, "refused", "the real cause: %s", stopped.Message)
			proxy.up()
			e.requireConvergesAfter(stopped)
		})
	})
	t.Run("killed", func(t *testing.T) {
		onEachEngine(t, func(t *testing.T, dbURL string) {
			e := newE2E(t, dbURL, 8000, sandbox.FaultConfig{})
			w, done := e.startWorker()
			exited, err := e.awaitStep(run.StepSend, done)
			require.False(t, exited, "the worker ended before sending: %v", err)
			r := e.activeRun()
			e.awaitSent(r.ID, 1500)
			require.NoError(t, w.Process.Kill()) // SIGKILL
			<-done
			stopped, err := e.a.Store.GetRun(e.ctx, r.ID)
			require.NoError(t, err)
			require.Equal(t, run.StatusRunning, stopped.Status, "a killed run stays running until its lease runs out")
			e.requireConvergesAfter(stopped)
		})
	})
}

// requireConvergesAfter moves 5 % of the members out after the unfinished
// run stopped and checks that one more run leaves Omnisend exact.
func (e *e2e) requireConvergesAfter(stopped run.Run) {
	e.t.Helper()
	accepted := len(e.contacts())
	require.Positive(e.t, accepted, "Omnisend accepted some of the stopped run's contacts")
	left := e.leaveSome(0.05)
	// 5 % of the members out of the part of them the stopped run got
	// confirmed can be over the removal brake's default 10 %: the brake
	// is not what this checks (TestBrake* do).
	e.setBrake(brakeOff)
	r := e.startRun()
	final, err := e.a.Runs.Execute(e.ctx, r.ID)
	require.NoError(e.t, err)
	require.Equal(e.t, run.StatusSucceeded, final.Status, final.Message)
	e.requireExact(left)
	before, err := e.a.Store.GetRun(e.ctx, stopped.ID)
	require.NoError(e.t, err)
	require.True(e.t, before.Status.Final(), "the stopped run is final")
	e.t.Logf("run %d stopped (%s: %s) with %d contacts in Omnisend; run %d: %+v",
		stopped.ID, before.Status, before.Message, accepted, final.ID, final.Counts)
	// Nothing more to do: the state is what Omnisend holds.
	again := e.run()
	require.Zero(e.t, again.Counts.Added+again.Counts.Updated+again.Counts.Untagged, "%+v", again.Counts)
}

// activeRun is the export's run in progress.
func (e *e2e) activeRun() run.Run {
	e.t.Helper()
	runs, err := e.a.Store.ListRuns(e.ctx, e.export.ID, 1)
	require.NoError(e.t, err)
	require.NotEmpty(e.t, runs)
	require.False(e.t, runs[0].Status.Final())
	return runs[0]
}

// TestRunConvergesThroughHeavyFaults: with 30 % 5xx, 20 % 429 and 5 % lost
// responses, a first run (or at most three in a row) reaches the exact
// state, and Omnisend accepts at most 1.3 items per contact.
func TestRunConvergesThroughHeavyFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped with -short")
	}
	onEachEngine(t, func(t *testing.T, dbURL string) {
		e := newE2E(t, dbURL, 20_000, sandbox.FaultConfig{Seed: 5, Error5xx: 0.30, Extra429: 0.20, Lost: 0.05})
		var runs []run.Run
		for len(runs) < 3 {
			r := e.runToEnd()
			runs = append(runs, r)
			if r.Status == run.StatusSucceeded {
				break
			}
			t.Logf("run %d %s: %s", r.ID, r.Status, r.Message)
		}
		last := runs[len(runs)-1]
		require.Equal(t, run.StatusSucceeded, last.Status, last.Message)
		e.requireExact(nil)
		contacts := len(e.contacts())
		items := e.sentContacts()
		faults := e.sb.Stats().Faults
		t.Logf("%d run(s); %d contacts; %d items accepted (%.3f per contact); faults %v; requests %d",
			len(runs), contacts, items, float64(items)/float64(contacts), faults, last.Requests)
		require.GreaterOrEqual(t, contacts, 14_000)
		require.LessOrEqual(t, float64(items), 1.3*float64(contacts), "items accepted per contact")
		require.Positive(t, faults["5xx"])
		require.Positive(t, faults["429"])
		require.Positive(t, faults["lost"])
	})
}

// TestRunWaitsOutAnOutage: Omnisend is unreachable for 120 s in the middle
// of a send — first refusing connections, then hanging — and the run waits,
// shows that it waits, and ends exact without re-sending what Omnisend
// confirmed; with an outage limit shorter than the outage the run fails
// with the cause, and the next run continues it. Omnisend's time runs 20
// times faster than the wall clock in the clients (as the sandbox's does),
// so the 120 s take 6 s.
func TestRunWaitsOutAnOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped with -short")
	}
	const scale = 20
	outage := func(t *testing.T, e *e2e, proxy *outageProxy, clock fastClock, r run.Run) {
		e.awaitSent(r.ID, 1500)
		start := clock.Now()
		proxy.refuse()
		waitUntil(clock, start.Add(60*time.Second))
		proxy.up()
		proxy.setHang(true)
		waitUntil(clock, start.Add(120*time.Second))
		proxy.setHang(false)
	}
	setup := func(t *testing.T, dbURL string, limit time.Duration) (*e2e, *outageProxy, fastClock) {
		clock := newFastClock(scale)
		var proxy *outageProxy
		e := newE2EWith(t, dbURL, 8000, sandbox.FaultConfig{}, func(cfg *app.Config, sbURL string) string {
			cfg.Omnisend.Clock, cfg.Omnisend.OutageLimit = clock, limit
			cfg.Omnisend.Timeout = 300 * time.Millisecond // a hanging request is given up on after 6 s of Omnisend's time
			proxy = newOutageProxy(t, sbURL)
			return proxy.url()
		})
		return e, proxy, clock
	}
	t.Run("waited out", func(t *testing.T) {
		onEachEngine(t, func(t *testing.T, dbURL string) {
			e, proxy, clock := setup(t, dbURL, 0) // the default limit, 30 min
			r := e.startRun()
			done := e.executeInBackground(r)
			waiting := make(chan string, 1)
			go func() { waiting <- e.awaitWaiting(r.ID) }()
			outage(t, e, proxy, clock, r)
			final := <-done
			require.Equal(t, run.StatusSucceeded, final.Status, final.Message)
			shown := <-waiting
			require.Contains(t, shown, "waiting for Omnisend since", "the run showed that it waited")
			e.requireExact(nil)
			sent, unique := e.sentContacts(), len(e.contacts())
			t.Logf("shown while waiting: %q; %d contacts sent for %d unique", shown, sent, unique)
			inFlight := run.MaxInFlight * omnisend.Dialect20260315.MaxBatchItems()
			require.LessOrEqual(t, sent-unique, inFlight, "at most the batches in flight when Omnisend went away are sent again")
			p, err := e.a.Store.RunProgress(e.ctx, r.ID)
			require.NoError(t, err)
			require.Empty(t, p.Waiting(), "no longer waiting")
		})
	})
	t.Run("past the outage limit", func(t *testing.T) {
		onEachEngine(t, func(t *testing.T, dbURL string) {
			e, proxy, clock := setup(t, dbURL, time.Minute)
			r := e.startRun()
			done := e.executeInBackground(r)
			outage(t, e, proxy, clock, r)
			failed := <-done
			require.Equal(t, run.StatusFailed, failed.Status)
			require.Contains(t, failed.Message, "did not answer for 1m0s", "the cause: %s", failed.Message)
			accepted := len(e.contacts())
			next := e.run()
			e.requireExact(nil)
			sent, unique := e.sentContacts(), len(e.contacts())
			t.Logf("failed run: %q with %d contacts in Omnisend; the next run %+v; %d sent for %d unique",
				failed.Message, accepted, next.Counts, sent, unique)
			require.Less(t, next.Counts.Added+next.Counts.Updated, unique, "the next run continued: it did not send everything again")
			inFlight := run.MaxInFlight * omnisend.Dialect20260315.MaxBatchItems()
			require.LessOrEqual(t, sent-unique, inFlight)
		})
	})
}

// waitUntil sleeps until clock reaches t: how long the outage lasts is the
// test's input, not a guess at how long something takes.
func waitUntil(clock fastClock, t time.Time) {
	for clock.Now().Before(t) {
		time.Sleep(10 * time.Millisecond)
	}
}

// awaitWaiting waits until run id's progress says it waits for Omnisend,
// and returns what it says.
func (e *e2e) awaitWaiting(id int64) string {
	var shown string
	require.Eventually(e.t, func() bool {
		p, err := e.a.Store.RunProgress(e.ctx, id)
		if err != nil {
			return false
		}
		shown = p.Waiting()
		return shown != ""
	}, 60*time.Second, 10*time.Millisecond, "run %d never showed that it waits", id)
	return shown
}

// TestOneExecutorPerRun: while a process works a run, a second executor
// (`export run --resume`, or any worker) is refused; once that process is
// killed its lease runs out and a takeover finishes the run exactly, with
// the requests it recorded equal to those the sandbox received.
func TestOneExecutorPerRun(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped with -short")
	}
	onEachEngine(t, func(t *testing.T, dbURL string) {
		e := newE2E(t, dbURL, 27_500, sandbox.FaultConfig{})
		e.workerLease = 5 * time.Second
		base := e.sandboxRequests()
		w, done := e.startWorker()
		exited, err := e.awaitStep(run.StepSend, done)
		require.False(t, exited, "the worker ended before sending: %v", err)
		r := e.activeRun()
		e.awaitSent(r.ID, 500)

		second, stderr := e.command("export", "run", e.export.Name, "--resume")
		require.Error(t, second.Run(), "a second executor while the first works")
		require.Contains(t, stderr.String(), "worked by", stderr.String())
		_, err = e.a.Runs.Execute(e.ctx, r.ID)
		var le *run.LeaseError
		require.ErrorAs(t, err, &le, "the executor itself refuses a leased run")

		require.NoError(t, w.Process.Kill()) // SIGKILL
		<-done
		cur, err := e.a.Store.GetRun(e.ctx, r.ID)
		require.NoError(t, err)
		require.True(t, cur.LeaseUntil.After(time.Now()), "the killed process's lease is still live")
		_, err = e.a.Runs.Execute(e.ctx, r.ID)
		require.ErrorAs(t, err, &le, "refused until the lease runs out")

		e.awaitLeaseFree()
		takeover, stderr := e.command("export", "run", e.export.Name, "--resume")
		require.NoError(t, takeover.Run(), stderr.String())
		final, err := e.a.Store.GetRun(e.ctx, r.ID)
		require.NoError(t, err)
		require.Equal(t, run.StatusSucceeded, final.Status, final.Message)
		e.requireExact(nil)
		received, recorded := e.sandboxRequests()-base, e.recordedRequests()
		t.Logf("run %d taken over after the kill; requests: %d recorded, %d received", r.ID, recorded, received)
		requireRequestsRecorded(t, recorded, received, 1)
	})
}

// TestPlanReadsEachContactFromOneImport re-imports profiles over and over
// while runs plan: in one version every profile is a member, in the other
// half of them are not and every name changes. No contact may end up
// tagged as a member with the fields of a version in which it is not one.
func TestPlanReadsEachContactFromOneImport(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped with -short")
	}
	onEachEngine(t, func(t *testing.T, dbURL string) {
		e := newE2E(t, dbURL, 100, sandbox.FaultConfig{})
		e.setBrake(brakeOff) // half the members leave and come back: not the brake's test
		const n = 6000
		version := func(v int) []byte {
			var b strings.Builder
			b.WriteString("id,email,first_name,last_name,city,postal_code,country,orders\n")
			for i := range n {
				orders := 5
				if v == 2 && i%2 == 0 {
					orders = 0
				}
				fmt.Fprintf(&b, "snap%05d,snap%05d@example.com,v%d-%d,Last,Brno,60200,CZ,%d\n", i, i, v, orders, orders)
			}
			return []byte(b.String())
		}
		v1, v2 := version(1), version(2)
		e.importProfiles(v1)
		for range 3 {
			r := e.startRun()
			done := e.executeInBackground(r)
			imports := 0
		loop:
			for {
				select {
				case final := <-done:
					require.Equal(t, run.StatusSucceeded, final.Status, final.Message)
					break loop
				default:
				}
				if imports%2 == 0 {
					e.importProfiles(v2)
				} else {
					e.importProfiles(v1)
				}
				imports++
			}
			t.Logf("run %d planned while %d imports ran", r.ID, imports)
			require.Positive(t, imports)
			const segTag = "segbridge: buyers"
			for email, c := range e.contacts() {
				if !strings.HasPrefix(email, "snap") || !slices.Contains(tagsOf(c), segTag) {
					continue
				}
				require.NotEqual(t, "v2-0", c["firstName"], "%s is tagged as a member but was sent with the fields of a version in which it is none", email)
			}
		}
	})
}
