package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strings"
	"time"
)

// sendMail sends delivery d as an e-mail over SMTP: connect, EHLO,
// STARTTLS when asked (required then), AUTH PLAIN when there is a user,
// MAIL, RCPT for each recipient, DATA, QUIT — all within ctx's deadline.
func (s *Service) sendMail(ctx context.Context, cfg SMTP, password string, d Delivery) result {
	var n Notification
	if err := json.Unmarshal(d.Payload, &n); err != nil {
		return result{permanent: true, err: "unreadable notification"}
	}
	msg := mailMessage(cfg, n, s.cfg.Now())
	var dialer net.Dialer
	conn, err := dialer.DialContext(ctx, "tcp", cfg.Addr())
	if err != nil {
		return result{err: s.httpError(err, cfg.Addr())}
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	res := s.smtpConversation(conn, cfg, password, msg)
	if !res.ok && ctx.Err() != nil {
		res.err = fmt.Sprintf("no answer from %s within %s", cfg.Addr(), s.cfg.Timeout)
		res.permanent = false
	}
	if password != "" {
		res.err = strings.ReplaceAll(res.err, password, "<secret>")
		res.response = strings.ReplaceAll(res.response, password, "<secret>")
	}
	return res
}

func (s *Service) smtpConversation(conn net.Conn, cfg SMTP, password string, msg []byte) result {
	c, err := smtp.NewClient(conn, cfg.Host)
	if err != nil {
		return smtpResult(err, "greeting", cfg)
	}
	defer c.Close()
	if err := c.Hello("segbridge"); err != nil {
		return smtpResult(err, "EHLO", cfg)
	}
	if cfg.StartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return result{permanent: true, err: fmt.Sprintf("%s does not offer STARTTLS", cfg.Addr())}
		}
		tc := &tls.Config{ServerName: cfg.Host, RootCAs: s.cfg.SMTPRootCAs, MinVersion: tls.VersionTLS12}
		if err := c.StartTLS(tc); err != nil {
			return smtpResult(err, "STARTTLS", cfg)
		}
	}
	if cfg.User != "" {
		if err := c.Auth(smtp.PlainAuth("", cfg.User, password, cfg.Host)); err != nil {
			return smtpResult(err, "AUTH", cfg)
		}
	}
	if err := c.Mail(bareAddress(cfg.From)); err != nil {
		return smtpResult(err, "MAIL FROM", cfg)
	}
	for _, to := range cfg.To {
		if err := c.Rcpt(bareAddress(to)); err != nil {
			return smtpResult(err, "RCPT TO "+to, cfg)
		}
	}
	w, err := c.Data()
	if err != nil {
		return smtpResult(err, "DATA", cfg)
	}
	if _, err := w.Write(msg); err != nil {
		return smtpResult(err, "DATA", cfg)
	}
	if err := w.Close(); err != nil {
		return smtpResult(err, "end of DATA", cfg)
	}
	_ = c.Quit()
	return result{ok: true, code: 250, response: "accepted for delivery"}
}

// smtpResult classifies an SMTP failure at step: a 5xx reply is
// permanent, a 4xx reply or no answer is retried.
func smtpResult(err error, step string, cfg SMTP) result {
	var te *textproto.Error
	if errors.As(err, &te) {
		r := result{code: te.Code, response: clean([]byte(fmt.Sprintf("%d %s", te.Code, te.Msg))),
			permanent: te.Code >= 500,
			err:       fmt.Sprintf("%s refused %s (%d %s)", cfg.Addr(), step, te.Code, clean([]byte(te.Msg)))}
		return r
	}
	var ne net.Error
	var certErr *tls.CertificateVerificationError
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		return result{err: fmt.Sprintf("%s stopped answering at %s", cfg.Addr(), step)}
	case errors.As(err, &certErr):
		return result{err: fmt.Sprintf("%s's TLS certificate is not trusted", cfg.Addr())}
	case strings.Contains(err.Error(), "unencrypted connection"):
		return result{permanent: true, err: "the password is only sent over STARTTLS"}
	}
	return result{err: fmt.Sprintf("the conversation with %s broke off at %s", cfg.Addr(), step)}
}

// mailMessage is the e-mail of notification n: headers and a
// quoted-printable plain-text body.
func mailMessage(cfg SMTP, n Notification, now time.Time) []byte {
	var b bytes.Buffer
	hdr := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	hdr("From", mailAddress(cfg.From))
	to := make([]string, len(cfg.To))
	for i, a := range cfg.To {
		to[i] = mailAddress(a)
	}
	hdr("To", strings.Join(to, ", "))
	hdr("Subject", mime.QEncoding.Encode("utf-8", n.subject()))
	hdr("Date", now.Format(time.RFC1123Z))
	hdr("Message-ID", "<"+n.ID+"@segbridge>")
	hdr("MIME-Version", "1.0")
	hdr("Content-Type", `text/plain; charset="utf-8"`)
	hdr("Content-Transfer-Encoding", "quoted-printable")
	hdr("X-Segbridge-Event", n.Event)
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	_, _ = qp.Write([]byte(n.mailText()))
	_ = qp.Close()
	return b.Bytes()
}

// mailAddress formats an address for a header (names encoded as needed).
func mailAddress(a string) string {
	if addr, err := mail.ParseAddress(a); err == nil {
		return addr.String()
	}
	return "<" + strings.NewReplacer("\r", "", "\n", "").Replace(a) + ">"
}

// bareAddress is the address alone, for MAIL FROM and RCPT TO.
func bareAddress(a string) string {
	if addr, err := mail.ParseAddress(a); err == nil {
		return addr.Address
	}
	return a
}
