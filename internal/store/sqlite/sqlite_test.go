package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"segbridge/internal/store"
	"segbridge/internal/store/sqlite"
	"segbridge/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store {
		st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "test.db"))
		require.NoError(t, err)
		t.Cleanup(func() { st.Close() })
		require.NoError(t, st.Migrate(context.Background()))
		return st
	})
}

func TestPathFromURL(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"sqlite:///tmp/x.db": "/tmp/x.db",
		"sqlite://rel/x.db":  "rel/x.db",
		"sqlite:x.db":        "x.db",
	} {
		got, err := sqlite.PathFromURL(in)
		require.NoError(t, err)
		require.Equal(t, want, got)
	}
	_, err := sqlite.PathFromURL("sqlite://")
	require.Error(t, err)
}
