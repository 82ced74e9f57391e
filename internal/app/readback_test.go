package app_test

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/app"
	"segbridge/internal/export"
	"segbridge/internal/omnisend"
	"segbridge/internal/omnisend/sandbox"
	"segbridge/internal/profile"
	"segbridge/internal/readback"
	"segbridge/internal/run"
	"segbridge/internal/segment"
)

// segTag is the tag of the e2e export's segment.
const segTag = "segbridge: buyers"

// newInstantE2E is newE2E against a sandbox whose batches finish at once
// and whose tag operations apply at the next request, so that a run's
// requests are exactly those its plan needs: one POST /batches and one
// status read per batch, one call per untag group.
func newInstantE2E(t *testing.T, dbURL string, profiles int) *e2e {
	t.Helper()
	sb, err := sandbox.New(sandbox.Config{TimeScale: timeScale, TagDelay: time.Nanosecond,
		Batches: sandbox.BatchConfig{StartDelay: time.Nanosecond, ItemInterval: time.Nanosecond}})
	require.NoError(t, err)
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	e := newE2EWith(t, dbURL, profiles, sandbox.FaultConfig{}, func(*app.Config, string) string { return srv.URL })
	e.sb, e.sandboxURL = sb, srv.URL
	return e
}

// omnisendClient talks to the sandbox directly, as a merchant's other
// tools would.
func (e *e2e) omnisendClient() *omnisend.Client {
	e.t.Helper()
	c, err := omnisend.New(omnisend.Config{BaseURL: e.sbURL(), APIKey: omnisend.NewSecret("sandbox-key")})
	require.NoError(e.t, err)
	return c
}

// someMembers returns n exported e-mails, sorted, that no other profile
// shares, starting after skip of them; keep filters them (nil: all).
func (e *e2e) someMembers(skip, n int, keep func(profile.Attrs) bool) []string {
	e.t.Helper()
	want, shared := e.expectedWithShared()
	var emails []string
	for em, attrs := range want {
		if !shared[em] && (keep == nil || keep(attrs)) {
			emails = append(emails, em)
		}
	}
	slices.Sort(emails)
	require.GreaterOrEqual(e.t, len(emails), skip+n)
	return emails[skip : skip+n]
}

func (e *e2e) awaitTagOps() {
	e.t.Helper()
	require.Eventually(e.t, func() bool {
		return e.sb.Stats().Brands["sandbox-brand"].PendingTagOps == 0
	}, 10*time.Second, 5*time.Millisecond)
}

func (e *e2e) verify(repair bool) app.VerifyResult {
	e.t.Helper()
	res, err := e.a.VerifyExport(e.ctx, e.export.Name, app.VerifyOptions{Repair: repair})
	require.NoError(e.t, err)
	return res
}

func findingsByKind(rep readback.Report) map[readback.Kind][]string {
	out := map[readback.Kind][]string{}
	for _, f := range rep.Findings {
		out[f.Kind] = append(out[f.Kind], f.Email)
	}
	return out
}

// minimumRequests is the fewest requests a run can repair `upserts`
// contacts and untag `untagGroups` groups of contacts with: one POST
// /batches per batch (100 contacts on 2026-03-15), one status read per
// batch, one DELETE /contacts/tags per group (up to 250 e-mails).
func minimumRequests(upserts, untagGroups int) int {
	batches := (upserts + omnisend.Dialect20260315.MaxBatchItems() - 1) / omnisend.Dialect20260315.MaxBatchItems()
	return 2*batches + untagGroups
}

// TestVerifyReportsAndRepairsDrift is issue 16's acceptance 4: after 10
// contacts are deleted and a tag is removed from 10 others directly in
// Omnisend, export verify reports exactly those 20, and a repair run fixes
// them with the minimum number of requests.
func TestVerifyReportsAndRepairsDrift(t *testing.T) {
	onEachEngine(t, func(t *testing.T, dbURL string) {
		e := newInstantE2E(t, dbURL, 1000)
		first := e.run()
		e.requireExact(nil)

		clean := e.verify(false)
		require.Empty(t, clean.Findings, "nothing drifted yet")
		require.Equal(t, clean.Estimate.Requests, clean.Requests, "a clean verify makes the requests it announced")
		require.Equal(t, first.Counts.Added, clean.Estimate.State)

		deleted, untagged := e.someMembers(0, 10, nil), e.someMembers(10, 10, nil)
		require.Equal(t, 10, e.sb.DeleteContacts("", deleted...))
		require.NoError(t, e.omnisendClient().RemoveTags(e.ctx, untagged, []string{segTag}))
		e.awaitTagOps()

		report := e.verify(false)
		got := findingsByKind(report.Report)
		require.Equal(t, map[readback.Kind][]string{readback.MissingContact: deleted, readback.MissingTag: untagged}, got,
			"exactly the 20 drifted contacts")
		for _, f := range report.Findings {
			require.Equal(t, []string{segTag}, f.Tags, f.Email)
			require.NotEmpty(t, f.ProfileID)
		}
		require.Zero(t, report.Repaired, "report only")
		require.LessOrEqual(t, report.Requests, report.Estimate.Requests+report.Estimate.UpTo)
		t.Logf("verify: estimate %d (+ up to %d), %d requests, %d contacts listed",
			report.Estimate.Requests, report.Estimate.UpTo, report.Requests, report.Listed)

		repaired := e.verify(true)
		require.Len(t, repaired.Findings, 20)
		require.Equal(t, 20, repaired.Repaired)

		r := e.run()
		require.Equal(t, 20, r.Counts.Updated, "the 20 drifted contacts are sent again")
		require.Zero(t, r.Counts.Added+r.Counts.Untagged)
		minimum := minimumRequests(20, 0)
		t.Logf("repair run: %d requests, minimum %d", r.Requests, minimum)
		require.Equal(t, minimum, r.Requests, "the repair costs the minimum: one batch and its status read")
		e.requireExact(nil)
		require.Empty(t, e.verify(false).Findings, "nothing drifted any more")
	})
}

