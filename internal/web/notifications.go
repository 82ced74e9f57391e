package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"segbridge/internal/notify"
	"segbridge/internal/omnisend"
	"segbridge/internal/service"
)

// notificationsView is Settings → Notifications: every signed-in user
// sees the channels and their status; admins also the rules, the
// delivery history and the forms.
type notificationsView struct {
	Channels   []notify.Channel
	Rules      []ruleRow
	Deliveries []notify.Delivery
	Exports    []nameID
	Kinds      []notify.RuleKind
	PublicURL  string
	Admin      bool
	Channel    channelForm
	Rule       ruleForm
}

type nameID struct {
	ID   int64
	Name string
}

// ruleRow is a rule in words.
type ruleRow struct {
	ID        int64
	Kind      string
	Threshold string
	Export    string
	Channel   string
}

// channelForm is the Add channel form as filled in; it never holds a
// secret (a form that comes back asks for them again).
type channelForm struct {
	Name, Kind, URL            string
	Alerts, Lifecycle          bool
	Host, Port, User, From, To string
	StartTLS                   bool
}

type ruleForm struct {
	Kind, Export, Channel, Percent, Count, Duration string
}

// notificationRoutes registers Settings → Notifications: every signed-in
// user sees the channels; admins change them.
func (s *server) notificationRoutes() {
	s.handle("GET /settings/notifications", signedIn, s.notificationsPage)
	s.handle("POST /settings/notifications/channels", signedIn, s.createChannel)
	s.handle("POST /settings/notifications/channels/{id}/test", signedIn, s.testChannel)
	s.handle("POST /settings/notifications/channels/{id}/remove", signedIn, s.removeChannel)
	s.handle("POST /settings/notifications/rules", signedIn, s.createRule)
	s.handle("POST /settings/notifications/rules/{id}/remove", signedIn, s.removeRule)
}

func (s *server) notificationsPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderNotifications(w, r, http.StatusOK, notificationsView{
		Channel: channelForm{Kind: string(notify.KindWebhook), Alerts: true, Port: "587", StartTLS: true},
		Rule:    ruleForm{Kind: string(notify.RuleRunFailed)},
	}, "")
}

func (s *server) renderNotifications(w http.ResponseWriter, r *http.Request, status int, v notificationsView, formErr string) error {
	return s.renderNotificationsPage(w, r, status, v, formErr, nil)
}

func (s *server) renderNotificationsPage(w http.ResponseWriter, r *http.Request, status int, v notificationsView, formErr string, ps []fieldProblem) error {
	ctx := r.Context()
	chans, err := s.app.Notify.Channels(ctx)
	if err != nil {
		return err
	}
	v.Channels, v.Admin, v.PublicURL, v.Kinds = chans, principal(r).IsAdmin(), s.app.Notify.PublicURL(), notify.RuleKinds
	if v.Admin {
		if err := s.notificationsAdminView(r, &v); err != nil {
			return err
		}
	}
	s.renderPage(w, r, status, "notifications", v, formErr, ps)
	return nil
}

// notificationsAdminView adds what only admins see: rules, exports to
// pick from, the delivery history.
func (s *server) notificationsAdminView(r *http.Request, v *notificationsView) error {
	ctx := r.Context()
	exports, err := s.app.Store.ListExports(ctx)
	if err != nil {
		return err
	}
	exportNames, channelNames := map[int64]string{}, map[int64]string{}
	for _, e := range exports {
		v.Exports = append(v.Exports, nameID{ID: e.ID, Name: e.Name})
		exportNames[e.ID] = e.Name
	}
	for _, c := range v.Channels {
		channelNames[c.ID] = c.Name
	}
	rules, err := s.app.Notify.Rules(ctx)
	if err != nil {
		return err
	}
	for _, rl := range rules {
		row := ruleRow{ID: rl.ID, Kind: rl.Kind.Label(), Threshold: rl.Threshold(), Export: "every export", Channel: "every channel"}
		if rl.ExportID != 0 {
			row.Export = exportNames[rl.ExportID]
		}
		if rl.ChannelID != 0 {
			row.Channel = channelNames[rl.ChannelID]
		}
		v.Rules = append(v.Rules, row)
	}
	v.Deliveries, err = s.app.Notify.Deliveries(ctx, "", notify.DeliveryFilter{Limit: 50})
	return err
}

