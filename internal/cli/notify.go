package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"segbridge/internal/app"
	"segbridge/internal/notify"
	"segbridge/internal/omnisend"
)

func newNotifyCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "notify",
		Aliases: []string{"notifications"},
		Short:   "Tell people and programs when an export needs them: channels, rules, deliveries (admin)",
		Long: `Notifications go to channels: a webhook (JSON signed with HMAC-SHA256 in
X-Segbridge-Signature: t=<unix time>,v1=<hex of HMAC(secret, "<t>.<body>")>),
a Slack-compatible incoming webhook, or e-mail over SMTP. Rules say what to
watch, for one export or all: run_failed, run_held, key_rejected (Omnisend
refused the API key), contacts_rejected (--percent and/or --count),
members_changed (--percent against the average of the last 5 successful
runs), run_slow (--duration) and source_failed. A rule notifies once when its
condition starts and once when it ends, never once per run while it lasts.
From the first start run_failed, run_held and key_rejected notify every
channel. A channel created with --events lifecycle also gets every run
queued, started, finished, failed and held, for outside schedulers.

Notifications are delivered in the background by "segbridge serve" and
"segbridge worker" (retried with backoff; a channel that keeps failing is
marked failing and still retried). Links point under --public-url (env
SEGBRIDGE_PUBLIC_URL, default http://127.0.0.1:8080). Payloads are described
by docs/notifications.schema.json. The command line acts as a local admin.`,
	}
	channel := &cobra.Command{Use: "channel", Aliases: []string{"channels"}, Short: "Add, list and remove channels"}
	channel.AddCommand(newNotifyChannelCreateCmd(g), newNotifyChannelListCmd(g), newNotifyChannelRemoveCmd(g))
	rule := &cobra.Command{Use: "rule", Aliases: []string{"rules"}, Short: "Add, list and remove rules"}
	rule.AddCommand(newNotifyRuleCreateCmd(g), newNotifyRuleListCmd(g), newNotifyRuleRemoveCmd(g))
	cmd.AddCommand(channel, rule, newNotifyTestCmd(g), newNotifyDeliveriesCmd(g))
	return cmd
}

// channelFlags are the flags of `notify channel create`.
type channelFlags struct {
	webhook, secretFile, slack string
	smtp, smtpUser, smtpPWFile string
	from                       string
	to                         []string
	starttls                   bool
	events                     string
}