// TestVerifyFindsEveryKind: contacts and tags added in Omnisend that the
// state does not know, and fields changed there, are found and repaired
// (the repair run's requests: what its plan needs, no more).
func TestVerifyFindsEveryKind(t *testing.T) {
	onEachEngine(t, func(t *testing.T, dbURL string) {
		e := newInstantE2E(t, dbURL, 300)
		// A second segment, empty, whose tag no contact should carry.
		d, err := segment.NewStaticDraft("Nobody", []string{"no-such-profile"})
		require.NoError(t, err)
		nobody, err := e.a.Store.CreateSegment(e.ctx, d, time.Now())
		require.NoError(t, err)
		e.export.Segments = append(e.export.Segments, nobody.ID)
		e.export, err = e.a.Store.UpdateExport(e.ctx, e.export)
		require.NoError(t, err)
		e.run()

		c := e.omnisendClient()
		m := e.someMembers(0, 2, nil)
		renamed, extraTag := m[0], m[1]
		_, err = c.UpsertContact(e.ctx, omnisend.Contact{Email: renamed, FirstName: "Changed in Omnisend"})
		require.NoError(t, err)
		_, err = c.UpsertContact(e.ctx, omnisend.Contact{Email: "stranger@example.com", Tags: []string{segTag}})
		require.NoError(t, err)
		require.NoError(t, c.AddTags(e.ctx, []string{extraTag}, []string{"segbridge: nobody"}))
		e.awaitTagOps()

		res := e.verify(true)
		require.Equal(t, map[readback.Kind][]string{
			readback.FieldsDiffer: {renamed}, readback.ExtraContact: {"stranger@example.com"}, readback.ExtraTag: {extraTag},
		}, findingsByKind(res.Report))
		for _, f := range res.Findings {
			if f.Kind == readback.FieldsDiffer {
				require.Len(t, f.Fields, 1)
				require.Equal(t, "first_name", f.Fields[0].Field)
				require.Equal(t, "Changed in Omnisend", f.Fields[0].Omnisend)
				require.Contains(t, f.Text(), "first_name")
			}
		}

		r := e.run()
		// Two members sent again in one batch; the stranger (no member) and
		// the extra tag untagged, two groups of one tag each.
		require.Equal(t, 2, r.Counts.Updated)
		require.Equal(t, 2, r.Counts.Untagged)
		minimum := minimumRequests(2, 2)
		t.Logf("repair run: %d requests, minimum %d", r.Requests, minimum)
		require.Equal(t, minimum, r.Requests)
		e.awaitTagOps()
		e.requireExact(map[string]bool{"stranger@example.com": true})
		require.Empty(t, e.verify(false).Findings)
		require.NotContains(t, tagsOf(e.contacts()[extraTag]), "segbridge: nobody")
	})
}

// TestVerifyRefusesDuringARun: the state changes under a run.
func TestVerifyRefusesDuringARun(t *testing.T) {
	t.Parallel()
	e := newInstantE2E(t, "", 50)
	_, err := e.a.Store.CreateRun(e.ctx, e.export.ID, run.TriggerManual, time.Now())
	require.NoError(t, err)
	_, err = e.a.VerifyExport(e.ctx, e.export.Name, app.VerifyOptions{})
	require.ErrorIs(t, err, run.ErrActiveRun)
	require.Contains(t, err.Error(), "in progress")
}

