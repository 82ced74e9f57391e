package api_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"segbridge/internal/notify"
	"segbridge/internal/user"
)

var update = flag.Bool("update", false, "rewrite testdata/openapi.golden.json from the running server")

const goldenPath = "testdata/openapi.golden.json"

// openAPIDoc is the part of an OpenAPI document the tests read.
type openAPIDoc struct {
	Paths      map[string]map[string]openAPIOp `json:"paths"`
	Components struct {
		Schemas map[string]*schema `json:"schemas"`
	} `json:"components"`
}

type openAPIOp struct {
	OperationID string `json:"operationId"`
	Parameters  []struct {
		Name     string  `json:"name"`
		In       string  `json:"in"`
		Required bool    `json:"required"`
		Schema   *schema `json:"schema"`
	} `json:"parameters"`
	RequestBody *struct {
		Required bool `json:"required"`
		Content  map[string]struct {
			Schema *schema `json:"schema"`
		} `json:"content"`
	} `json:"requestBody"`
}

type schema struct {
	Ref        string             `json:"$ref"`
	Type       any                `json:"type"`
	Format     string             `json:"format"`
	Enum       []any              `json:"enum"`
	Examples   []any              `json:"examples"`
	Default    any                `json:"default"`
	MinLength  *int               `json:"minLength"`
	Minimum    *float64           `json:"minimum"`
	MinItems   *int               `json:"minItems"`
	Required   []string           `json:"required"`
	Properties map[string]*schema `json:"properties"`
	Items      *schema            `json:"items"`
}

// served fetches the OpenAPI document from a running server.
func served(t *testing.T, f *fixture) []byte {
	t.Helper()
	res, err := http.Get(f.srv.URL + "/api/v1/openapi.json")
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	raw, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return raw
}

func indent(t *testing.T, raw []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	require.NoError(t, json.Indent(&out, raw, "", "  "))
	out.WriteByte('\n')
	return out.Bytes()
}

// TestOpenAPIGolden checks that the running server serves exactly the
// golden document (go test ./internal/api -update rewrites it), and that
// one generated valid request per route passes huma's validation.
func TestOpenAPIGolden(t *testing.T) {
	t.Parallel()
	f := setup(t, "")
	got := indent(t, served(t, f))
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(goldenPath), 0o755))
		require.NoError(t, os.WriteFile(goldenPath, got, 0o644))
	}
	want, err := os.ReadFile(goldenPath)
	require.NoError(t, err)
	require.Equal(t, string(want), string(got), "the served OpenAPI document differs from %s; if the change is intended, run go test ./internal/api -update", goldenPath)
	require.Contains(t, string(got), `"openapi": "3.1.0"`)

	var doc openAPIDoc
	require.NoError(t, json.Unmarshal(got, &doc))
	g := generator{f: f, doc: doc, n: new(int)}
	for _, call := range g.calls() {
		res := f.do("admin", call.req)
		var problem struct {
			Detail string `json:"detail"`
		}
		_ = json.Unmarshal(res.body, &problem)
		what := fmt.Sprintf("%s %s (%s)", call.req.method, call.req.path, call.id)
		require.NotEqual(t, http.StatusBadRequest, res.status, "%s: %s", what, res.body)
		require.NotEqual(t, "validation failed", problem.Detail, "%s was refused by validation: %s", what, res.body)
		require.Less(t, res.status, 500, "%s: %s", what, res.body)
		if res.status >= 400 {
			t.Logf("%s: %d %s", what, res.status, problem.Detail)
		}
	}
}

// generator builds one valid request per operation of the document: path
// parameters from the fixture, required query parameters and body fields
// from their schemas (enums, examples, minimums), plus a few fields the
// fixture must choose (a sandbox base URL, its key, existing names).
type generator struct {
	f   *fixture
	doc openAPIDoc
	n   *int
}

// unique returns a new name for something the request creates.
func (g generator) unique() string {
	*g.n++
	return fmt.Sprintf("Generated %d", *g.n)
}

type call struct {
	id  string
	req request
}

// calls returns a request per operation, deletions last so that they do
// not remove what other requests use.
func (g generator) calls() []call {
	var out []call
	for path, ops := range g.doc.Paths {
		for method, op := range ops {
			out = append(out, call{id: op.OperationID, req: g.request(strings.ToUpper(method), path, op)})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		di, dj := out[i].req.method == "DELETE", out[j].req.method == "DELETE"
		if di != dj {
			return dj
		}
		return out[i].id < out[j].id
	})
	return out
}

