package cli

import (
	"crypto/sha256"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
)

// snapshot hashes every file under dir by its relative path.
func snapshot(t *testing.T, dir string) map[string][32]byte {
	t.Helper()
	out := map[string][32]byte{}
	require.NoError(t, filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		out[rel] = sha256.Sum256(b)
		return nil
	}))
	return out
}

// userData imports a user's profiles and a segment named like one of the
// demo's into the data directory env names (or ./segbridge-data), and
// returns the database file's path.
func userData(t *testing.T, b *bundle, dataDir string) string {
	t.Helper()
	b.ok("import", "profiles", b.file("mine.csv", customersCSV), "--id", "id")
	b.ok("segment", "create", "VIP buyers", "--rule", "p.orders > 3")
	db := filepath.Join(dataDir, "segbridge.db")
	require.FileExists(t, db)
	return db
}

var keptIn = regexp.MustCompile(`the demo's data is kept in (\S+)\)`)

// TestDemoLeavesUserDataAlone: the demo runs in a fresh data directory of
// its own, whether the user's data is in ./segbridge-data or in
// SEGBRIDGE_DATA_DIR, and their database is byte-for-byte unchanged; an
// explicit --data-dir that holds data is refused, an empty one works.
// Not parallel: it changes the working directory.
func TestDemoLeavesUserDataAlone(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir()) // where the demo's own directories go
	work := t.TempDir()
	t.Chdir(work)
	b := &bundle{t: t, dir: work, env: map[string]string{}}

	// ./segbridge-data, the default.
	db := userData(t, b, filepath.Join(work, "segbridge-data"))
	before, dbBefore := snapshot(t, filepath.Join(work, "segbridge-data")), sha256File(t, db)
	out := b.ok("demo", "--profiles", "300")
	require.Contains(t, out, "8. second run")
	m := keptIn.FindStringSubmatch(out)
	require.NotNil(t, m, out)
	require.NotEqual(t, filepath.Join(work, "segbridge-data"), filepath.Clean(m[1]))
	require.FileExists(t, filepath.Join(m[1], "segbridge.db"))
	require.Contains(t, out, "segbridge --data-dir "+m[1]+" export runs")
	require.Contains(t, out, "(your own data, in ./segbridge-data, was not touched)")
	require.Equal(t, dbBefore, sha256File(t, db), "the user's database file is unchanged")
	require.Equal(t, before, snapshot(t, filepath.Join(work, "segbridge-data")), "nothing in the user's data directory changed")

	// SEGBRIDGE_DATA_DIR counts as the user's data, not the demo's.
	envDir := filepath.Join(work, "env-data")
	b.env["SEGBRIDGE_DATA_DIR"] = envDir
	userData(t, b, envDir)
	before = snapshot(t, envDir)
	require.Contains(t, b.ok("demo", "--profiles", "300"), "(your own data, in "+envDir+", was not touched)")
	require.Equal(t, before, snapshot(t, envDir))

	// An explicit --data-dir holding data is refused and left alone.
	line := b.fails("demo", "--data-dir", envDir, "--profiles", "300")
	require.Contains(t, line, "the demo needs a store of its own, and "+envDir+" holds 3 profiles, 1 segments and 0 exports")
	require.Equal(t, before, snapshot(t, envDir))

	// An explicit empty one is used.
	fresh := filepath.Join(work, "fresh")
	out = b.ok("demo", "--data-dir", fresh, "--profiles", "300")
	require.Contains(t, out, "the demo's data is kept in "+fresh+")")
	require.NotContains(t, out, "was not touched")
	require.FileExists(t, filepath.Join(fresh, "segbridge.db"))
}

func sha256File(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return sha256.Sum256(b)
}
