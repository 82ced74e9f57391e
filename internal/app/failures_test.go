package app_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/app"
	"segbridge/internal/connection"
	"segbridge/internal/omnisend"
	"segbridge/internal/omnisend/sandbox"
	"segbridge/internal/profile"
	"segbridge/internal/run"
	"segbridge/internal/service"
	"segbridge/internal/store"
	"segbridge/internal/user"
)

// runToEnd executes a manual run and returns it, whatever its status.
func (e *e2e) runToEnd() run.Run {
	e.t.Helper()
	r, err := e.a.Store.CreateRun(e.ctx, e.export.ID, run.TriggerManual, time.Now())
	require.NoError(e.t, err)
	r, err = e.a.Runs.Execute(e.ctx, r.ID)
	require.NoError(e.t, err)
	return r
}

// requireStateKept checks that the confirmed state still holds every
// contact of the first run: a run with nothing changed sends nothing.
func (e *e2e) requireStateKept(first run.Run) {
	e.t.Helper()
	again := e.run()
	require.Zero(e.t, again.Counts.Added+again.Counts.Updated+again.Counts.Untagged, "%+v", again.Counts)
	require.Equal(e.t, first.Counts.Added, again.Counts.Unchanged)
}

func TestRunFailsClearly(t *testing.T) {
	t.Run("removed connection", func(t *testing.T) {
		onEachEngine(t, func(t *testing.T, dbURL string) {
			e := newE2E(t, dbURL, 300, sandbox.FaultConfig{})
			first := e.run()
			conn, err := e.a.Connections.Remove(e.ctx, "Sandbox")
			require.NoError(t, err)
			r := e.runToEnd()
			require.Equal(t, run.StatusFailed, r.Status)
			require.Contains(t, r.Message, "connection")

			// Attach a new connection to the same brand: nothing was lost.
			again, err := e.a.Connections.Create(e.ctx, connection.Draft{
				Name: "Sandbox again", APIKey: omnisend.NewSecret("sandbox-key"), BaseURL: conn.BaseURL, ExportUser: "admin@example.com",
				Consent: connection.Consent{By: "admin@example.com", At: time.Now(), NoticeVersion: connection.NoticeVersion},
			})
			require.NoError(t, err)
			ex, err := e.a.Store.GetExport(e.ctx, e.export.Name)
			require.NoError(t, err)
			require.True(t, ex.Detached())
			ex.ConnectionID = again.ID
			e.export, err = e.a.Store.UpdateExport(e.ctx, ex)
			require.NoError(t, err)
			e.requireStateKept(first)
		})
	})
	t.Run("connection removed mid-run", func(t *testing.T) {
		onEachEngine(t, func(t *testing.T, dbURL string) {
			// A budget of 20 requests a second paces the send over seconds.
			e := newE2EWith(t, dbURL, 8000, sandbox.FaultConfig{}, func(cfg *app.Config, _ string) string {
				cfg.Omnisend.Budget = omnisend.NewWindowBudget(omnisend.WindowBudgetConfig{
					General: omnisend.Limit{Requests: 20, Window: time.Second},
					Tags:    omnisend.Limit{Requests: 10, Window: time.Second},
				}, nil)
				return ""
			})
			r := e.startRun()
			done := e.executeInBackground(r)
			e.awaitSent(r.ID, 1500)
			conn, err := e.a.Connections.Remove(e.ctx, "Sandbox")
			require.NoError(t, err)
			// The sandbox counts batches as it receives them (the run's own
			// progress is saved only once a second).
			before := e.sb.Stats().Brands["sandbox-brand"].Batches
			stopped := <-done
			require.Equal(t, run.StatusFailed, stopped.Status, "the run stops at its next batch")
			require.Contains(t, stopped.Message, "connection was removed")
			after := e.sb.Stats().Brands["sandbox-brand"].Batches
			p, err := e.a.Store.RunProgress(e.ctx, r.ID)
			require.NoError(t, err)
			t.Logf("%d batches received when the connection was removed, %d when the run stopped; %d of %d contacts sent",
				before, after, p.Sent, p.Upserts)
			// A send loop that had looked just before the removal, and the
			// batches in flight, may still go out.
			require.LessOrEqual(t, after-before, run.MaxInFlight+1, "at most the batches in flight went out with the removed connection's key")
			require.Less(t, p.Sent, p.Upserts)

			again, err := e.a.Connections.Create(e.ctx, connection.Draft{
				Name: "Sandbox again", APIKey: omnisend.NewSecret("sandbox-key"), BaseURL: conn.BaseURL, ExportUser: "admin@example.com",
				Consent: connection.Consent{By: "admin@example.com", At: time.Now(), NoticeVersion: connection.NoticeVersion},
			})
			require.NoError(t, err)
			ex, err := e.a.Store.GetExport(e.ctx, e.export.Name)
			require.NoError(t, err)
			ex.ConnectionID = again.ID
			e.export, err = e.a.Store.UpdateExport(e.ctx, ex)
			require.NoError(t, err)
			next := e.run()
			e.requireExact(nil)
			require.Less(t, next.Counts.Added+next.Counts.Updated, len(e.contacts()), "nothing confirmed was lost: the next run continued")
		})
	})
	t.Run("revoked key", func(t *testing.T) {
		onEachEngine(t, func(t *testing.T, dbURL string) {
			e := newE2E(t, dbURL, 300, sandbox.FaultConfig{})
			e.run()
			revoked := e.revocableKey()
			changed, _ := e.churn()
			revoked.Store(true)
			r := e.runToEnd()
			require.Equal(t, run.StatusFailed, r.Status)
			require.Contains(t, r.Message, "401")
			revoked.Store(false)
			next := e.run()
			require.Equal(t, len(changed), next.Counts.Updated, "the changes are sent once the key works again")
		})
	})
	t.Run("every member skipped", func(t *testing.T) {
		onEachEngine(t, func(t *testing.T, dbURL string) {
			e := newE2E(t, dbURL, 300, sandbox.FaultConfig{})
			first := e.run()
			before := e.sb.Stats().Brands["sandbox-brand"]
			ex, err := e.a.Store.GetExport(e.ctx, e.export.Name)
			require.NoError(t, err)
			ex.Mapping.Email = "first_name" // a slip: every profile has it, and none is an e-mail
			e.export, err = e.a.Store.UpdateExport(e.ctx, ex)
			require.NoError(t, err)
			r := e.runToEnd()
			require.Equal(t, run.StatusFailed, r.Status, "a run that skips every member is not a success")
			require.Contains(t, r.Message, "every one of the export's")
			require.Contains(t, r.Message, "invalid_email")
			after := e.sb.Stats().Brands["sandbox-brand"]
			require.Equal(t, before.Batches, after.Batches, "nothing sent")
			require.Equal(t, before.PendingTagOps, after.PendingTagOps)
			ex.Mapping.Email = "email"
			e.export, err = e.a.Store.UpdateExport(e.ctx, ex)
			require.NoError(t, err)
			e.requireExact(nil) // nobody was untagged
			e.requireStateKept(first)
		})
	})
	t.Run("mapped attribute gone", func(t *testing.T) {
		onEachEngine(t, func(t *testing.T, dbURL string) {
			e := newE2E(t, dbURL, 300, sandbox.FaultConfig{})
			e.run()
			before := e.sb.Stats().Brands["sandbox-brand"]
			want := e.expected()
			// A re-import without the e-mail column: no profile has it any more.
			var batch []profile.Profile
			for after := ""; ; {
				page, err := e.a.Store.ListProfiles(e.ctx, storeList(after))
				require.NoError(t, err)
				for _, p := range page {
					delete(p.Attrs, "email")
					batch = append(batch, profile.Profile{ID: p.ID, Attrs: p.Attrs})
				}
				if len(page) < 1000 {
					break
				}
				after = page[len(page)-1].ID
			}
			_, err := e.a.Store.UpsertProfiles(e.ctx, batch, time.Now())
			require.NoError(t, err)
			r := e.runToEnd()
			require.Equal(t, run.StatusFailed, r.Status)
			require.Contains(t, r.Message, "mapping no longer fits")
			require.Contains(t, r.Message, "email")
			after := e.sb.Stats().Brands["sandbox-brand"]
			require.Equal(t, before.Batches, after.Batches, "nothing sent")
			require.Equal(t, before.PendingTagOps, after.PendingTagOps, "nothing untagged")
			tagged := 0
			for _, c := range e.contacts() {
				if slices.Contains(tagsOf(c), "segbridge: buyers") {
					tagged++
				}
			}
			require.Equal(t, len(want), tagged, "every contact keeps its tag")
		})
	})
	t.Run("over its cap", func(t *testing.T) {
		onEachEngine(t, func(t *testing.T, dbURL string) {
			e := newE2E(t, dbURL, 300, sandbox.FaultConfig{})
			first := e.run()
			batches := e.sb.Stats().Brands["sandbox-brand"].Batches
			e.setCap(10)
			r := e.runToEnd()
			require.Equal(t, run.StatusFailed, r.Status)
			require.Contains(t, r.Message, "more than 10 members")
			require.Contains(t, r.Message, "nothing was sent")
			require.Equal(t, batches, e.sb.Stats().Brands["sandbox-brand"].Batches)
			e.setCap(1_000_000)
			e.requireStateKept(first)
		})
	})
	t.Run("segment removal refused", func(t *testing.T) {
		onEachEngine(t, func(t *testing.T, dbURL string) {
			e := newE2E(t, dbURL, 100, sandbox.FaultConfig{})
			err := e.a.Store.DeleteSegment(e.ctx, e.export.Segments[0])
			require.ErrorIs(t, err, store.ErrInUse, "a segment an export sends cannot disappear under it")
			require.Contains(t, err.Error(), e.export.Name)
		})
	})
}