// TestUnsubscribesFedBack is issue 16's acceptance 5: 20 contacts
// unsubscribed in Omnisend come back as profile attributes on the next
// refresh, rules see them, and no consent mapping resubscribes them from
// older profile data, not even a contact deleted in Omnisend and sent
// again.
func TestUnsubscribesFedBack(t *testing.T) {
	onEachEngine(t, func(t *testing.T, dbURL string) {
		e := newInstantE2E(t, dbURL, 1000)
		e.export.Mapping.Consent = &export.ConsentMapping{Attribute: "email_consent", DateAttribute: "email_consent_date"}
		e.export.ConsentPolicy = export.ConsentMirror
		var err error
		e.export, err = e.a.Store.UpdateExport(e.ctx, e.export)
		require.NoError(t, err)
		e.run()

		subscribed := func(a profile.Attrs) bool { return a["email_consent"] == "subscribed" }
		gone := e.someMembers(0, 20, subscribed)
		for _, em := range gone {
			require.Equal(t, "subscribed", e.contacts()[em]["status"], "opted in by the profile data")
		}
		unsubAt := time.Now().UTC().Truncate(time.Second)
		c := e.omnisendClient()
		for _, em := range gone {
			_, err := c.UpsertContact(e.ctx, omnisend.Contact{Email: em, Status: omnisend.StatusUnsubscribed, StatusDate: unsubAt})
			require.NoError(t, err)
		}

		// The next refresh reads them back before it refreshes the segments
		// and queues the export's run.
		refreshed := time.Now()
		rec, err := e.a.Jobs.Refresh(e.ctx)
		require.NoError(t, err)
		require.Equal(t, "succeeded", string(rec.Status), rec.Message)
		for _, em := range gone {
			id, err := e.findByEmail(em)
			require.NoError(t, err)
			p, err := e.a.Store.GetProfile(e.ctx, id)
			require.NoError(t, err)
			require.Equal(t, "unsubscribed", p.Attrs[export.OmnisendStatusAttribute], em)
			require.Equal(t, unsubAt.Format(time.RFC3339), p.Attrs[export.OmnisendStatusAtAttribute], em)
			require.NotEmpty(t, p.Attrs["first_name"], "the rest of the profile is kept")
		}
		// (Those the profile data already had unsubscribed came back too.)
		d, err := segment.NewRuleDraft("Unsubscribed in Omnisend",
			`p.omnisend_email_status == "unsubscribed" && p.email_consent == "subscribed"`)
		require.NoError(t, err)
		seg, err := e.a.Store.CreateSegment(e.ctx, d, time.Now())
		require.NoError(t, err)
		_, err = segment.Refresh(e.ctx, e.a.Store, seg, time.Now())
		require.NoError(t, err)
		seg, err = e.a.Store.GetSegment(e.ctx, seg.Name)
		require.NoError(t, err)
		require.Equal(t, 20, seg.MemberCount, "rules see the attribute")

		// The refresh's run sends them with Omnisend's unsubscribe.
		runs, err := e.a.Store.ListRuns(e.ctx, e.export.ID, 1)
		require.NoError(t, err)
		require.Equal(t, run.TriggerRefresh, runs[0].Trigger)
		r, err := e.a.Runs.Execute(e.ctx, runs[0].ID)
		require.NoError(t, err)
		require.Equal(t, run.StatusSucceeded, r.Status, r.Message)
		require.Equal(t, 20, r.Counts.Updated, "their contact changed: the status is now Omnisend's unsubscribe")
		ops, err := e.a.Store.ListOps(e.ctx, r.ID, run.OpFilter{})
		require.NoError(t, err)
		for _, op := range ops {
			if op.Kind != run.OpUpsert {
				continue
			}
			var sent omnisend.Contact
			require.NoError(t, json.Unmarshal(op.Contact, &sent))
			require.True(t, slices.Contains(gone, op.Email), op.Email)
			require.Equal(t, omnisend.StatusUnsubscribed, sent.Status, op.Email)
		}

		// Deleted in Omnisend and sent again (verify and repair), they
		// come back unsubscribed, not opted in by the older profile data.
		require.Equal(t, 5, e.sb.DeleteContacts("", gone[:5]...))
		res := e.verify(true)
		require.Len(t, findingsByKind(res.Report)[readback.MissingContact], 5)
		e.run()
		got := e.contacts()
		for _, em := range gone {
			require.Equal(t, "unsubscribed", got[em]["status"], "%s resubscribed", em)
		}

		// An incremental check reads only what changed since: a re-subscribe
		// made in Omnisend lifts the attribute.
		back := gone[19]
		_, err = c.UpsertContact(e.ctx, omnisend.Contact{Email: back, Status: omnisend.StatusSubscribed, StatusDate: time.Now().Add(time.Minute)})
		require.NoError(t, err)
		sync, err := e.a.SyncUnsubscribes(e.ctx, "Sandbox")
		require.NoError(t, err)
		require.True(t, sync.Since.Equal(refreshed) || sync.Since.After(refreshed), "incremental: since the refresh's check (%v)", sync.Since)
		id, err := e.findByEmail(back)
		require.NoError(t, err)
		p, err := e.a.Store.GetProfile(e.ctx, id)
		require.NoError(t, err)
		require.Equal(t, "subscribed", p.Attrs[export.OmnisendStatusAttribute])
		t.Logf("incremental check: %d requests, %d statuses, %d profiles updated", sync.Requests, sync.Statuses, sync.Profiles.Updated)
		require.Equal(t, 1, sync.Profiles.Updated, fmt.Sprint(sync))
	})
}
