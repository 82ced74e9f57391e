package cli

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestMemoryLimitSetting(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		env  map[string]string
		def  int64
		want int64
		err  string
	}{
		{name: "default", def: defaultImportMemoryLimit, want: 224 << 20},
		{name: "no default", def: 0, want: 0},
		{name: "set", env: map[string]string{"SEGBRIDGE_MEMORY_LIMIT": "1GiB"}, def: defaultImportMemoryLimit, want: 1 << 30},
		{name: "set without a default", env: map[string]string{"SEGBRIDGE_MEMORY_LIMIT": "512MiB"}, want: 512 << 20},
		{name: "off", env: map[string]string{"SEGBRIDGE_MEMORY_LIMIT": "off"}, def: defaultImportMemoryLimit, want: 0},
		{name: "GOMEMLIMIT wins", env: map[string]string{"GOMEMLIMIT": "2GiB", "SEGBRIDGE_MEMORY_LIMIT": "1GiB"}, def: defaultImportMemoryLimit, want: 0},
		{name: "too small", env: map[string]string{"SEGBRIDGE_MEMORY_LIMIT": "10MiB"}, def: defaultImportMemoryLimit,
			err: `SEGBRIDGE_MEMORY_LIMIT "10MiB": want a size of at least 64MiB, such as 256MiB or 1GiB, or off`},
		{name: "not a size", env: map[string]string{"SEGBRIDGE_MEMORY_LIMIT": "lots"}, def: defaultImportMemoryLimit,
			err: `SEGBRIDGE_MEMORY_LIMIT "lots": want a size of at least 64MiB, such as 256MiB or 1GiB, or off`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := &globals{getenv: func(k string) string { return tc.env[k] }}
			got, err := g.memoryLimitSetting(tc.def)
			if tc.err != "" {
				require.EqualError(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

// TestImportSetsMemoryLimit: "import profiles" gives the runtime its
// default soft memory limit, or the one configured, and refuses a bad one
// before it reads anything.
func TestImportSetsMemoryLimit(t *testing.T) {
	b := setup(t)
	path := b.file("p.csv", "id,email\nc1,a@example.com\n")
	b.ok("import", "profiles", path, "--id", "id")
	require.Equal(t, int64(defaultImportMemoryLimit), b.memoryLimit)

	b.env["SEGBRIDGE_MEMORY_LIMIT"] = "1GiB"
	b.ok("import", "profiles", path, "--id", "id")
	require.Equal(t, int64(1<<30), b.memoryLimit)

	b.env["SEGBRIDGE_MEMORY_LIMIT"] = "1MiB"
	require.Contains(t, b.fails("import", "profiles", path, "--id", "id"), `SEGBRIDGE_MEMORY_LIMIT "1MiB": want a size of at least 64MiB`)
}

// TestMemoryLimitFollowsRows: the import's limit rises with the rows read
// once the duplicate-id check would leave the collector too little room,
// never falls, and stays unset when none was set.
func TestMemoryLimitFollowsRows(t *testing.T) {
	t.Parallel()
	var set []int64
	m := &memoryLimit{bytes: defaultImportMemoryLimit, set: func(n int64) { set = append(set, n) }}
	m.followRows(1_000_000)
	m.followRows(10_000_000)
	require.Empty(t, set, "10,000,000 rows fit in the default limit")
	m.followRows(20_000_000)
	require.Len(t, set, 1)
	require.GreaterOrEqual(t, set[0], int64(20_000_000*importIDBytes+importHeadroom))
	m.followRows(20_001_000)
	m.followRows(5)
	require.Len(t, set, 1, "raised in steps, never lowered")
	require.Equal(t, set[0], m.bytes)

	none := &memoryLimit{set: func(n int64) { t.Fatalf("set %d with no limit", n) }}
	none.followRows(50_000_000)
}
