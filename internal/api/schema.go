package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
)

// schemaAttributeJSON is one attribute of the profile schema.
type schemaAttributeJSON struct {
	Name     string         `json:"name"`
	Type     string         `json:"type" enum:"string,integer,decimal,boolean,date,timestamp,mixed" doc:"the pinned type, else the type the values share (integers and decimals: decimal; dates, timestamps and text: string), else mixed"`
	Profiles int            `json:"profiles" doc:"how many profiles carry the attribute"`
	Values   map[string]int `json:"values" doc:"those profiles by the type of their value"`
	Pinned   bool           `json:"pinned" doc:"the type was pinned at import"`
	Coverage float64        `json:"coverage" doc:"the share of the stored profiles that carry the attribute, 0 to 1"`
}

type schemaOutput struct {
	Body struct {
		Profiles   int                   `json:"profiles" doc:"how many profiles are stored"`
		Attributes []schemaAttributeJSON `json:"attributes" doc:"sorted by name"`
	}
}

func (s *server) registerSchema(api huma.API) {
	op := operation("get-profile-schema", http.MethodGet, "/profiles/schema",
		"Every attribute of the stored profiles with its type and how many profiles carry it", "profiles", 200)
	op.Description = "Imports keep it current. Segment rules are type-checked against it when saved, and rules and " +
		"export mappings may only name attributes some profile carries."
	huma.Register(api, op, s.profileSchema)
}

func (s *server) profileSchema(ctx context.Context, _ *noInput) (*schemaOutput, error) {
	if _, err := principal(ctx); err != nil {
		return nil, err
	}
	sc, err := s.a.Store.ProfileSchema(ctx)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	out := &schemaOutput{}
	out.Body.Profiles = sc.Profiles
	out.Body.Attributes = make([]schemaAttributeJSON, len(sc.Attributes))
	for i, a := range sc.Attributes {
		values := make(map[string]int, len(a.Values))
		for t, n := range a.Values {
			values[string(t)] = n
		}
		out.Body.Attributes[i] = schemaAttributeJSON{Name: a.Name, Type: string(a.Type), Profiles: a.Profiles, Values: values, Pinned: a.Pinned}
		if sc.Profiles > 0 {
			out.Body.Attributes[i].Coverage = float64(a.Profiles) / float64(sc.Profiles)
		}
	}
	return out, nil
}
