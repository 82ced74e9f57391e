package app_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/app"
	"segbridge/internal/export"
	"segbridge/internal/omnisend/sandbox"
	"segbridge/internal/run"
)

// TestApprovedUntagsSurviveSIGKILL (acceptance): `segbridge export
// approve` works the approved continuation of a held run in its own
// process; it is killed (SIGKILL) while its second tag-removal call is in
// flight, after the first was confirmed. `segbridge export run --resume`
// then resumes the same run at its untag step, and the final state is
// exact.
func TestApprovedUntagsSurviveSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: skipped with -short")
	}
	onEachEngine(t, func(t *testing.T, dbURL string) {
		var slow atomic.Bool
		var removals atomic.Int64
		second := make(chan struct{})
		e := newE2EWith(t, dbURL, 5000, sandbox.FaultConfig{}, func(_ *app.Config, sbURL string) string {
			target, err := url.Parse(sbURL)
			require.NoError(t, err)
			fwd := httputil.NewSingleHostReverseProxy(target)
			proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if slow.Load() && r.Method == http.MethodDelete && r.URL.Path == "/api/contacts/tags" {
					if removals.Add(1) == 2 {
						close(second)
					}
					time.Sleep(300 * time.Millisecond) // the kill strikes meanwhile
				}
				fwd.ServeHTTP(w, r)
			}))
			t.Cleanup(proxy.Close)
			return proxy.URL
		})
		e.run()
		left := e.moveOut(share(e.memberEmails(), 0, 30))
		held := e.runToEnd()
		requireHeld(t, held, "would untag "+export.Count(len(left))+" of")
		require.Greater(t, len(left), 2*250, "more than two tag-removal calls")

		slow.Store(true)
		c, stderr := e.command("export", "approve", fmt.Sprint(held.ID))
		require.NoError(t, c.Start())
		done := make(chan error, 1)
		go func() { done <- c.Wait() }()
		t.Cleanup(func() { _ = c.Process.Kill() })
		select {
		case <-second:
		case err := <-done:
			t.Fatalf("export approve ended before its second untag call: %v; %s", err, stderr)
		case <-time.After(60 * time.Second):
			t.Fatal("export approve never made its second untag call")
		}
		require.NoError(t, c.Process.Kill()) // SIGKILL
		<-done
		slow.Store(false)

		cur, err := e.a.Store.GetRun(e.ctx, held.ID)
		require.NoError(t, err)
		require.Equal(t, run.StatusRunning, cur.Status, cur.Message)
		require.Equal(t, run.StepUntag, cur.Step)
		require.Equal(t, run.DecisionApproved, cur.Hold.Decision)
		counts, err := e.a.Store.CountOps(e.ctx, held.ID)
		require.NoError(t, err)
		t.Logf("killed with %d of %d untags confirmed", counts.Untagged, len(left))
		require.Positive(t, counts.Untagged, "the first call was confirmed")
		require.Less(t, counts.Untagged, len(left), "untags were left to do")

		e.awaitLeaseFree()
		_, resumed := e.startWorker() // export run NAME --resume
		require.NoError(t, <-resumed)
		final, err := e.a.Store.GetRun(e.ctx, held.ID)
		require.NoError(t, err)
		require.Equal(t, run.StatusSucceeded, final.Status, final.Message)
		require.Equal(t, len(left), final.Counts.Untagged)
		runs, err := e.a.Store.ListRuns(e.ctx, e.export.ID, 1)
		require.NoError(t, err)
		require.Equal(t, held.ID, runs[0].ID, "the same run resumed; no new run")
		e.requireExact(left)
	})
}
