package web

import (
	"fmt"
	"net/http"
	"strings"

	"segbridge/internal/user"
)

type tokensView struct {
	Tokens []user.Token
	// Created is the new token's plaintext, shown on this one response only.
	Created     string
	CreatedName string
	Name        string
}

func (s *server) tokensPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderTokens(w, r, http.StatusOK, tokensView{}, "")
}

func (s *server) renderTokens(w http.ResponseWriter, r *http.Request, status int, v tokensView, msg string) error {
	ts, err := s.app.Users.ListTokens(r.Context(), principal(r))
	if err != nil {
		return err
	}
	v.Tokens = ts
	s.renderForm(w, r, status, "tokens", v, msg)
	return nil
}

// createToken creates an API token and shows it once, in this response.
func (s *server) createToken(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return badInput("unreadable form: %v", err)
	}
	p := principal(r)
	name := strings.TrimSpace(r.PostFormValue("name"))
	t, plain, err := s.app.Users.CreateToken(r.Context(), p, name)
	if err != nil {
		cat, msg := classify(err)
		if cat == catInternal && strings.HasPrefix(err.Error(), "token name") {
			cat, msg = catBadInput, err.Error()
		} else if cat == catInternal {
			return err
		}
		return s.renderTokens(w, r, cat.status(), tokensView{Name: name}, msg)
	}
	s.record(r.Context(), p, "token.create", t.Name, "ending "+t.Last4)
	return s.renderTokens(w, r, http.StatusOK, tokensView{Created: plain, CreatedName: t.Name}, "")
}

func (s *server) revokeToken(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p := principal(r)
	if err := s.app.Users.RevokeToken(r.Context(), p, id); err != nil {
		return err
	}
	s.record(r.Context(), p, "token.revoke", fmt.Sprint(id), "")
	redirect(w, r, "/tokens", "Token revoked; programs using it can no longer sign in.", false)
	return nil
}
