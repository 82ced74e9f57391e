package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"segbridge/internal/audit"
	"segbridge/internal/user"
)

type usersOutput struct {
	Body []userJSON
}

type userOutput struct {
	Body userJSON
}

type createUserInput struct {
	Body struct {
		Email    string    `json:"email" minLength:"3" maxLength:"320" example:"marketer@example.com"`
		Password string    `json:"password" minLength:"1" maxLength:"1024" example:"a long passphrase of yours"`
		Role     user.Role `json:"role" enum:"admin,contributor,viewer" example:"contributor"`
	}
}

type userRefInput struct {
	Email string `path:"email" doc:"the user's e-mail address (or id)" minLength:"1"`
}

type updateUserInput struct {
	Email string `path:"email" doc:"the user's e-mail address (or id)" minLength:"1"`
	Body  struct {
		Role     user.Role `json:"role,omitempty" enum:"admin,contributor,viewer"`
		Password string    `json:"password,omitempty" minLength:"1" maxLength:"1024" doc:"a new password"`
	}
}

// auditJSON is one audit entry.
type auditJSON struct {
	ID     int64     `json:"id"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Action string    `json:"action"`
	Target string    `json:"target"`
	Detail string    `json:"detail,omitempty"`
}

type auditInput struct {
	Before int64 `query:"before" minimum:"0" doc:"entries older than this id (for the next page)"`
	Limit  int   `query:"limit" minimum:"1" maximum:"1000" default:"100"`
}

type auditOutput struct {
	Body []auditJSON
}

func (s *server) registerUsers(api huma.API) {
	huma.Register(api, operation("list-users", http.MethodGet, "/users", "List users (admin)", "users", 200), s.listUsers)
	huma.Register(api, operation("create-user", http.MethodPost, "/users", "Add a user (admin)", "users", 201), s.createUser)
	huma.Register(api, operation("update-user", http.MethodPatch, "/users/{email}", "Change a user's role (admin) or password (admins: anyone's; everyone: their own)", "users", 200), s.updateUser)
	huma.Register(api, operation("delete-user", http.MethodDelete, "/users/{email}", "Remove a user (admin)", "users", 204), s.deleteUser)
	huma.Register(api, operation("list-audit", http.MethodGet, "/audit", "The audit log, newest first (admin)", "audit", 200), s.listAudit)
}

func (s *server) listUsers(ctx context.Context, _ *noInput) (*usersOutput, error) {
	if _, err := admin(ctx); err != nil {
		return nil, err
	}
	us, err := s.a.Users.List(ctx)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	out := &usersOutput{Body: make([]userJSON, len(us))}
	for i, u := range us {
		out.Body[i] = toUserJSON(u)
	}
	return out, nil
}

func (s *server) createUser(ctx context.Context, in *createUserInput) (*userOutput, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	u, err := s.a.Services.Users.Add(ctx, p, in.Body.Email, in.Body.Password, in.Body.Role)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	return &userOutput{Body: toUserJSON(u)}, nil
}

// updateUser changes a user's role (admins) and password (admins: anyone's;
// everyone: their own), the role first: a refused role changes nothing.
func (s *server) updateUser(ctx context.Context, in *updateUserInput) (*userOutput, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	if in.Body.Role == "" && in.Body.Password == "" {
		return nil, huma.Error422UnprocessableEntity("nothing to change: send role or password")
	}
	var u user.User
	if in.Body.Role != "" {
		if u, _, err = s.a.Services.Users.SetRole(ctx, p, in.Email, in.Body.Role); err != nil {
			return nil, s.problem(ctx, err)
		}
	}
	if in.Body.Password != "" {
		if u, err = s.a.Services.Users.SetPassword(ctx, p, in.Email, in.Body.Password); err != nil {
			return nil, s.problem(ctx, err)
		}
	}
	return &userOutput{Body: toUserJSON(u)}, nil
}

func (s *server) deleteUser(ctx context.Context, in *userRefInput) (*struct{}, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := s.a.Services.Users.Remove(ctx, p, in.Email); err != nil {
		return nil, s.problem(ctx, err)
	}
	return &struct{}{}, nil
}

func (s *server) listAudit(ctx context.Context, in *auditInput) (*auditOutput, error) {
	if _, err := admin(ctx); err != nil {
		return nil, err
	}
	es, err := s.a.Audit.List(ctx, audit.ListOptions{Before: in.Before, Limit: in.Limit})
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	out := &auditOutput{Body: make([]auditJSON, len(es))}
	for i, e := range es {
		out.Body[i] = auditJSON{ID: e.ID, At: e.At, Actor: e.Actor, Action: e.Action, Target: e.Target, Detail: e.Detail}
	}
	return out, nil
}
