package app_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/export"
	"segbridge/internal/notify"
	"segbridge/internal/omnisend/sandbox"
	"segbridge/internal/profile"
	"segbridge/internal/run"
	"segbridge/internal/service"
	"segbridge/internal/user"
)

// The removal brake (internal/run, brake.go) end to end, against the
// sandbox, on both engines.

// untagRoute is the sandbox's route of tag removals.
const untagRoute = "DELETE /api/contacts/tags"

var brakeAdmin = user.Principal{Role: user.RoleAdmin, Via: "cli", Actor: "cli:tester@test"}

// brakeOff turns every threshold of the removal brake off, for tests of
// other things that untag many contacts at once.
var brakeOff = export.Brake{UntagPercent: export.BrakeOff, SkipPercent: export.BrakeOff, DropPercent: export.BrakeOff}

// untagRequests is how many tag removals the sandbox has received.
func (e *e2e) untagRequests() int {
	n := 0
	for _, c := range e.sb.Stats().Requests[untagRoute] {
		n += c
	}
	return n
}

// setBrake saves the export's removal brake.
func (e *e2e) setBrake(b export.Brake) {
	e.t.Helper()
	e.export.Brake = b
	saved, err := e.a.Store.UpdateExport(e.ctx, e.export)
	require.NoError(e.t, err)
	e.export = saved
}

// members returns the e-mails of the export's members that no other
// profile shares, sorted.
func (e *e2e) memberEmails() []string {
	e.t.Helper()
	want, shared := e.expectedWithShared()
	var emails []string
	for em := range want {
		if !shared[em] {
			emails = append(emails, em)
		}
	}
	slices.Sort(emails)
	return emails
}

// editMembers applies edit to the profiles of emails.
func (e *e2e) editMembers(emails []string, edit func(a profile.Attrs)) {
	e.t.Helper()
	want := e.expected()
	ids := map[string]string{} // e-mail → the first profile with it
	require.NoError(e.t, e.a.Store.ScanProfiles(e.ctx, func(id string, raw []byte) error {
		a, err := profile.DecodeAttrs(raw)
		if err != nil {
			return err
		}
		if s, _ := a["email"].(string); s != "" {
			em := strings.ToLower(strings.TrimSpace(s))
			if _, seen := ids[em]; !seen {
				ids[em] = id
			}
		}
		return nil
	}))
	var batch []profile.Profile
	for _, em := range emails {
		id, ok := ids[em]
		require.True(e.t, ok, "no profile with e-mail %s", em)
		attrs := want[em]
		edit(attrs)
		batch = append(batch, profile.Profile{ID: id, Attrs: attrs})
	}
	_, err := e.a.Store.UpsertProfiles(e.ctx, batch, time.Now())
	require.NoError(e.t, err)
}

// moveOut takes n members (from the end of the sorted list, after skip)
// out of the segment and returns their e-mails.
func (e *e2e) moveOut(emails []string) map[string]bool {
	e.editMembers(emails, func(a profile.Attrs) { a["orders"] = int64(0) })
	out := map[string]bool{}
	for _, em := range emails {
		out[em] = true
	}
	return out
}

// share returns the first pct % of emails after the first skip.
func share(emails []string, skip, pct int) []string {
	n := len(emails) * pct / 100
	return emails[skip : skip+n]
}

// requireNoUntagSince checks that the sandbox received no tag removal
// since it had received before.
func (e *e2e) requireNoUntagSince(before int) {
	e.t.Helper()
	require.Equal(e.t, before, e.untagRequests(), "the sandbox saw a tag removal")
}

// requireHeld checks that r is held by the brake with a message naming
// want.
func requireHeld(t *testing.T, r run.Run, want ...string) {
	t.Helper()
	require.Equal(t, run.StatusHeld, r.Status, "run message: %s", r.Message)
	require.Equal(t, run.StepUntag, r.Step)
	for _, w := range want {
		require.Contains(t, r.Message, w)
	}
}