// createChannel handles the Add channel form.
func (s *server) createChannel(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return badInput("unreadable form: %v", err)
	}
	f := channelForm{Name: r.PostFormValue("name"), Kind: r.PostFormValue("kind"), URL: "",
		Alerts: r.PostFormValue("alerts") == "yes", Lifecycle: r.PostFormValue("lifecycle") == "yes",
		Host: r.PostFormValue("smtp_host"), Port: r.PostFormValue("smtp_port"), User: r.PostFormValue("smtp_user"),
		From: r.PostFormValue("smtp_from"), To: r.PostFormValue("smtp_to"), StartTLS: r.PostFormValue("smtp_starttls") == "yes"}
	v := notificationsView{Channel: f, Rule: ruleForm{Kind: string(notify.RuleRunFailed)}}
	d := notify.ChannelDraft{Name: f.Name, Kind: notify.Kind(f.Kind), Events: notify.Events{Alerts: f.Alerts, Lifecycle: f.Lifecycle},
		URL: omnisend.NewSecret(r.PostFormValue("url")), Secret: omnisend.NewSecret(r.PostFormValue("secret")),
		Password: omnisend.NewSecret(r.PostFormValue("smtp_password"))}
	if d.Kind == notify.KindEmail {
		port := 0
		if strings.TrimSpace(f.Port) != "" {
			p, err := strconv.Atoi(strings.TrimSpace(f.Port))
			if err != nil {
				p = -1 // refused by the service, saving nothing; named below
			}
			port = p
		}
		d.SMTP = notify.SMTP{Host: f.Host, Port: port, StartTLS: f.StartTLS, User: f.User, From: f.From, To: []string{f.To}}
	}
	c, err := s.app.Services.Notify.CreateChannel(r.Context(), principal(r), d)
	if err != nil {
		if se, ok := service.AsError(err); ok && d.SMTP.Port == -1 {
			for i := range se.Fields {
				if se.Fields[i].Field == "smtp.port" {
					se.Fields[i].Msg = "want a number such as 587"
				}
			}
		}
		return s.notifyFormError(w, r, v, err, channelFields)
	}
	s.redirect(w, r, "/settings/notifications", fmt.Sprintf("Channel \"%s\" saved: %s to %s. Its secrets are stored encrypted and not shown again.",
		c.Name, c.Kind, c.Target), false)
	return nil
}

// notifyFormError shows a refused form again with what is wrong.
// fields place its problems on the form that was posted.
func (s *server) notifyFormError(w http.ResponseWriter, r *http.Request, v notificationsView, err error, fields formFields) error {
	if e, ok := service.AsError(err); ok && e.Kind == service.KindForbidden {
		return forbidden("%s", e.Msg)
	}
	cat, msg := classify(err)
	if cat == catInternal {
		return err
	}
	general, ps := splitProblems(err, msg, fields)
	return s.renderNotificationsPage(w, r, cat.status(), v, general, ps)
}

// channelFields and ruleFields are where the Add channel and Add rule
// forms show each field's problem.
var (
	channelFields = formFields{"name": {"channel-name", "Name"}, "kind": {"channel-kind", "Kind"}, "url": {"channel-url", "URL"},
		"secret": {"channel-secret", "Signing secret"}, "events": {"channel-alerts", "Receives"},
		"smtp.host": {"smtp-host", "SMTP server"}, "smtp.port": {"smtp-port", "Port"}, "smtp.user": {"smtp-user", "User"},
		"smtp.password": {"smtp-password", "Password"}, "smtp.starttls": {"smtp-starttls", "STARTTLS"},
		"smtp.from": {"smtp-from", "From"}, "smtp.to": {"smtp-to", "To"}}
	ruleFields = formFields{"kind": {"rule-kind", "When"}, "export": {"rule-export", "Export"}, "channel": {"rule-channel", "Tell"},
		"source": {"rule-export", "Export"}, "percent": {"rule-percent", "Percent"}, "count": {"rule-count", "Contacts"},
		"duration": {"rule-duration", "Duration"}}
)

