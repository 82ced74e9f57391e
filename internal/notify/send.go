package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"unicode/utf8"
)

// result is one attempt's outcome: every delivery's answer is classified
// here and in smtpResult (retry, permanent, ok).
type result struct {
	ok        bool
	permanent bool
	code      int
	response  string
	// err says what went wrong in plain words, never with a secret.
	err string
}

// send makes one attempt at delivery d to channel c, within the timeout.
func (s *Service) send(ctx context.Context, c Channel, d Delivery) result {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	sec, err := s.openSecrets(ctx, c)
	if err != nil {
		return result{permanent: true, err: "the channel's secrets do not open under this master key"}
	}
	switch c.Kind {
	case KindWebhook:
		return s.postWebhook(ctx, sec, d)
	case KindSlack:
		var n Notification
		if err := json.Unmarshal(d.Payload, &n); err != nil {
			return result{permanent: true, err: "unreadable notification"}
		}
		body, err := n.slackBody()
		if err != nil {
			return result{permanent: true, err: "unencodable Slack message"}
		}
		return s.post(ctx, sec.URL, body, nil)
	case KindEmail:
		return s.sendMail(ctx, c.SMTP, sec.Password, d)
	}
	return result{permanent: true, err: fmt.Sprintf("unknown channel kind %q", c.Kind)}
}

// postWebhook POSTs the payload, signed.
func (s *Service) postWebhook(ctx context.Context, sec secrets, d Delivery) result {
	h := http.Header{}
	h.Set(SignatureHeader, Sign([]byte(sec.Secret), s.cfg.Now().Unix(), d.Payload))
	h.Set("X-Segbridge-Event", d.Event)
	h.Set("X-Segbridge-Delivery", d.NotificationID)
	return s.post(ctx, sec.URL, d.Payload, h)
}

// maxAnswer is how much of an answer is read; maxResponse how much is kept.
const (
	maxAnswer   = 4096
	maxResponse = 500
)

// post sends body as JSON to target and classifies the answer: 2xx ok;
// 408, 425, 429 and 5xx (and no answer) retried; any other status
// (a 3xx, which is not followed, or a 4xx) permanent.
func (s *Service) post(ctx context.Context, target string, body []byte, h http.Header) result {
	host := hostOf(target)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return result{permanent: true, err: "unusable URL"}
	}
	for k, v := range h {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "segbridge-notify/1")
	res, err := s.cfg.HTTPClient.Do(req)
	if err != nil {
		return result{err: s.httpError(err, host)}
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(res.Body, maxAnswer))
	out := result{code: res.StatusCode, response: clean(raw)}
	switch code := res.StatusCode; {
	case code >= 200 && code < 300:
		out.ok = true
	case code == http.StatusRequestTimeout || code == http.StatusTooEarly || code == http.StatusTooManyRequests || code >= 500:
		out.err = fmt.Sprintf("%s answered HTTP %d", host, code)
	case code >= 300 && code < 400:
		out.permanent = true
		out.err = fmt.Sprintf("%s redirects (HTTP %d); give the channel the final URL", host, code)
	default:
		out.permanent = true
		out.err = fmt.Sprintf("%s refused the notification (HTTP %d)", host, code)
	}
	return out
}

// httpError says why a request got no answer, naming only the host (a
// URL may hold a token).
func (s *Service) httpError(err error, host string) string {
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var recErr tls.RecordHeaderError
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		return fmt.Sprintf("no answer from %s within %s", host, s.cfg.Timeout)
	case errors.Is(err, context.Canceled):
		return fmt.Sprintf("stopped before %s answered", host)
	case errors.As(err, &dnsErr):
		return fmt.Sprintf("cannot find the host %s", host)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Sprintf("%s refused the connection", host)
	case errors.As(err, &certErr), errors.As(err, &recErr):
		return fmt.Sprintf("no trusted TLS connection to %s", host)
	}
	return fmt.Sprintf("could not reach %s", host)
}

// hostOf is a URL's host, for messages.
func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "the receiver"
	}
	return u.Host
}

// clean keeps the start of an answer as one line of valid text.
func clean(raw []byte) string {
	s := strings.ToValidUTF8(string(raw), "�")
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > maxResponse {
		cut := maxResponse
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}