// TestBrakeHoldsUntilApproved (acceptance): a run that would untag 30 %
// of the export's contacts sends its adds and updates, holds every untag
// (the sandbox sees no tag removal) and ends held, which the default
// run_held rule notifies; the export starts no other run meanwhile; once
// approved, the same run sends the untags and the final state is exact.
func TestBrakeHoldsUntilApproved(t *testing.T) {
	onEachEngine(t, func(t *testing.T, dbURL string) {
		e := newE2E(t, dbURL, 1000, sandbox.FaultConfig{})
		hook := newHookReceiver(t, false)
		e.webhookChannel("Ops", hook.srv.URL, notify.Events{Alerts: true})
		first := e.run()
		state := first.Counts.Added
		emails := e.memberEmails()
		left := e.moveOut(share(emails, 0, 30))
		renamed := share(emails, len(emails)*30/100, 2)
		e.editMembers(renamed, func(a profile.Attrs) { a["first_name"] = "Renamed" })
		before := e.untagRequests()

		// A preview says the brake would hold the run.
		pv, err := e.a.Services.Runs.Plan(e.ctx, brakeAdmin, e.export.Name, service.PlanOptions{})
		require.NoError(t, err)
		require.Contains(t, pv.Brake, fmt.Sprintf("would hold the run's untags for approval: would untag %d of %d confirmed contacts (", len(left), state))

		held := e.runToEnd()
		requireHeld(t, held, fmt.Sprintf("would untag %d of %d confirmed contacts (", len(left), state), "threshold 10 % and 100")
		require.Equal(t, len(renamed), held.Counts.Updated, "the updates were sent")
		require.Zero(t, held.Counts.Untagged)
		e.requireNoUntagSince(before)
		got := e.contacts()
		for _, em := range renamed {
			require.Equal(t, "Renamed", got[em]["firstName"], em)
		}
		for em := range left {
			require.Contains(t, tagsOf(got[em]), "segbridge: buyers", "a held untag was not sent: %s", em)
		}

		// The default run_held rule fires.
		require.NoError(t, e.a.Notify.Flush(e.ctx))
		bodies := hook.bodies()
		require.Len(t, bodies, 1)
		var n notify.Notification
		require.NoError(t, json.Unmarshal(bodies[0], &n))
		require.Equal(t, held.ID, n.Run.ID)
		require.Equal(t, "run_held", n.Alerts[0].Rule.Kind)
		require.Contains(t, n.Run.Message, "would untag")

		// No other run while it is held.
		_, err = e.a.Services.Runs.Start(e.ctx, brakeAdmin, e.export.Name, service.StartOptions{NoJob: true})
		require.ErrorContains(t, err, fmt.Sprintf("run %d held by its removal brake", held.ID))
		var he *run.HeldError
		_, err = run.Start(e.ctx, e.a.Store, e.export.ID, run.TriggerSchedule, time.Now())
		require.True(t, errors.As(err, &he), "the scheduler is refused too: %v", err)

		rec, err := e.a.Jobs.Refresh(e.ctx) // the scheduled refresh skips the export, saying why
		require.NoError(t, err)
		require.Contains(t, rec.Message, fmt.Sprintf(`%q has run %d held by its removal brake`, e.export.Name, held.ID))
		require.Zero(t, rec.Runs)

		st, err := e.a.Services.Runs.Approve(e.ctx, brakeAdmin, held.ID)
		require.NoError(t, err)
		require.Equal(t, run.StatusQueued, st.Run.Status)
		require.Positive(t, st.JobID)
		_, err = e.a.Services.Runs.Approve(e.ctx, brakeAdmin, held.ID)
		require.ErrorContains(t, err, "already approved", "approved once")
		done, err := e.a.Runs.Execute(e.ctx, held.ID) // as the job's worker does
		require.NoError(t, err)
		require.Equal(t, run.StatusSucceeded, done.Status, done.Message)
		require.Equal(t, len(left), done.Counts.Untagged)
		require.Contains(t, done.Message, "untags approved by cli:tester@test")
		require.Greater(t, e.untagRequests(), before)
		e.requireExact(left)

		next := e.run()
		require.Zero(t, next.Counts.Untagged+next.Counts.Added+next.Counts.Updated, "nothing left to do: %+v", next.Counts)
	})
}

// TestBrakeDiscardKeepsTags (acceptance): discarding a held run's untags
// ends it, the contacts keep their tags (in Omnisend and in the export's
// state), and the next run, finding the same leavers, is held again.
func TestBrakeDiscardKeepsTags(t *testing.T) {
	onEachEngine(t, func(t *testing.T, dbURL string) {
		e := newE2E(t, dbURL, 1000, sandbox.FaultConfig{})
		e.run()
		left := e.moveOut(share(e.memberEmails(), 0, 30))
		before := e.untagRequests()
		held := e.runToEnd()
		requireHeld(t, held, "would untag")

		done, _, err := e.a.Services.Runs.Discard(e.ctx, brakeAdmin, held.ID)
		require.NoError(t, err)
		require.Equal(t, run.StatusSucceeded, done.Status)
		require.Equal(t, run.StepDone, done.Step)
		require.Equal(t, len(left), done.Counts.Skipped[run.ReasonDiscarded])
		require.Contains(t, done.Message, fmt.Sprintf("%d untags discarded by cli:tester@test", len(left)))
		_, _, err = e.a.Services.Runs.Discard(e.ctx, brakeAdmin, held.ID)
		require.ErrorContains(t, err, "not held")
		e.requireNoUntagSince(before)
		got := e.contacts()
		for em := range left {
			require.Contains(t, tagsOf(got[em]), "segbridge: buyers", em)
		}

		again := e.runToEnd()
		requireHeld(t, again, fmt.Sprintf("would untag %d of", len(left)))
		e.requireNoUntagSince(before)
	})
}

