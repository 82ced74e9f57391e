package notify_test

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"segbridge/internal/notify"
	"segbridge/internal/omnisend"
)

// hookToken is a token in a webhook's query string: such URLs are sealed
// too, and shown without their query.
const hookToken = "qtok-Zx81LmPq2Wv7Rc5"

// TestSecretsNeverLeak drives every path that touches a channel's
// secrets — creating channels, refused drafts, tests that succeed, fail
// with an answer, find nothing listening and are refused by the SMTP
// server — and scans everything the package lets out: errors, the logs
// (debug level), every fmt verb and JSON of every value, the delivery
// history, the payloads sent, and the bytes of the SQLite files.
func TestSecretsNeverLeak(t *testing.T) {
	t.Parallel()
	mail := newSMTPServer(t, smtpUser, smtpPassword)
	b := setup(t, "", func(c *notify.Config) { c.SMTPRootCAs = mail.roots })
	ok, bad := newReceiver(t), newReceiver(t, 500)
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	deadURL := "http://" + dead.Addr().String()
	require.NoError(t, dead.Close())

	var seen []any
	hook := b.webhook("Hook", ok.srv.URL+"/in?token="+hookToken, notify.Events{Alerts: true, Lifecycle: true})
	failing := b.webhook("Failing hook", bad.srv.URL+"/in?token="+hookToken, notify.Events{Alerts: true})
	slack := b.slack("Dead Slack", deadURL+"/services/"+slackToken)
	email := b.email("Mail", mail)
	wrongPW, err := b.svc.CreateChannel(b.ctx, notify.ChannelDraft{Name: "Wrong password", Kind: notify.KindEmail,
		SMTP:     notify.SMTP{Host: "127.0.0.1", Port: mail.port(), StartTLS: true, User: smtpUser, From: "a@example.com", To: []string{"b@example.com"}},
		Password: omnisend.NewSecret(smtpPassword + "-old")})
	require.NoError(t, err)
	seen = append(seen, hook, failing, slack, email, wrongPW, b.svc, b.keys)
	for _, c := range []notify.Channel{hook, failing, slack, email, wrongPW} {
		a, err := b.svc.Test(b.ctx, c.Name)
		require.NoError(t, err)
		seen = append(seen, a)
	}
	b.endRun(failed("boom"))
	b.flush()

	drafts := []notify.ChannelDraft{
		{Name: "Short", Kind: notify.KindWebhook, URL: omnisend.NewSecret(ok.srv.URL), Secret: omnisend.NewSecret(hookSecret[:10])},
		{Name: "Bad URL", Kind: notify.KindSlack, URL: omnisend.NewSecret("ftp://x/" + slackToken)},
		{Name: "No TLS", Kind: notify.KindEmail, SMTP: notify.SMTP{Host: "smtp.example.com", User: smtpUser, From: "a@b.c", To: []string{"d@e.f"}},
			Password: omnisend.NewSecret(smtpPassword)},
		{Name: "Hook", Kind: notify.KindWebhook, URL: omnisend.NewSecret(ok.srv.URL + "?token=" + hookToken), Secret: omnisend.NewSecret(hookSecret)},
	}
	for _, d := range drafts {
		_, err := b.svc.CreateChannel(b.ctx, d)
		require.Error(t, err)
		seen = append(seen, err, d)
	}
	ds, err := b.svc.Deliveries(b.ctx, "", notify.DeliveryFilter{Limit: 500})
	require.NoError(t, err)
	require.NotEmpty(t, ds)
	var lastErrors []string
	for _, d := range ds {
		seen = append(seen, d, string(d.Payload))
		lastErrors = append(lastErrors, d.LastError)
	}
	chans, err := b.svc.Channels(b.ctx)
	require.NoError(t, err)
	seen = append(seen, chans)
	for _, r := range append(ok.requests(), bad.requests()...) {
		seen = append(seen, string(r.body))
	}

	var out strings.Builder
	for _, v := range seen {
		fmt.Fprintf(&out, "%v %+v %#v %s %q\n", v, v, v, v, v)
		if e, ok := v.(error); ok {
			out.WriteString(e.Error())
		}
		if js, err := json.Marshal(v); err == nil {
			out.Write(js)
		}
	}
	out.WriteString(b.logs.String())
	all := out.String()
	require.Contains(t, all, "<secret>", "the scan looked at the drafts")
	require.Contains(t, b.logs.String(), "notification delivered", "the scan looked at the logs")
	joined := strings.Join(lastErrors, "\n")
	require.Contains(t, joined, "refused the connection", "the scan looked at a connection error")
	require.Contains(t, joined, "535", "the scan looked at an SMTP refusal")
	for _, s := range []string{hookSecret, smtpPassword, slackToken, hookToken, hookSecret[:10]} {
		require.NotContains(t, all, s)
	}

	require.NoError(t, b.st.Close(), "flush the database")
	files, err := filepath.Glob(filepath.Join(b.dir, "segbridge.db*"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	var db strings.Builder
	for _, f := range files {
		raw, err := os.ReadFile(f)
		require.NoError(t, err)
		db.Write(raw)
		for _, s := range []string{hookSecret, smtpPassword, slackToken, hookToken} {
			require.NotContains(t, string(raw), s, "a secret in clear in %s", f)
		}
	}
	require.Contains(t, db.String(), "Failing hook", "the scan looked at the stored channels")
}

// TestDraftValidation names the field at fault.
func TestDraftValidation(t *testing.T) {
	t.Parallel()
	good := notify.ChannelDraft{Name: "Hook", Kind: notify.KindWebhook, URL: omnisend.NewSecret("https://hooks.example.com/x"),
		Secret: omnisend.NewSecret(hookSecret)}
	mail := notify.ChannelDraft{Name: "Mail", Kind: notify.KindEmail, SMTP: notify.SMTP{Host: "smtp.example.com", StartTLS: true,
		From: "segbridge@example.com", To: []string{"a@example.com, b@example.com"}}}
	for _, tc := range []struct {
		edit  func(d *notify.ChannelDraft)
		field string
	}{
		{func(d *notify.ChannelDraft) { d.Name = " " }, "name"},
		{func(d *notify.ChannelDraft) { d.Kind = "pager" }, "kind"},
		{func(d *notify.ChannelDraft) { d.URL = omnisend.NewSecret("hooks.example.com/x") }, "url"},
		{func(d *notify.ChannelDraft) { d.Secret = omnisend.Secret{} }, "secret"},
		{func(d *notify.ChannelDraft) { *d = mail; d.SMTP.Port = 70000 }, "smtp.port"},
		{func(d *notify.ChannelDraft) { *d = mail; d.SMTP.From = "nobody" }, "smtp.from"},
		{func(d *notify.ChannelDraft) { *d = mail; d.SMTP.To = nil }, "smtp.to"},
		{func(d *notify.ChannelDraft) { *d = mail; d.SMTP.User = "u" }, "smtp.password"},
		{func(d *notify.ChannelDraft) {
			*d = mail
			d.SMTP.User, d.SMTP.StartTLS, d.Password = "u", false, omnisend.NewSecret("p")
		}, "smtp.starttls"},
	} {
		d := good
		tc.edit(&d)
		err := d.WithDefaults().Validate()
		var fe *notify.FieldError
		require.ErrorAs(t, err, &fe, "%+v", d)
		require.Equal(t, tc.field, fe.Field, err.Error())
	}
	require.NoError(t, good.WithDefaults().Validate())
	m := mail.WithDefaults()
	require.NoError(t, m.Validate())
	require.Equal(t, 587, m.SMTP.Port)
	require.Equal(t, []string{"a@example.com", "b@example.com"}, m.SMTP.To)
	require.Equal(t, notify.Events{Alerts: true}, m.Events, "alerts by default")

	for _, tc := range []struct {
		d     notify.RuleDraft
		field string
	}{
		{notify.RuleDraft{Kind: "sometimes"}, "kind"},
		{notify.RuleDraft{Kind: notify.RuleRunFailed, Percent: 5}, "kind"},
		{notify.RuleDraft{Kind: notify.RuleContactsRejected}, "percent"},
		{notify.RuleDraft{Kind: notify.RuleMembersChanged, Count: 3}, "percent"},
		{notify.RuleDraft{Kind: notify.RuleRunSlow}, "duration"},
		{notify.RuleDraft{Kind: notify.RuleSourceFailed, Export: "Buyers"}, "export"},
	} {
		var fe *notify.FieldError
		require.ErrorAs(t, tc.d.Validate(), &fe, "%+v", tc.d)
		require.Equal(t, tc.field, fe.Field)
	}
}

func TestKeyRejected(t *testing.T) {
	t.Parallel()
	for msg, want := range map[string]int{
		"run failed at step send: omnisend: HTTP 401 Unauthorized: API key is revoked":        401,
		"Omnisend rejected the API key (HTTP 401): check that you copied the whole key":       401,
		"omnisend: HTTP 403 Forbidden: the key may not write contacts":                        403,
		"omnisend: HTTP 403 Forbidden: blocked due to many errors":                            0,
		"omnisend: HTTP 500 Internal Server Error":                                            0,
		"export \"x\" has no connection: connection \"Main\" was removed (HTTP 4010 in logs)": 0,
	} {
		code, ok := notify.KeyRejected(msg)
		require.Equal(t, want, code, msg)
		require.Equal(t, want != 0, ok, msg)
	}
}
