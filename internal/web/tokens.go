package web

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"segbridge/internal/service"
	"segbridge/internal/user"
)

type tokensView struct {
	Tokens []user.Token
	// All is every user's tokens, for admins.
	All []user.Token
	// Created is the new token's plaintext, shown on this one response only.
	Created     string
	CreatedName string
	Name        string
	Expires     string
	Expiries    []tokenExpiry
	Now         time.Time
}

// tokenExpiry is a choice of the create form's Expires field.
type tokenExpiry struct{ Value, Label string }

var tokenExpiries = []tokenExpiry{
	{"0", "never"}, {"720h", "in 30 days"}, {"2160h", "in 90 days"}, {"8760h", "in a year"},
}

func (s *server) tokensPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderTokens(w, r, http.StatusOK, tokensView{Expires: "720h"}, "", nil)
}

func (s *server) renderTokens(w http.ResponseWriter, r *http.Request, status int, v tokensView, msg string, ps []fieldProblem) error {
	p := principal(r)
	ts, err := s.app.Users.ListTokens(r.Context(), p)
	if err != nil {
		return err
	}
	if p.IsAdmin() {
		if v.All, err = s.app.Users.ListAllTokens(r.Context()); err != nil {
			return err
		}
	}
	v.Tokens, v.Expiries, v.Now = ts, tokenExpiries, s.cfg.Now()
	s.renderPage(w, r, status, "tokens", v, msg, ps)
	return nil
}

// createToken creates an API token and shows it once, in this response.
func (s *server) createToken(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return badInput("unreadable form: %v", err)
	}
	p := principal(r)
	v := tokensView{Name: strings.TrimSpace(r.PostFormValue("name")), Expires: r.PostFormValue("expires")}
	if v.Expires == "" {
		v.Expires = "0" // a form without the field: never
	}
	ttl, perr := time.ParseDuration(v.Expires)
	if perr != nil {
		ttl = -1 // refused by the service with the name's problems, if any; nothing is created
	}
	t, plain, err := s.app.Services.Users.CreateToken(r.Context(), p, service.TokenInput{Name: v.Name, TTL: ttl})
	if se, ok := service.AsError(err); ok && perr != nil {
		for i := range se.Fields {
			if se.Fields[i].Field == "expires_in" {
				se.Fields[i].Msg = "choose one of the offered lifetimes"
			}
		}
	}
	if err != nil {
		cat, msg := classify(err)
		if cat == catInternal || cat == catForbidden {
			return err
		}
		general, ps := splitProblems(err, msg, tokenFields)
		return s.renderTokens(w, r, cat.status(), v, general, ps)
	}
	return s.renderTokens(w, r, http.StatusOK, tokensView{Created: plain, CreatedName: t.Name, Expires: "720h"}, "", nil)
}

// revokeToken revokes one of the user's tokens, or for an admin anyone's.
func (s *server) revokeToken(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p := principal(r)
	t, err := s.app.Services.Users.RevokeToken(r.Context(), p, id)
	if err != nil {
		return err
	}
	msg := "Token revoked; programs using it can no longer sign in."
	if t.OwnerID != p.UserID {
		msg = fmt.Sprintf("Token \"%s\" of %s revoked; programs using it can no longer sign in.", t.Name, t.OwnerEmail)
	}
	s.redirect(w, r, "/tokens", msg, false)
	return nil
}

// tokenFields are where the token form shows each field's problem.
var tokenFields = formFields{"name": {"token-name", "Name"}, "expires_in": {"expires", "Expires"}}
