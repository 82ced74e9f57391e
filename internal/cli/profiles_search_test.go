package cli

import (
	"encoding/json"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestProfilesSearchAndImports: profiles list --search pages a search
// with its total and cursors, show prints the segments and exports, and
// profiles imports lists the import history.
func TestProfilesSearchAndImports(t *testing.T) { onEachEngine(t, testProfilesSearchAndImports) }

func testProfilesSearchAndImports(t *testing.T, b *bundle) {
	require.Contains(t, b.ok("profiles", "imports"), "no imports yet")
	f := b.file("c.csv", customersCSV)
	b.ok("import", "profiles", f, "--id", "id")
	b.fails("import", "profiles", b.file("bad.csv", "id,email\nc9\n"), "--id", "id")

	out := b.ok("profiles", "list", "--search", "c", "--limit", "2")
	require.Contains(t, out, "a@example.com")
	require.Contains(t, out, "2 shown of 3 matching by ids")
	m := regexp.MustCompile(`next page: --cursor (\S+)`).FindStringSubmatch(out)
	require.NotNil(t, m, out)
	out = b.ok("profiles", "list", "--search", "c", "--limit", "2", "--cursor", m[1])
	require.Contains(t, out, "semi@example.com")
	require.Contains(t, out, "previous page: --cursor")
	require.NotContains(t, out, "next page")

	var page struct {
		By       string
		Total    int
		Profiles []profileJSON
	}
	require.NoError(t, json.Unmarshal([]byte(b.ok("profiles", "list", "--search", "B@EXAMPLE", "--output", "json")), &page))
	require.Equal(t, "email", page.By)
	require.Equal(t, 1, page.Total)
	require.Equal(t, "c2", page.Profiles[0].ID)
	require.NoError(t, json.Unmarshal([]byte(b.ok("profiles", "list", "--search", "de", "--by", "value", "--output", "json")), &page))
	require.Len(t, page.Profiles, 1)
	require.Contains(t, b.fails("profiles", "list", "--by", "name", "--limit", "500"), "by: choose id, email or value; limit: want 1 to 200")

	out = b.ok("profiles", "show", "c1")
	require.Contains(t, out, "segments: none")
	require.Contains(t, out, "exports: no export has sent it")

	out = b.ok("profiles", "imports")
	require.Regexp(t, `(?m)^\d+\s+\S+ \S+\s+cli\S*\s+bad\.csv\s+0\s+0\s+0\s+1\s+failed: every row was rejected`, out)
	require.Regexp(t, `(?m)^\d+\s+\S+ \S+\s+cli\S*\s+c\.csv\s+3\s+0\s+0\s+0\s+done`, out)
}