func (g generator) request(method, path string, op openAPIOp) request {
	r := request{method: method, path: path}
	var query []string
	for _, p := range op.Parameters {
		switch {
		case p.In == "path":
			r.path = strings.ReplaceAll(r.path, "{"+p.Name+"}", g.pathParam(path, p.Name))
		case p.In == "query" && p.Required:
			query = append(query, p.Name+"="+fmt.Sprint(g.value(p.Name, p.Schema)))
		}
	}
	if len(query) > 0 {
		r.path += "?" + strings.Join(query, "&")
	}
	if op.RequestBody == nil {
		return r
	}
	for ct, media := range op.RequestBody.Content {
		if ct == "application/json" {
			r.body = g.value("", media.Schema)
		} else {
			r.contentType, r.body = ct, []byte("id,email\ngenerated-1,generated@example.com\n")
		}
		break
	}
	return r
}

// pathParam names an existing resource for a path parameter.
func (g generator) pathParam(path, name string) string {
	f := g.f
	switch {
	case strings.HasPrefix(path, "/segments/"):
		return "Buyers"
	case strings.HasPrefix(path, "/connections/"):
		return "Shared"
	case strings.HasPrefix(path, "/exports/"):
		return esc(f.export(g.unique(), "Shared").Name)
	case strings.HasPrefix(path, "/runs/"):
		return fmt.Sprint(f.sharedRun)
	case strings.HasPrefix(path, "/profiles/"):
		return f.profileID
	case strings.HasPrefix(path, "/users/"):
		u, err := f.a.Users.Add(f.ctx, "generated@example.com", password, user.RoleViewer)
		if err != nil {
			return "generated@example.com"
		}
		return u.Email
	case strings.HasPrefix(path, "/notifications/channels/"):
		f.notifyChannel("Generated channel")
		return esc("Generated channel")
	case strings.HasPrefix(path, "/notifications/rules/"):
		r, err := f.a.Notify.CreateRule(f.ctx, notify.RuleDraft{Kind: notify.RuleRunHeld})
		require.NoError(f.t, err)
		return fmt.Sprint(r.ID)
	case strings.HasPrefix(path, "/sources/"):
		return esc(f.fileSource(g.unique()))
	case strings.HasPrefix(path, "/system/refreshes/"):
		return fmt.Sprint(f.heldRefresh())
	case strings.HasPrefix(path, "/tokens/"):
		tok, _, err := f.a.Users.CreateToken(f.ctx, f.users["admin"], "generated", 0)
		require.NoError(f.t, err)
		return fmt.Sprint(tok.ID)
	}
	f.t.Fatalf("no fixture for path parameter %s of %s", name, path)
	return ""
}

// overrides are body fields the fixture chooses whatever the schema says.
func (g generator) overrides() map[string]any {
	return map[string]any{
		"base_url": g.f.sandbox.URL, "api_key": apiKey, "connection": "Shared", "segments": []string{"Buyers"},
		"mapping": map[string]string{"email": "email"}, "rule": "p.orders > 0", "export_user": "admin@example.com",
		"email": "admin@example.com", "password": password,
	}
}

// value generates a valid value for s; name is the property's name.
func (g generator) value(name string, s *schema) any {
	if s == nil {
		return "x"
	}
	if s.Ref != "" {
		return g.value(name, g.doc.Components.Schemas[strings.TrimPrefix(s.Ref, "#/components/schemas/")])
	}
	switch {
	case len(s.Enum) > 0:
		return s.Enum[0]
	case len(s.Examples) > 0:
		return s.Examples[0]
	case s.Default != nil:
		return s.Default
	}
	switch typ := fmt.Sprint(s.Type); {
	case strings.Contains(typ, "object"):
		obj := map[string]any{}
		for _, req := range s.Required {
			obj[req] = g.value(req, s.Properties[req])
		}
		for prop, v := range g.overrides() {
			if _, ok := s.Properties[prop]; ok {
				obj[prop] = v
			}
		}
		if _, ok := s.Properties["name"]; ok {
			obj["name"] = g.unique()
		}
		return obj
	case strings.Contains(typ, "array"):
		n := 0
		if s.MinItems != nil {
			n = *s.MinItems
		}
		items := make([]any, n)
		for i := range items {
			items[i] = g.value(name, s.Items)
		}
		return items
	case strings.Contains(typ, "integer"), strings.Contains(typ, "number"):
		if s.Minimum != nil {
			return *s.Minimum
		}
		return 1
	case strings.Contains(typ, "boolean"):
		return true
	}
	n := 1
	if s.MinLength != nil {
		n = max(n, *s.MinLength)
	}
	if s.Format == "email" {
		return "generated@example.com"
	}
	return strings.Repeat("x", n)
}
