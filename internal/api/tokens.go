package api

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"segbridge/internal/user"
)

// tokenJSON is an API token as listed: never its secret.
type tokenJSON struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	// Last4 is the end of the token, to tell tokens apart.
	Last4      string     `json:"last4"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
}

func toTokenJSON(t user.Token) tokenJSON {
	j := tokenJSON{ID: t.ID, Name: t.Name, Last4: t.Last4, CreatedAt: t.CreatedAt}
	if !t.LastUsedAt.IsZero() {
		j.LastUsedAt = &t.LastUsedAt
	}
	return j
}

type tokensOutput struct {
	Body []tokenJSON
}

type createTokenInput struct {
	Body struct {
		Name string `json:"name" minLength:"1" maxLength:"100" example:"nightly sync" doc:"what the token is for"`
	}
}

type createTokenOutput struct {
	Body struct {
		tokenJSON
		// Token is the secret: shown this once, stored only hashed.
		Token string `json:"token" doc:"the token itself; shown only in this response"`
	}
}

type tokenIDInput struct {
	ID int64 `path:"id" minimum:"1"`
}

func (s *server) registerTokens(api huma.API) {
	huma.Register(api, operation("list-tokens", http.MethodGet, "/tokens", "List your API tokens", "tokens", 200), s.listTokens)
	create := operation("create-token", http.MethodPost, "/tokens", "Create an API token (its secret is shown once)", "tokens", 201)
	huma.Register(api, create, s.createToken)
	huma.Register(api, operation("revoke-token", http.MethodDelete, "/tokens/{id}", "Revoke one of your API tokens", "tokens", 204), s.revokeToken)
}

func (s *server) listTokens(ctx context.Context, _ *noInput) (*tokensOutput, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	ts, err := s.a.Users.ListTokens(ctx, p)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	out := &tokensOutput{Body: make([]tokenJSON, len(ts))}
	for i, t := range ts {
		out.Body[i] = toTokenJSON(t)
	}
	return out, nil
}

func (s *server) createToken(ctx context.Context, in *createTokenInput) (*createTokenOutput, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	t, secret, err := s.a.Users.CreateToken(ctx, p, in.Body.Name)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	s.record(ctx, p, "token.create", fmt.Sprintf("token %d", t.ID), t.Name)
	out := &createTokenOutput{}
	out.Body.tokenJSON, out.Body.Token = toTokenJSON(t), secret
	return out, nil
}

func (s *server) revokeToken(ctx context.Context, in *tokenIDInput) (*struct{}, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.a.Users.RevokeToken(ctx, p, in.ID); err != nil {
		return nil, s.problem(ctx, err)
	}
	s.record(ctx, p, "token.revoke", fmt.Sprintf("token %d", in.ID), "")
	return &struct{}{}, nil
}
