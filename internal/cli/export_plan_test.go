package cli

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestExportPlanCLI(t *testing.T) { onEachEngine(t, testExportPlanCLI) }

func testExportPlanCLI(t *testing.T, b *bundle) {
	exportFixture(t, b)
	b.ok("export", "create", "VIPs", "--connection", "Main shop", "--segment", "VIP buyers", "--map", "email=email")

	diff := filepath.Join(t.TempDir(), "diff.csv")
	out := b.ok("export", "plan", "VIPs", "--diff", diff)
	require.Contains(t, out, `A run of "VIPs" now (nothing was changed or sent)`)
	require.Contains(t, out, "1 members: 1 to add, 0 to update, 0 unchanged, 0 to untag, 0 kept tagged, 0 skipped")
	require.Contains(t, out, "add     new")
	require.Contains(t, out, "POST /batches")
	require.Contains(t, out, "no other run of the brand is in progress or queued")
	require.Contains(t, out, "Diff written to "+diff)
	f, err := os.Open(diff)
	require.NoError(t, err)
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 2)
	require.Equal(t, []string{"a@example.com", "add", "new"}, rows[1][:3])

	// JSON Lines on standard output; the summary as JSON goes to stderr.
	lines := b.ok("export", "plan", "VIPs", "--diff", "-", "--format", "jsonl")
	require.Equal(t, 1, strings.Count(lines, "\n"), lines)
	var row map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines), &row))
	require.Equal(t, "add", row["action"])

	var res struct {
		Counts   struct{ Added int }
		Requests struct{ Total int }
	}
	require.NoError(t, json.Unmarshal([]byte(b.ok("export", "plan", "VIPs", "--output", "json")), &res))
	require.Equal(t, 1, res.Counts.Added)
	require.Equal(t, 2, res.Requests.Total, "one batch and its status check")

	b.ok("export", "run", "VIPs")
	require.Contains(t, b.ok("export", "plan", "VIPs"), "1 members: 0 to add, 0 to update, 1 unchanged")

	require.Contains(t, b.fails("export", "plan", "VIPs", "--diff", "x.txt"), "name a .csv or .jsonl file")
	require.Contains(t, b.fails("export", "plan", "VIPs", "--format", "jsonl"), "--format needs --diff")
	require.Contains(t, b.fails("export", "plan", "nope"), `no export named "nope"`)
}
