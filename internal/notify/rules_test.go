package notify_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/notify"
	"segbridge/internal/run"
)

// channels is one channel of each kind, each with its receiver.
type channels struct {
	hook, slack *receiver
	mail        *smtpServer
	all         []notify.Channel
}

// setupChannels opens a bundle whose three channels (webhook, Slack,
// e-mail) take alerts.
func setupChannels(t *testing.T, dbURL string, edit func(*notify.Config)) (*bundle, *channels) {
	t.Helper()
	cs := &channels{hook: newReceiver(t), slack: newReceiver(t), mail: newSMTPServer(t, smtpUser, smtpPassword)}
	b := setup(t, dbURL, func(c *notify.Config) {
		c.SMTPRootCAs = cs.mail.roots
		if edit != nil {
			edit(c)
		}
	})
	cs.all = []notify.Channel{
		b.webhook("Ops hook", cs.hook.srv.URL+"/segbridge", notify.Events{Alerts: true}),
		b.slack("Team Slack", cs.slack.srv.URL+"/services/"+slackToken),
		b.email("Ops mail", cs.mail),
	}
	return b, cs
}

// step is one thing that happens to the watched export or source.
type step func(b *bundle) int64

func runs(edit func(*run.Run)) step {
	return func(b *bundle) int64 { return b.endRun(edit).ID }
}

func members(n int) func(*run.Run) {
	return func(r *run.Run) { r.Counts = run.Counts{Members: n, Unchanged: n} }
}

func source(failed bool) step {
	return func(b *bundle) int64 {
		var err error
		if failed {
			err = b.svc.SourceFailed(b.ctx, "crm", "the CRM answered 503 three times")
		} else {
			err = b.svc.SourceSucceeded(b.ctx, "crm")
		}
		require.NoError(b.t, err)
		b.flush()
		return 0
	}
}

// TestEachRuleFiresOnceAndRecoversOnce (acceptance 1 and 3): for every
// rule kind, a run history that goes good → bad → bad → good → good
// gives each channel (webhook, Slack, e-mail) exactly two notifications:
// the condition starting, on the first bad run, and ending, on the first
// good one. Every payload is valid by the schema.
func TestEachRuleFiresOnceAndRecoversOnce(t *testing.T) {
	t.Parallel()
	keyRevoked := "run failed at step send: omnisend: HTTP 401 Unauthorized: API key is revoked"
	slow := func(r *run.Run) { r.FinishedAt = r.StartedAt.Add(5 * time.Minute) }
	rejected := func(r *run.Run) {
		r.Counts = run.Counts{Members: 100, Added: 60, Failed: map[string]int{run.ReasonRejected: 40}}
	}
	cases := []struct {
		rule      notify.RuleDraft
		warmup    []step
		bad, good step
		// between is a step the condition ignores, put between the bad ones.
		between step
	}{
		{rule: notify.RuleDraft{Kind: notify.RuleRunFailed}, bad: runs(failed("segment 3 no longer exists")), good: runs(succeeded),
			between: runs(func(r *run.Run) { r.Status = run.StatusCancelled })},
		{rule: notify.RuleDraft{Kind: notify.RuleRunHeld}, bad: runs(held), good: runs(succeeded),
			between: runs(failed("timeout"))},
		{rule: notify.RuleDraft{Kind: notify.RuleKeyRejected}, bad: runs(failed(keyRevoked)), good: runs(succeeded),
			between: runs(failed("omnisend: HTTP 503 Service Unavailable"))},
		{rule: notify.RuleDraft{Kind: notify.RuleContactsRejected, Percent: 10}, bad: runs(rejected), good: runs(succeeded),
			between: runs(failed("timeout"))},
		{rule: notify.RuleDraft{Kind: notify.RuleMembersChanged, Percent: 50}, warmup: []step{runs(members(100)), runs(members(100))},
			bad: runs(members(300)), good: runs(members(100))},
		{rule: notify.RuleDraft{Kind: notify.RuleRunSlow, Duration: time.Minute}, bad: runs(slow), good: runs(succeeded),
			between: runs(func(r *run.Run) { r.Status = run.StatusCancelled; slow(r) })},
		{rule: notify.RuleDraft{Kind: notify.RuleSourceFailed}, bad: source(true), good: source(false)},
	}
	for _, tc := range cases {
		t.Run(string(tc.rule.Kind), func(t *testing.T) {
			onEachEngine(t, func(t *testing.T, dbURL string) {
				b, cs := setupChannels(t, dbURL, nil)
				rule := b.onlyRule(tc.rule)
				for _, s := range tc.warmup {
					s(b)
				}
				firstBad := tc.bad(b)
				if tc.between != nil {
					tc.between(b)
				}
				tc.bad(b)
				firstGood := tc.good(b)
				tc.good(b)

				for _, c := range cs.all {
					ds := b.deliveries(c)
					require.Len(t, ds, 2, "channel %s: one notification when it started, one when it ended", c.Name)
					for i, want := range []string{notify.StateFiring, notify.StateRecovered} {
						d := ds[i]
						require.Equal(t, notify.DeliveryDelivered, d.Status, "channel %s: %s", c.Name, d.LastError)
						n := payloadOf(t, d.Payload)
						require.Equal(t, notify.TypeAlert, n.Type)
						require.Len(t, n.Alerts, 1)
						require.Equal(t, rule.ID, n.Alerts[0].Rule.ID)
						require.Equal(t, string(tc.rule.Kind), n.Alerts[0].Rule.Kind)
						require.Equal(t, want, n.Alerts[0].State, "channel %s, notification %d: %s", c.Name, i, n.Text)
						runID := []int64{firstBad, firstGood}[i]
						if runID != 0 {
							require.Equal(t, runID, n.Run.ID)
							require.Equal(t, fmt.Sprintf("https://segbridge.example.com/runs/%d", runID), n.URL)
							require.Equal(t, "Buyers", n.Export.Name)
						} else {
							require.Equal(t, "crm", n.Source.Name)
						}
					}
				}
				hooks := cs.hook.requests()
				require.Len(t, hooks, 2)
				for _, h := range hooks {
					b.schema.validate(t, h.body)
					require.NoError(t, notify.Verify([]byte(hookSecret), h.header.Get(notify.SignatureHeader), h.body, b.clock.Now()))
				}
				slacks := cs.slack.requests()
				require.Len(t, slacks, 2)
				for i, s := range slacks {
					b.schema.validateSlack(t, s.body)
					if id := []int64{firstBad, firstGood}[i]; id != 0 {
						require.Contains(t, string(s.body), fmt.Sprintf("<https://segbridge.example.com/runs/%d|Open run #%d>", id, id))
					}
				}
				mails := cs.mail.messages()
				require.Len(t, mails, 2)
				for i, m := range mails {
					require.True(t, m.overTLS, "STARTTLS")
					require.Equal(t, smtpUser, m.user, "AUTH PLAIN with the sealed password")
					require.Equal(t, "segbridge@example.com", m.from)
					require.Equal(t, []string{"ops@example.com", "data@example.com"}, m.to)
					pm := parseMail(t, m)
					require.Contains(t, pm.subject, tc.rule.Kind.Label())
					if i == 1 {
						require.Contains(t, pm.subject, "(recovered)")
					}
					if id := []int64{firstBad, firstGood}[i]; id != 0 {
						require.Contains(t, pm.body, fmt.Sprintf("Open it: https://segbridge.example.com/runs/%d", id))
					}
				}
			})
		})
	}
}

