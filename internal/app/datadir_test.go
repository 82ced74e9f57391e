package app

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestUnwritableDataDir: a data directory that cannot be written is one
// plain line naming it, not SQLite's codes. A path under a regular file
// fails for root too.
func TestUnwritableDataDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "not-a-dir")
	require.NoError(t, os.WriteFile(file, []byte("x"), 0o600))

	for _, tc := range []struct{ dataDir, want string }{
		{filepath.Join(file, "data"), "cannot write the data directory " + filepath.Join(file, "data") + ": " + file + " is a file, not a directory"},
		{file, "cannot write the data directory " + file + ": " + file + " is a file, not a directory"},
	} {
		_, err := Open(context.Background(), Config{DataDir: tc.dataDir})
		require.EqualError(t, err, tc.want)
		var de *DirError
		require.ErrorAs(t, err, &de)
	}
}

// TestReadOnlyDataDir needs a user that permissions apply to (not root).
func TestReadOnlyDataDir(t *testing.T) {
	t.Parallel()
	if os.Geteuid() == 0 {
		t.Skip("permissions do not apply to root; TestUnwritableDataDir covers the message")
	}
	dir := filepath.Join(t.TempDir(), "ro")
	require.NoError(t, os.Mkdir(dir, 0o500))
	t.Cleanup(func() { _ = os.Chmod(dir, 0o700) })
	_, err := Open(context.Background(), Config{DataDir: dir})
	require.EqualError(t, err, "cannot write the data directory "+dir+": permission denied")
}
