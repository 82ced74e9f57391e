package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"segbridge/internal/httpauth"
	"segbridge/internal/user"
)

type loginView struct {
	Email string
	Next  string
}

// safeNext returns next if it is a path on this site, else "/".
func safeNext(next string) string {
	u, err := url.Parse(next)
	if err != nil || next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") ||
		strings.HasPrefix(next, "/\\") || u.Host != "" || u.Scheme != "" {
		return "/"
	}
	return next
}

func (s *server) loginPage(w http.ResponseWriter, r *http.Request) error {
	if _, ok := user.FromContext(r.Context()); ok {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return nil
	}
	s.render(w, r, http.StatusOK, "login", loginView{Next: safeNext(r.URL.Query().Get("next"))})
	return nil
}

// login checks the e-mail and password, sets the session cookie and goes
// on to the page that asked for it.
func (s *server) login(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return badInput("unreadable form: %v", err)
	}
	v := loginView{Email: strings.TrimSpace(r.PostFormValue("email")), Next: safeNext(r.PostFormValue("next"))}
	sess, err := s.app.Users.Login(r.Context(), v.Email, r.PostFormValue("password"), httpauth.RemoteIP(r))
	switch {
	case errors.Is(err, user.ErrBadCredentials):
		s.renderForm(w, r, http.StatusUnauthorized, "login", v, "Wrong e-mail or password.")
		return nil
	case errors.Is(err, user.ErrTooManyAttempts):
		s.renderForm(w, r, http.StatusTooManyRequests, "login", v, "Too many sign-in attempts; wait a minute and try again.")
		return nil
	case err != nil:
		return err
	}
	httpauth.SetSession(w, r, sess)
	http.Redirect(w, r, v.Next, http.StatusSeeOther)
	return nil
}

// logout ends the session and forgets the cookie.
func (s *server) logout(w http.ResponseWriter, r *http.Request) error {
	if token := httpauth.SessionToken(r); token != "" {
		if err := s.app.Users.Logout(r.Context(), token); err != nil {
			return err
		}
	}
	httpauth.ClearSession(w, r)
	s.redirect(w, r, "/login", "Signed out.", false)
	return nil
}
