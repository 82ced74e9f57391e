package api_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

type profilePageJSON struct {
	Profiles []struct {
		ID         string
		Attributes map[string]any
	}
	By         string `json:"by"`
	Next       string `json:"next"`
	NextCursor string `json:"next_cursor"`
	PrevCursor string `json:"prev_cursor"`
	Total      *int   `json:"total"`
	TotalMore  bool   `json:"total_more"`
}

func (p profilePageJSON) ids() []string {
	var out []string
	for _, pr := range p.Profiles {
		out = append(out, pr.ID)
	}
	return out
}

// TestProfileSearchAPI: GET /profiles pages a search both ways with its
// total, by id, e-mail or value; a bad search answers 422 naming each
// field; a profile shows its segments and exports; imports are listed.
func TestProfileSearchAPI(t *testing.T) {
	onEachEngine(t, func(t *testing.T, dbURL string) {
		f := setup(t, dbURL)
		get := func(path string) profilePageJSON {
			t.Helper()
			res := f.do("viewer", request{method: "GET", path: path})
			require.Equal(t, 200, res.status, string(res.body))
			var p profilePageJSON
			require.NoError(t, json.Unmarshal(res.body, &p))
			return p
		}
		first := get("/profiles?limit=15")
		require.Len(t, first.Profiles, 15)
		require.Equal(t, 40, *first.Total)
		require.Empty(t, first.PrevCursor)
		second := get("/profiles?limit=15&cursor=" + first.NextCursor)
		require.Len(t, second.Profiles, 15)
		require.Greater(t, second.Profiles[0].ID, first.Profiles[14].ID)
		back := get("/profiles?limit=15&cursor=" + second.PrevCursor)
		require.Equal(t, first.ids(), back.ids())
		third := get("/profiles?limit=15&cursor=" + second.NextCursor)
		require.Len(t, third.Profiles, 10)
		require.Empty(t, third.NextCursor, "the last page")

		email := first.Profiles[3].Attributes["email"].(string)
		byEmail := get("/profiles?q=" + url.QueryEscape(strings.ToUpper(email[:len(email)-2])))
		require.Equal(t, "email", byEmail.By)
		require.Contains(t, byEmail.ids(), first.Profiles[3].ID)
		city := first.Profiles[0].Attributes["city"].(string)
		byValue := get("/profiles?by=value&q=" + url.QueryEscape(city))
		require.Contains(t, byValue.ids(), first.Profiles[0].ID)
		for _, pr := range byValue.Profiles {
			require.True(t, strings.EqualFold(city, pr.Attributes["city"].(string)) || containsValue(pr.Attributes, city))
		}

		res := f.do("viewer", request{method: "GET", path: "/profiles?by=value&q=&limit=20&cursor=nope"})
		require.Equal(t, 422, res.status, string(res.body))
		require.Contains(t, string(res.body), "cursor: not a page of this list")
		require.Contains(t, string(res.body), "q: say which value to look for")
		require.NotContains(t, string(res.body), "sqlite")

		// A profile the finished runs sent: its segment and both exports.
		var id string
		for _, pr := range append(append(first.Profiles, second.Profiles...), third.Profiles...) {
			if n, _ := pr.Attributes["orders"].(float64); n >= 1 {
				id = pr.ID
				break
			}
		}
		require.NotEmpty(t, id)
		res = f.do("admin", request{method: "GET", path: "/profiles/" + url.PathEscape(id)})
		require.Equal(t, 200, res.status, string(res.body))
		var detail struct {
			Segments []struct{ Name string }
			Exports  []struct {
				Export    string
				Tags      []string
				Confirmed bool
				At        string `json:"confirmed_at"`
			}
		}
		require.NoError(t, json.Unmarshal(res.body, &detail))
		require.Len(t, detail.Segments, 1)
		require.Equal(t, "Buyers", detail.Segments[0].Name)
		require.Len(t, detail.Exports, 2, string(res.body))
		for _, e := range detail.Exports {
			require.True(t, e.Confirmed)
			require.NotEmpty(t, e.Tags)
			require.NotEmpty(t, e.At)
		}
		res = f.do("viewer", request{method: "GET", path: "/profiles/" + url.PathEscape(id)})
		require.Equal(t, 200, res.status, string(res.body))
		require.NoError(t, json.Unmarshal(res.body, &detail))
		require.Len(t, detail.Exports, 1, "a viewer does not see the export on the admins' connection")
		require.Equal(t, "Shared Export", detail.Exports[0].Export)

		res = f.do("contributor", request{method: "POST", path: "/profiles/import?id=id&source=more.csv", contentType: "text/csv",
			body: []byte("id,email\nN1,n1@example.com\nN2\n")})
		require.Equal(t, 200, res.status, string(res.body))
		res = f.do("viewer", request{method: "GET", path: "/profiles/imports"})
		require.Equal(t, 200, res.status, string(res.body))
		var ims struct {
			Imports []struct {
				Actor, Source, Status string
				Imported, Rejected    int
			}
		}
		require.NoError(t, json.Unmarshal(res.body, &ims))
		require.NotEmpty(t, ims.Imports)
		im := ims.Imports[0]
		require.Equal(t, "more.csv", im.Source)
		require.Equal(t, "done", im.Status)
		require.Equal(t, 1, im.Imported)
		require.Equal(t, 1, im.Rejected)
		require.NotEmpty(t, im.Actor)
	})
}

func containsValue(attrs map[string]any, v string) bool {
	for _, a := range attrs {
		if s, ok := a.(string); ok && strings.EqualFold(s, v) {
			return true
		}
	}
	return false
}
