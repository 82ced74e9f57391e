package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/export"
	"segbridge/internal/store/sqlite"
)

// TestMigrateConsentPolicy: migration 0019 gives the exports that mapped a
// consent status with its date attribute (and so sent it) the mirror
// policy, and every other export keep.
func TestMigrateConsentPolicy(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "test.db")
	st, err := sqlite.Open(ctx, path)
	require.NoError(t, err)
	require.NoError(t, st.Migrate(ctx))
	now := time.Now()
	for name, consent := range map[string]*export.ConsentMapping{
		"dated":   {Attribute: "consent", DateAttribute: "consent_at"},
		"undated": {Attribute: "consent"},
		"none":    nil,
	} {
		_, err := st.CreateExport(ctx, export.Export{Name: name, Mapping: export.Mapping{Email: "email", Consent: consent},
			CreatedAt: now, UpdatedAt: now}.WithDefaults())
		require.NoError(t, err)
	}
	require.NoError(t, st.Close())

	// The database as it was before migration 0019.
	db, err := sql.Open("sqlite", sqlite.DSN(path))
	require.NoError(t, err)
	_, err = db.Exec(`ALTER TABLE exports DROP COLUMN consent_policy; DELETE FROM schema_migrations WHERE version = 19`)
	require.NoError(t, err)
	require.NoError(t, db.Close())

	st, err = sqlite.Open(ctx, path)
	require.NoError(t, err)
	defer st.Close()
	require.NoError(t, st.Migrate(ctx))
	got := map[string]export.ConsentPolicy{}
	all, err := st.ListExports(ctx)
	require.NoError(t, err)
	for _, e := range all {
		got[e.Name] = e.ConsentPolicy
	}
	require.Equal(t, map[string]export.ConsentPolicy{"dated": export.ConsentMirror, "undated": export.ConsentKeep, "none": export.ConsentKeep}, got)
}