func newNotifyChannelCreateCmd(g *globals) *cobra.Command {
	f := &channelFlags{}
	cmd := &cobra.Command{
		Use:   "create NAME (--webhook URL --secret-file F | --slack URL | --smtp HOST:PORT --from A --to B...)",
		Short: "Add a channel: a signed webhook, a Slack incoming webhook or e-mail",
		Long: `create saves a channel. Its URL, signing secret and SMTP password are stored
encrypted under the master key and never shown again (only the URL's host
and path). Secrets are read from files, never taken as flag values.
Send it a test notification with "segbridge notify test NAME".`,
		Example: `  segbridge notify channel create ops --webhook https://ops.example.com/segbridge --secret-file ~/hook.secret
  segbridge notify channel create scheduler --webhook https://ci.example.com/hook --secret-file s.txt --events lifecycle
  segbridge notify channel create team --slack https://hooks.slack.com/services/T000/B000/XXXX
  segbridge notify channel create mail --smtp smtp.example.com:587 --starttls --smtp-user alerts \
      --smtp-password-file ~/smtp.pw --from segbridge@example.com --to ops@example.com --to data@example.com`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, err := f.draft(args[0])
			if err != nil {
				return err
			}
			return g.withNotify(cmd.Context(), func(a *app.App) error {
				c, err := a.Services.Notify.CreateChannel(cmd.Context(), g.actor, d)
				if err != nil {
					return notifyError(err)
				}
				fmt.Fprintf(g.out, "saved %s channel %q to %s (events: %s)\ntry it: segbridge notify test %s\n",
					c.Kind, c.Name, c.Target, c.Events, shellQuote(c.Name))
				return nil
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.webhook, "webhook", "", "webhook URL: POSTs signed JSON")
	fl.StringVar(&f.secretFile, "secret-file", "", "file holding the webhook's signing secret (at least 16 characters)")
	fl.StringVar(&f.slack, "slack", "", "Slack-compatible incoming webhook URL")
	fl.StringVar(&f.smtp, "smtp", "", "SMTP server HOST:PORT (port default 587)")
	fl.BoolVar(&f.starttls, "starttls", false, "upgrade the SMTP connection with STARTTLS (required to send a password to another machine)")
	fl.StringVar(&f.smtpUser, "smtp-user", "", "SMTP user (AUTH PLAIN)")
	fl.StringVar(&f.smtpPWFile, "smtp-password-file", "", "file holding the SMTP password")
	fl.StringVar(&f.from, "from", "", "the e-mails' From address")
	fl.StringSliceVar(&f.to, "to", nil, "recipient; repeat or comma-separate")
	fl.StringVar(&f.events, "events", "alerts", "what the channel gets: alerts, lifecycle or alerts,lifecycle")
	cmd.MarkFlagsMutuallyExclusive("webhook", "slack", "smtp")
	cmd.MarkFlagsOneRequired("webhook", "slack", "smtp")
	cmd.MarkFlagsRequiredTogether("webhook", "secret-file")
	return cmd
}

// draft builds and checks the channel from the flags.
func (f *channelFlags) draft(name string) (notify.ChannelDraft, error) {
	events, err := notify.ParseEvents(f.events)
	if err != nil {
		return notify.ChannelDraft{}, fmt.Errorf("--events: %s", strings.TrimPrefix(err.Error(), "events: "))
	}
	d := notify.ChannelDraft{Name: name, Events: events}
	switch {
	case f.webhook != "":
		secret, err := readSecretFile(f.secretFile, "--secret-file")
		if err != nil {
			return d, err
		}
		d.Kind, d.URL, d.Secret = notify.KindWebhook, omnisend.NewSecret(f.webhook), omnisend.NewSecret(secret)
	case f.slack != "":
		d.Kind, d.URL = notify.KindSlack, omnisend.NewSecret(f.slack)
	default:
		d.Kind = notify.KindEmail
		host, port, err := splitHostPort(f.smtp)
		if err != nil {
			return d, err
		}
		d.SMTP = notify.SMTP{Host: host, Port: port, StartTLS: f.starttls, User: f.smtpUser, From: f.from, To: f.to}
		if f.smtpPWFile != "" {
			pw, err := readSecretFile(f.smtpPWFile, "--smtp-password-file")
			if err != nil {
				return d, err
			}
			d.Password = omnisend.NewSecret(pw)
		}
	}
	d = d.WithDefaults()
	if err := d.Validate(); err != nil {
		return d, notifyError(err)
	}
	return d, nil
}

func splitHostPort(s string) (string, int, error) {
	host, portText, err := net.SplitHostPort(s)
	if err != nil {
		return s, 0, nil // no port: the default
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return "", 0, fmt.Errorf("--smtp %q: want HOST:PORT such as smtp.example.com:587", s)
	}
	return host, port, nil
}

// readSecretFile reads a secret from a file; errors never show it.
func readSecretFile(path, flag string) (string, error) {
	if path == "" {
		return "", fmt.Errorf("%s: required", flag)
	}
	fh, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("%s: %w", flag, err)
	}
	defer fh.Close()
	return readKeyFrom(fh, flag+" "+path)
}

// notifyError words the service's errors for the command line: a field
// error names its flag.
func notifyError(err error) error {
	var fe *notify.FieldError
	if errors.As(err, &fe) {
		flag := map[string]string{
			"name": "NAME", "url": "the URL", "secret": "--secret-file", "events": "--events", "kind": "the channel kind",
			"smtp.host": "--smtp", "smtp.port": "--smtp", "smtp.from": "--from", "smtp.to": "--to", "smtp.user": "--smtp-user",
			"smtp.password": "--smtp-password-file", "smtp.starttls": "--starttls", "percent": "--percent",
			"duration": "--duration", "export": "--export",
		}[fe.Field]
		if flag == "" {
			flag = fe.Field
		}
		return fmt.Errorf("%s: %s", flag, fe.Msg)
	}
	return err
}

// withNotify is withApp with the public URL of the links from
// SEGBRIDGE_PUBLIC_URL.
func (g *globals) withNotify(ctx context.Context, fn func(a *app.App) error) error {
	cfg, err := g.config()
	if err != nil {
		return err
	}
	if cfg.Notifications.PublicURL, err = g.publicURL(""); err != nil {
		return err
	}
	a, err := g.openWith(ctx, cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	return fn(a)
}

// publicURLEnv sets the public URL where --public-url is not given.
const publicURLEnv = "SEGBRIDGE_PUBLIC_URL"

// registerPublicURL adds --public-url (serve and worker).
func registerPublicURL(fl *pflag.FlagSet, p *string) {
	fl.StringVar(p, "public-url", "", "the web UI's address as people reach it, for links in notifications (env "+
		publicURLEnv+"; default "+notify.DefaultPublicURL+")")
}

// publicURL is fromFlag, else SEGBRIDGE_PUBLIC_URL, checked ("" for the
// default).
func (g *globals) publicURL(fromFlag string) (string, error) {
	v, what := fromFlag, "--public-url"
	if v == "" {
		v, what = g.getenv(publicURLEnv), publicURLEnv
	}
	if v == "" {
		return "", nil
	}
	if err := notify.ValidatePublicURL(v); err != nil {
		return "", fmt.Errorf("%s %q: want the web UI's address, such as https://segbridge.example.com", what, v)
	}
	return v, nil
}

// shellQuote quotes s for a command line when it needs it.
func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t'\"\\$`!*?[](){};&|<>~#") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
