package api_test

import (
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/profile"
	"segbridge/internal/store"
)

// TestPlanAPI previews a run over the API, downloads its diff in both
// formats, and gets a refusal as problem+json even from the streamed
// download.
func TestPlanAPI(t *testing.T) {
	onEachEngine(t, func(t *testing.T, dbURL string) {
		f := setup(t, dbURL)
		// One member is renamed after the export's run.
		ps, err := f.a.Store.ListProfiles(f.ctx, store.ListOptions{Limit: 1000})
		require.NoError(t, err)
		var renamed string
		for _, p := range ps {
			if o, _ := p.Attrs["orders"].(int64); o >= 1 {
				if em, _ := p.Attrs["email"].(string); em != "" && em == strings.ToLower(strings.TrimSpace(em)) && strings.Contains(em, "@") {
					p.Attrs["first_name"] = "Planned"
					_, err := f.a.Store.UpsertProfiles(f.ctx, []profile.Profile{p}, time.Now())
					require.NoError(t, err)
					renamed = em
					break
				}
			}
		}
		require.NotEmpty(t, renamed)

		res := f.do("contributor", request{method: "POST", path: "/exports/Shared%20Export/plan"})
		require.Equal(t, 200, res.status, string(res.body))
		var plan struct {
			Export   string
			Counts   struct{ Members, Updated, Unchanged int }
			Requests struct {
				Total  int
				Routes []struct{ Route string }
			}
			ETA struct {
				AloneSeconds float64 `json:"alone_seconds"`
				Ahead        []any
			}
		}
		require.NoError(t, json.Unmarshal(res.body, &plan))
		require.Equal(t, "Shared Export", plan.Export)
		require.Equal(t, 1, plan.Counts.Updated)
		require.Equal(t, 2, plan.Requests.Total, "one batch and its status check")
		require.Empty(t, plan.ETA.Ahead)

		res = f.do("contributor", request{method: "GET", path: "/exports/Shared%20Export/plan/diff"})
		require.Equal(t, 200, res.status, string(res.body))
		require.Equal(t, "text/csv; charset=utf-8", res.header.Get("Content-Type"))
		rows, err := csv.NewReader(strings.NewReader(string(res.body))).ReadAll()
		require.NoError(t, err)
		require.Equal(t, []string{"email", "action", "reason", "changes", "old_unknown", "tags_added", "tags_removed"}, rows[0])
		found := false
		for _, r := range rows[1:] {
			if r[1] == "update" {
				require.Equal(t, renamed, r[0])
				require.Regexp(t, `^first_name: .+ → Planned$`, r[3])
				found = true
			}
		}
		require.True(t, found, "%v", rows)

		res = f.do("admin", request{method: "GET", path: "/exports/Shared%20Export/plan/diff?format=jsonl"})
		require.Equal(t, 200, res.status)
		require.Equal(t, "application/x-ndjson", res.header.Get("Content-Type"))
		require.Contains(t, string(res.body), `"email":"`+renamed+`","action":"update","reason":"changed","fields":[{"field":"first_name"`)

		res = f.do("contributor", request{method: "GET", path: "/exports/Admin%20Export/plan/diff"})
		require.Equal(t, 404, res.status, "an export on an admin-only connection is not shown to contributors")
		require.Equal(t, "application/problem+json", res.header.Get("Content-Type"))
		require.Contains(t, string(res.body), `no export named \"Admin Export\" that you may see`)
		res = f.do("viewer", request{method: "POST", path: "/exports/Shared%20Export/plan"})
		require.Equal(t, 403, res.status)
		res = f.do("admin", request{method: "GET", path: "/exports/Shared%20Export/plan/diff?format=xml"})
		require.Equal(t, 422, res.status)
	})
}
