package api

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"segbridge/internal/httpauth"
	"segbridge/internal/user"
)

// userJSON is a user as the API shows it.
type userJSON struct {
	ID        int64     `json:"id"`
	Email     string    `json:"email"`
	Role      user.Role `json:"role" enum:"admin,contributor,viewer"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func toUserJSON(u user.User) userJSON {
	return userJSON{ID: u.ID, Email: u.Email, Role: u.Role, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt}
}

// meJSON is who the request acts as.
type meJSON struct {
	ID    int64     `json:"id"`
	Email string    `json:"email"`
	Role  user.Role `json:"role" enum:"admin,contributor,viewer"`
	// Via is how the request was authenticated: session or token.
	Via string `json:"via"`
}

type loginInput struct {
	Body struct {
		Email    string `json:"email" minLength:"1" maxLength:"320" example:"admin@example.com"`
		Password string `json:"password" minLength:"1" maxLength:"1024" example:"correct horse battery staple"`
	}
}

type meOutput struct {
	Body meJSON
}

type noInput struct{}

func (s *server) registerSession(api huma.API) {
	login := operation("login", http.MethodPost, "/session", "Sign in: sets the session cookie", "session", 200)
	login.Description = "Checks the e-mail and password and sets the HttpOnly session cookie. " +
		"Repeated failures from one client (its address) for an account, or from one client for many accounts, " +
		"are refused for a while (429); other clients can still sign in. Over HTTPS the cookie is __Host-segbridge_session."
	login.Security = []map[string][]string{{}}
	huma.Register(api, login, s.login)
	huma.Register(api, operation("logout", http.MethodDelete, "/session", "Sign out: ends the session", "session", 204), s.logout)
	huma.Register(api, operation("me", http.MethodGet, "/me", "Who am I: the signed-in user and role", "session", 200), s.me)
}

func (s *server) login(ctx context.Context, in *loginInput) (*meOutput, error) {
	r, w, ok := rawRequest(ctx)
	if !ok {
		return nil, huma.Error500InternalServerError("no request")
	}
	email := strings.TrimSpace(in.Body.Email)
	sess, err := s.a.Users.Login(ctx, email, in.Body.Password, httpauth.RemoteIP(r))
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	u, err := s.a.Users.Get(ctx, email)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	httpauth.SetSession(w, r, sess)
	return &meOutput{Body: meJSON{ID: u.ID, Email: u.Email, Role: u.Role, Via: "session"}}, nil
}

func (s *server) logout(ctx context.Context, _ *noInput) (*struct{}, error) {
	if _, err := principal(ctx); err != nil {
		return nil, err
	}
	r, w, ok := rawRequest(ctx)
	if !ok {
		return nil, huma.Error500InternalServerError("no request")
	}
	if token := httpauth.SessionToken(r); token != "" {
		if err := s.a.Users.Logout(ctx, token); err != nil {
			return nil, s.problem(ctx, err)
		}
	}
	httpauth.ClearSession(w, r)
	return &struct{}{}, nil
}

func (s *server) me(ctx context.Context, _ *noInput) (*meOutput, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	return &meOutput{Body: meJSON{ID: p.UserID, Email: p.Email, Role: p.Role, Via: p.Via}}, nil
}