// TestBrakeUntagThreshold: the untag threshold holds only when the
// untags are above both its share and its count, and not at all when off.
func TestBrakeUntagThreshold(t *testing.T) {
	onEachEngine(t, func(t *testing.T, dbURL string) {
		e := newE2E(t, dbURL, 1000, sandbox.FaultConfig{})
		e.run()
		emails := e.memberEmails()
		e.setBrake(export.Brake{UntagPercent: 10, UntagMin: 1000, SkipPercent: 50, DropPercent: 50})
		e.moveOut(share(emails, 0, 15))
		r := e.run() // 15 %, but not more than 1,000 contacts
		require.Positive(t, r.Counts.Untagged)

		e.setBrake(export.Brake{UntagPercent: 20, UntagMin: 0, SkipPercent: 50, DropPercent: 50})
		e.moveOut(share(emails, len(emails)*15/100, 15))
		r = e.run() // about 17.6 % of what is left: not more than 20 %
		require.Positive(t, r.Counts.Untagged)

		e.setBrake(export.Brake{UntagPercent: export.BrakeOff, UntagMin: 0, SkipPercent: 50, DropPercent: 50})
		e.moveOut(share(emails, len(emails)*30/100, 20))
		r = e.run() // off
		require.Positive(t, r.Counts.Untagged)

		e.setBrake(export.Brake{UntagPercent: 10, UntagMin: 20, SkipPercent: 50, DropPercent: 50})
		e.moveOut(share(emails, len(emails)*50/100, 15))
		requireHeld(t, e.runToEnd(), "would untag", "threshold 10 % and 20)")
	})
}

// TestBrakeSkipThreshold: more than the threshold's share of members
// skipped holds the run (a broken e-mail attribute would untag them all).
func TestBrakeSkipThreshold(t *testing.T) {
	onEachEngine(t, func(t *testing.T, dbURL string) {
		e := newE2E(t, dbURL, 1000, sandbox.FaultConfig{})
		e.run()
		e.setBrake(export.Brake{UntagPercent: export.BrakeOff, SkipPercent: 50, DropPercent: export.BrakeOff})
		emails := e.memberEmails()
		breakEmail := func(a profile.Attrs) { a["email"] = "not an e-mail" }
		e.editMembers(share(emails, 0, 30), breakEmail)
		r := e.run() // 30 % skipped
		require.Positive(t, r.Counts.SkippedTotal())
		before := e.untagRequests()
		e.editMembers(share(emails, len(emails)*30/100, 30), breakEmail)
		held := e.runToEnd()
		requireHeld(t, held, "members skipped (", "threshold 50 %)")
		e.requireNoUntagSince(before)
	})
}

// TestBrakeDropThreshold: members falling by more than the threshold's
// share against the last successful run hold the run.
func TestBrakeDropThreshold(t *testing.T) {
	onEachEngine(t, func(t *testing.T, dbURL string) {
		e := newE2E(t, dbURL, 1000, sandbox.FaultConfig{})
		e.run()
		e.setBrake(export.Brake{UntagPercent: export.BrakeOff, SkipPercent: 50, DropPercent: 50})
		emails := e.memberEmails()
		e.moveOut(share(emails, 0, 30))
		last := e.run()                                  // about 30 % fewer
		e.moveOut(share(emails, len(emails)*30/100, 45)) // about 45 of the 70 % left: 64 % fewer
		held := e.runToEnd()
		requireHeld(t, held, fmt.Sprintf("members fell from %d (run %d) to ", last.Counts.Members, last.ID), "threshold 50 %)")
	})
}

// TestEveryMemberSkippedFails: a run whose every member is skipped fails
// at planning, sending and untagging nothing; it is never reported as
// succeeded (whatever the brake's settings).
func TestEveryMemberSkippedFails(t *testing.T) {
	onEachEngine(t, func(t *testing.T, dbURL string) {
		e := newE2E(t, dbURL, 300, sandbox.FaultConfig{})
		e.run()
		e.setBrake(export.Brake{UntagPercent: export.BrakeOff, SkipPercent: export.BrakeOff, DropPercent: export.BrakeOff})
		e.export.Mapping.Email = "city" // a wrong e-mail attribute: every member is skipped
		saved, err := e.a.Store.UpdateExport(e.ctx, e.export)
		require.NoError(t, err)
		e.export = saved
		before := e.untagRequests()
		r := e.runToEnd()
		require.Equal(t, run.StatusFailed, r.Status)
		require.Contains(t, r.Message, "members was skipped")
		e.requireNoUntagSince(before)
	})
}