func (e *e2e) setCap(n int) {
	e.t.Helper()
	ex, err := e.a.Store.GetExport(e.ctx, e.export.Name)
	require.NoError(e.t, err)
	ex.ProfileCap = n
	e.export, err = e.a.Store.UpdateExport(e.ctx, ex)
	require.NoError(e.t, err)
}

// revocableKey puts a proxy in front of the sandbox that answers 401, as
// Omnisend does for a revoked key, while the returned flag is set, and
// points the connection at it.
func (e *e2e) revocableKey() *atomic.Bool {
	e.t.Helper()
	revoked := &atomic.Bool{}
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if revoked.Load() {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"type":"about:blank","title":"Unauthorized","status":401,"detail":"API key is revoked"}`))
			return
		}
		e.sb.ServeHTTP(w, r)
	}))
	e.t.Cleanup(proxy.Close)
	conn, err := e.a.Connections.Create(e.ctx, connection.Draft{
		Name: "Revocable", APIKey: omnisend.NewSecret("sandbox-key"), BaseURL: proxy.URL, ExportUser: "admin@example.com",
		Consent: connection.Consent{By: "admin@example.com", At: time.Now(), NoticeVersion: connection.NoticeVersion},
	})
	require.NoError(e.t, err)
	ex, err := e.a.Store.GetExport(e.ctx, e.export.Name)
	require.NoError(e.t, err)
	ex.ConnectionID = conn.ID
	e.export, err = e.a.Store.UpdateExport(e.ctx, ex)
	require.NoError(e.t, err)
	return revoked
}

// TestRunStopsWhenItsStarterLosesAccess: a run a contributor started
// stops at its next batch once the connection is made admins-only, or
// once the contributor is removed; what Omnisend confirmed is kept, and
// the next run continues from it (issue 13, data safety).
func TestRunStopsWhenItsStarterLosesAccess(t *testing.T) {
	for _, how := range []string{"connection made admins-only", "user removed"} {
		t.Run(how, func(t *testing.T) {
			onEachEngine(t, func(t *testing.T, dbURL string) {
				e := newE2EWith(t, dbURL, 8000, sandbox.FaultConfig{}, func(cfg *app.Config, _ string) string {
					cfg.Omnisend.Budget = omnisend.NewWindowBudget(omnisend.WindowBudgetConfig{
						General: omnisend.Limit{Requests: 20, Window: time.Second},
						Tags:    omnisend.Limit{Requests: 10, Window: time.Second},
					}, nil)
					return ""
				})
				shared, admins := connection.AccessContributors, connection.AccessAdmins
				_, err := e.a.Connections.Update(e.ctx, "Sandbox", connection.Changes{Access: &shared})
				require.NoError(t, err)
				u, err := e.a.Users.Add(e.ctx, "carl@example.com", "a long enough password", user.RoleContributor)
				require.NoError(t, err)
				carl := user.Principal{UserID: u.ID, Email: u.Email, Role: u.Role, Via: "session"}
				admin := user.Principal{Email: "admin@example.com", Role: user.RoleAdmin, Via: "cli", Actor: "cli:test"}

				st, err := e.a.Services.Runs.Start(e.ctx, carl, e.export.Name, service.StartOptions{NoJob: true})
				require.NoError(t, err)
				require.Equal(t, u.ID, st.Run.StartedBy)
				done := e.executeInBackground(st.Run)
				e.awaitSent(st.Run.ID, 1500)
				before := e.sb.Stats().Brands["sandbox-brand"].Batches
				if how == "user removed" {
					_, err = e.a.Services.Users.Remove(e.ctx, admin, u.Email)
				} else {
					_, err = e.a.Services.Connections.Update(e.ctx, admin, "Sandbox", connection.Changes{Access: &admins})
				}
				require.NoError(t, err)
				stopped := <-done
				require.Equal(t, run.StatusFailed, stopped.Status, "the run stops at its next batch")
				if how == "user removed" {
					require.Contains(t, stopped.Message, "the user who started run")
				} else {
					require.Contains(t, stopped.Message, "carl@example.com, who started run")
					require.Contains(t, stopped.Message, `connection "Sandbox" is for admins only`)
				}
				after := e.sb.Stats().Brands["sandbox-brand"].Batches
				require.LessOrEqual(t, after-before, run.MaxInFlight+1, "at most the batches in flight went out")
				p, err := e.a.Store.RunProgress(e.ctx, st.Run.ID)
				require.NoError(t, err)
				require.Less(t, p.Sent, p.Upserts)
				t.Logf("stopped with %d of %d contacts sent: %s", p.Sent, p.Upserts, stopped.Message)

				next := e.run() // the scheduler's or an admin's run: no starter to check
				e.requireExact(nil)
				require.Less(t, next.Counts.Added+next.Counts.Updated, len(e.contacts()), "nothing confirmed was lost: the next run continued")
			})
		})
	}
}
