package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/profile"
	"segbridge/internal/store/sqlite"
)

// TestMigrateCountsExistingProfiles: profiles stored before the schema
// counts existed are counted when migration 0013 is applied.
func TestMigrateCountsExistingProfiles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "test.db")
	st, err := sqlite.Open(ctx, path)
	require.NoError(t, err)
	require.NoError(t, st.Migrate(ctx))
	_, err = st.UpsertProfiles(ctx, []profile.Profile{
		{ID: "a", Attrs: profile.Attrs{"email": "a@example.com", "orders": int64(3)}},
		{ID: "b", Attrs: profile.Attrs{"email": "b@example.com"}},
	}, time.Now())
	require.NoError(t, err)
	require.NoError(t, st.Close())

	// The database as it was before migration 0013.
	db, err := sql.Open("sqlite", sqlite.DSN(path))
	require.NoError(t, err)
	_, err = db.Exec(`DROP TABLE profile_attributes; DROP TABLE profile_attribute_pins; DROP TABLE profile_schema_state;
		DELETE FROM schema_migrations WHERE version = 13`)
	require.NoError(t, err)
	require.NoError(t, db.Close())

	st, err = sqlite.Open(ctx, path)
	require.NoError(t, err)
	defer st.Close()
	require.NoError(t, st.Migrate(ctx))
	s, err := st.ProfileSchema(ctx)
	require.NoError(t, err)
	email, ok := s.Attribute("email")
	require.True(t, ok)
	require.Equal(t, 2, email.Profiles)
	orders, ok := s.Attribute("orders")
	require.True(t, ok)
	require.Equal(t, profile.TypeInteger, orders.Type)
	require.Equal(t, 1, orders.Profiles)
}
