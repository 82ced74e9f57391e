package api_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestProfileSchemaAndChecksOnSave: the schema is served with the types
// imports found (postal codes stay strings), a type can be pinned at
// import, and rules and mappings naming unknown attributes or misusing
// types are refused on save.
func TestProfileSchemaAndChecksOnSave(t *testing.T) {
	onEachEngine(t, func(t *testing.T, dbURL string) {
		f := setup(t, dbURL)
		var s struct {
			Profiles   int
			Attributes []struct {
				Name, Type string
				Profiles   int
				Pinned     bool
			}
		}
		schema := func() map[string]string {
			res := f.do("viewer", request{method: "GET", path: "/profiles/schema"})
			require.Equal(t, 200, res.status, string(res.body))
			require.NoError(t, json.Unmarshal(res.body, &s))
			out := map[string]string{}
			for _, a := range s.Attributes {
				out[a.Name] = a.Type
			}
			return out
		}
		types := schema()
		require.Equal(t, 40, s.Profiles)
		require.Equal(t, "string", types["postal_code"])
		require.Equal(t, "string", types["phone"])
		require.Equal(t, "integer", types["orders"])
		require.Equal(t, "string", types["email"])

		res := f.do("contributor", request{method: "POST", path: "/profiles/import?id=id&type=code%3Dinteger&type=zip%3Dstring",
			contentType: "text/csv", body: []byte("id,code,zip\nZ1,007,01234\n")})
		require.Equal(t, 200, res.status, string(res.body))
		types = schema()
		require.Equal(t, "integer", types["code"])
		for _, a := range s.Attributes {
			if a.Name == "code" {
				require.True(t, a.Pinned)
			}
		}
		res = f.do("contributor", request{method: "POST", path: "/profiles/import?id=id&type=code%3Dmoney",
			contentType: "text/csv", body: []byte("id,code\nZ2,1\n")})
		require.Equal(t, 422, res.status, string(res.body))
		require.Contains(t, string(res.body), `unknown type \"money\"`)

		res = f.do("contributor", request{method: "POST", path: "/segments", body: map[string]string{"name": "T", "rule": `p.orders > "x"`}})
		require.Equal(t, 422, res.status, string(res.body))
		require.Contains(t, string(res.body), "rule error at line 1, column 10: found no matching overload for '_>_' applied to '(int, string)'")
		res = f.do("contributor", request{method: "POST", path: "/segments", body: map[string]string{"name": "T", "rule": `p.e_mail == "x"`}})
		require.Equal(t, 422, res.status, string(res.body))
		require.Contains(t, string(res.body), `no profile has the attribute \"e_mail\" (did you mean email?)`)
		res = f.do("admin", request{method: "PATCH", path: "/segments/Buyers", body: map[string]string{"rule": `p.ordres > 1`}})
		require.Equal(t, 422, res.status, string(res.body))
		require.Contains(t, string(res.body), `did you mean orders?`)
		res = f.do("contributor", request{method: "POST", path: "/segments", body: map[string]string{"name": "Zero", "rule": `p.postal_code.startsWith("0")`}})
		require.Equal(t, 201, res.status, string(res.body))

		body := map[string]any{"name": "Typo", "connection": "Shared", "segments": []string{"Buyers"},
			"mapping": map[string]string{"email": "e_mail"}, "schedule": map[string]string{"kind": "manual"}}
		res = f.do("admin", request{method: "POST", path: "/exports", body: body})
		require.Equal(t, 422, res.status, string(res.body))
		require.Contains(t, string(res.body), `mapping.email: no profile has the attribute \"e_mail\" (did you mean email?)`)
		body["mapping"] = map[string]string{"email": "orders"}
		res = f.do("admin", request{method: "POST", path: "/exports", body: body})
		require.Equal(t, 422, res.status, string(res.body))
		require.Contains(t, string(res.body), "e-mail must map to a string attribute")
		res = f.do("admin", request{method: "PATCH", path: "/exports/Shared%20Export", body: map[string]any{"mapping": map[string]string{"email": "Email"}}})
		require.Equal(t, 422, res.status, string(res.body))
		require.Contains(t, string(res.body), "did you mean email?")
	})
}