// TestHeldRunAndRevokedKeyNotifyOncePerChannel (acceptance 2) with the
// default rules: a held run, and then a run whose key Omnisend rejects,
// each give exactly one notification per channel, linking to the run;
// runs that stay in the same state give none.
func TestHeldRunAndRevokedKeyNotifyOncePerChannel(t *testing.T) {
	onEachEngine(t, func(t *testing.T, dbURL string) {
		b, cs := setupChannels(t, dbURL, nil)
		rules, err := b.svc.Rules(b.ctx)
		require.NoError(t, err)
		require.Len(t, rules, 3, "the defaults: run failed, run held, key rejected")
		b.endRun(succeeded)
		heldRun := b.endRun(held)
		b.endRun(held) // still held: nothing new
		revoked := b.endRun(failed("run failed at step send: omnisend: HTTP 401 Unauthorized: API key is revoked"))
		b.endRun(failed("run failed at step send: omnisend: HTTP 401 Unauthorized: API key is revoked"))

		for _, c := range cs.all {
			ds := b.deliveries(c)
			require.Len(t, ds, 2, "channel %s: one for the held run, one for the revoked key", c.Name)
			h := payloadOf(t, ds[0].Payload)
			require.Equal(t, heldRun.ID, h.Run.ID)
			require.Equal(t, "held", h.Run.Status)
			require.Equal(t, fmt.Sprintf("https://segbridge.example.com/runs/%d", heldRun.ID), h.URL)
			require.Equal(t, []string{"run_held/firing"}, alertKeys(h))
			k := payloadOf(t, ds[1].Payload)
			require.Equal(t, revoked.ID, k.Run.ID)
			require.Equal(t, fmt.Sprintf("https://segbridge.example.com/runs/%d", revoked.ID), k.URL)
			require.Equal(t, []string{"run_failed/firing", "key_rejected/firing"}, alertKeys(k), "one notification naming both")
			require.Contains(t, k.Text, "Omnisend rejected the connection's API key (HTTP 401)")
		}
		require.Len(t, cs.hook.requests(), 2)
		require.Len(t, cs.slack.requests(), 2)
		require.Len(t, cs.mail.messages(), 2)
	})
}

func alertKeys(n notify.Notification) []string {
	var out []string
	for _, a := range n.Alerts {
		out = append(out, a.Rule.Kind+"/"+a.State)
	}
	return out
}

// TestRulePerExport: a rule on one export ignores the others, and a rule
// for all exports keeps each export's condition apart.
func TestRulePerExport(t *testing.T) {
	t.Parallel()
	b := setup(t, "", nil)
	rc := newReceiver(t)
	hook := b.webhook("Hook", rc.srv.URL, notify.Events{Alerts: true})
	other := b.newExport("Lapsed")
	b.onlyRule(notify.RuleDraft{Kind: notify.RuleRunFailed}) // every export
	_, err := b.svc.CreateRule(b.ctx, notify.RuleDraft{Kind: notify.RuleRunSlow, Duration: time.Minute, Export: "Lapsed"})
	require.NoError(t, err)
	b.endRun(failed("boom"))
	b.endRunOf(other.ID, failed("boom"))
	b.endRun(func(r *run.Run) { r.FinishedAt = r.StartedAt.Add(time.Hour) }) // Buyers: recovers; slow, but not watched
	b.endRunOf(other.ID, func(r *run.Run) { r.FinishedAt = r.StartedAt.Add(time.Hour) })
	var got []string
	for _, d := range b.deliveries(hook) {
		n := payloadOf(t, d.Payload)
		got = append(got, n.Export.Name+": "+strings.Join(alertKeys(n), ", "))
	}
	require.Equal(t, []string{
		"Buyers: run_failed/firing",
		"Lapsed: run_failed/firing",
		"Buyers: run_failed/recovered",
		"Lapsed: run_failed/recovered, run_slow/firing",
	}, got)
}
