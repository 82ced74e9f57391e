package api

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"segbridge/internal/service"
	"segbridge/internal/user"
)

// tokenJSON is an API token as listed: never its secret.
type tokenJSON struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	// Owner is who the token acts as.
	OwnerID    int64  `json:"owner_id"`
	OwnerEmail string `json:"owner_email"`
	// Last4 is the end of the token, to tell tokens apart.
	Last4      string     `json:"last4"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	// ExpiresAt is when the token stops working; null: never.
	ExpiresAt *time.Time `json:"expires_at"`
}

func toTokenJSON(t user.Token) tokenJSON {
	j := tokenJSON{ID: t.ID, Name: t.Name, OwnerID: t.OwnerID, OwnerEmail: t.OwnerEmail, Last4: t.Last4, CreatedAt: t.CreatedAt}
	if !t.LastUsedAt.IsZero() {
		j.LastUsedAt = &t.LastUsedAt
	}
	if !t.ExpiresAt.IsZero() {
		j.ExpiresAt = &t.ExpiresAt
	}
	return j
}

type listTokensInput struct {
	All bool `query:"all" doc:"every user's tokens (admins only); default: your own"`
}

type tokensOutput struct {
	Body []tokenJSON
}

type createTokenInput struct {
	Body struct {
		Name string `json:"name" minLength:"1" maxLength:"100" example:"nightly sync" doc:"what the token is for"`
		// ExpiresIn is a Go duration such as 720h; empty or 0: never.
		ExpiresIn string `json:"expires_in,omitempty" maxLength:"32" example:"720h" doc:"lifetime, such as 720h (30 days), from 1h to 87840h; empty: the token never expires"`
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
	list := operation("list-tokens", http.MethodGet, "/tokens", "List your API tokens (admins: everyone's, with all=true)", "tokens", 200)
	huma.Register(api, list, s.listTokens)
	create := operation("create-token", http.MethodPost, "/tokens", "Create an API token (its secret is shown once)", "tokens", 201)
	create.Description = "The token acts as you, with your role, until it is revoked, it expires (expires_in), " +
		"your password changes or you are removed."
	huma.Register(api, create, s.createToken)
	huma.Register(api, operation("revoke-token", http.MethodDelete, "/tokens/{id}", "Revoke one of your API tokens (admins: anyone's)", "tokens", 204), s.revokeToken)
}

func (s *server) listTokens(ctx context.Context, in *listTokensInput) (*tokensOutput, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	var ts []user.Token
	if in.All {
		if _, err := admin(ctx); err != nil {
			return nil, err
		}
		ts, err = s.a.Users.ListAllTokens(ctx)
	} else {
		ts, err = s.a.Users.ListTokens(ctx, p)
	}
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
	var ttl time.Duration
	if e := strings.TrimSpace(in.Body.ExpiresIn); e != "" {
		if ttl, err = time.ParseDuration(e); err != nil {
			return nil, invalid("expires_in", fmt.Sprintf("want a duration such as 720h, got %q", e))
		}
	}
	t, secret, err := s.a.Services.Users.CreateToken(ctx, p, service.TokenInput{Name: in.Body.Name, TTL: ttl})
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	out := &createTokenOutput{}
	out.Body.tokenJSON, out.Body.Token = toTokenJSON(t), secret
	return out, nil
}

func (s *server) revokeToken(ctx context.Context, in *tokenIDInput) (*struct{}, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := s.a.Services.Users.RevokeToken(ctx, p, in.ID); err != nil {
		return nil, s.problem(ctx, err)
	}
	return &struct{}{}, nil
}