func (s *server) removeChannel(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	c, err := s.app.Services.Notify.RemoveChannel(r.Context(), principal(r), strconv.FormatInt(id, 10))
	if err != nil {
		return s.notifyFormError(w, r, notificationsView{}, err, nil)
	}
	s.redirect(w, r, "/settings/notifications", fmt.Sprintf("Channel \"%s\" removed.", c.Name), false)
	return nil
}

// testChannel sends a test notification and says how it went.
func (s *server) testChannel(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	c, err := s.app.Notify.Channel(r.Context(), strconv.FormatInt(id, 10))
	if err != nil {
		return notFound("no notification channel %d", id)
	}
	a, err := s.app.Services.Notify.TestChannel(r.Context(), principal(r), strconv.FormatInt(c.ID, 10))
	if err != nil {
		return s.notifyFormError(w, r, notificationsView{}, err, nil)
	}
	if !a.OK {
		s.redirect(w, r, "/settings/notifications", fmt.Sprintf("Test of \"%s\" failed: %s.", c.Name, a.Error), true)
		return nil
	}
	s.redirect(w, r, "/settings/notifications", fmt.Sprintf("Test notification delivered to \"%s\" (answer %d in %s).",
		c.Name, a.Code, a.Duration.Round(time.Millisecond)), false)
	return nil
}

// createRule handles the Add rule form.
func (s *server) createRule(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return badInput("unreadable form: %v", err)
	}
	f := ruleForm{Kind: r.PostFormValue("kind"), Export: r.PostFormValue("export"), Channel: r.PostFormValue("channel"),
		Percent: strings.TrimSpace(r.PostFormValue("percent")), Count: strings.TrimSpace(r.PostFormValue("count")),
		Duration: strings.TrimSpace(r.PostFormValue("duration"))}
	v := notificationsView{Rule: f, Channel: channelForm{Kind: string(notify.KindWebhook), Alerts: true, Port: "587", StartTLS: true}}
	d := notify.RuleDraft{Kind: notify.RuleKind(f.Kind), Export: f.Export, Channel: f.Channel}
	var err error
	var bad []service.FieldProblem // every field that is not a number, at once
	if f.Percent != "" {
		if d.Percent, err = strconv.ParseFloat(f.Percent, 64); err != nil {
			bad = append(bad, service.FieldProblem{Field: "percent", Msg: "want a number such as 10"})
		}
	}
	if f.Count != "" {
		if d.Count, err = strconv.Atoi(f.Count); err != nil {
			bad = append(bad, service.FieldProblem{Field: "count", Msg: "want a whole number such as 500"})
		}
	}
	if f.Duration != "" {
		if d.Duration, err = time.ParseDuration(f.Duration); err != nil {
			bad = append(bad, service.FieldProblem{Field: "duration", Msg: "want a duration such as 45m"})
		}
	}
	if len(bad) > 0 {
		return s.notifyFormError(w, r, v, service.InvalidFields(bad...), ruleFields)
	}
	if _, err := s.app.Services.Notify.CreateRule(r.Context(), principal(r), d); err != nil {
		return s.notifyFormError(w, r, v, err, ruleFields)
	}
	s.redirect(w, r, "/settings/notifications", fmt.Sprintf("Rule \"%s\" added.", d.Kind.Label()), false)
	return nil
}

func (s *server) removeRule(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.app.Services.Notify.RemoveRule(r.Context(), principal(r), id); err != nil {
		return s.notifyFormError(w, r, notificationsView{}, err, nil)
	}
	s.redirect(w, r, "/settings/notifications", fmt.Sprintf("Rule %d removed.", id), false)
	return nil
}
