package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"

	"segbridge/internal/httpauth"
)

// Flash messages: the one-time banner a POST leaves for the page it
// redirects to, carried in a cookie. The cookie is signed (HMAC-SHA256
// under a key only this process knows) and expires after flashTTL, so a
// page on another port of the same host, which can set cookies for this
// host, cannot plant a banner: an unsigned, forged or stale cookie shows
// nothing.
const (
	flashCookie = "segbridge_flash"
	flashTTL    = time.Minute
)

// flashKeyLen is the length of a generated flash key.
const flashKeyLen = 32

// flashCookieName is the flash cookie's name for r: __Host- prefixed over
// HTTPS, like the session cookie.
func flashCookieName(r *http.Request) string {
	if httpauth.IsTLS(r) {
		return "__Host-" + flashCookie
	}
	return flashCookie
}

// signFlash returns the cookie value for msg: payload "ok|EXPIRY|msg" (or
// "err|…") and its MAC, both base64url, joined by a dot.
func (s *server) signFlash(msg string, isErr bool) string {
	kind := "ok"
	if isErr {
		kind = "err"
	}
	payload := kind + "|" + strconv.FormatInt(s.cfg.Now().Add(flashTTL).Unix(), 10) + "|" + msg
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(payload)) + "." + enc.EncodeToString(s.flashMAC([]byte(payload)))
}

// openFlash checks value's signature and expiry and returns its message.
func (s *server) openFlash(value string) (msg string, isErr, ok bool) {
	enc := base64.RawURLEncoding
	p64, m64, found := strings.Cut(value, ".")
	if !found {
		return "", false, false
	}
	payload, err := enc.DecodeString(p64)
	if err != nil {
		return "", false, false
	}
	mac, err := enc.DecodeString(m64)
	if err != nil || !hmac.Equal(mac, s.flashMAC(payload)) {
		return "", false, false
	}
	parts := strings.SplitN(string(payload), "|", 3)
	if len(parts) != 3 || (parts[0] != "ok" && parts[0] != "err") {
		return "", false, false
	}
	expiry, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || !s.cfg.Now().Before(time.Unix(expiry, 0)) {
		return "", false, false
	}
	return parts[2], parts[0] == "err", true
}

func (s *server) flashMAC(payload []byte) []byte {
	m := hmac.New(sha256.New, s.cfg.FlashKey)
	m.Write([]byte("segbridge flash v1\x00"))
	m.Write(payload)
	return m.Sum(nil)
}

// redirect answers a POST with a redirect to target carrying a one-time
// message for the next page.
func (s *server) redirect(w http.ResponseWriter, r *http.Request, target, msg string, isErr bool) {
	if msg != "" {
		http.SetCookie(w, &http.Cookie{Name: flashCookieName(r), Value: s.signFlash(msg, isErr), Path: "/",
			MaxAge: int(flashTTL / time.Second), HttpOnly: true, Secure: httpauth.SecureCookies(r), SameSite: http.SameSiteLaxMode})
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// takeFlash returns the flash message, if any and genuine, and clears the
// cookie.
func (s *server) takeFlash(w http.ResponseWriter, r *http.Request) (string, bool) {
	c, err := r.Cookie(flashCookieName(r))
	if err != nil {
		return "", false
	}
	http.SetCookie(w, &http.Cookie{Name: c.Name, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: httpauth.SecureCookies(r), SameSite: http.SameSiteLaxMode})
	msg, isErr, ok := s.openFlash(c.Value)
	if !ok {
		return "", false
	}
	return msg, isErr
}
