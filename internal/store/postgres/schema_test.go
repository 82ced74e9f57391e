package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"segbridge/internal/profile"
	"segbridge/internal/store/postgres"
	"segbridge/internal/store/postgres/pgtest"
)

// TestMigrateCountsExistingProfiles: profiles stored before the schema
// counts existed are counted when migration 0013 is applied.
func TestMigrateCountsExistingProfiles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := pgtest.URL(t)
	st, err := postgres.Open(ctx, url)
	require.NoError(t, err)
	require.NoError(t, st.Migrate(ctx))
	_, err = st.UpsertProfiles(ctx, []profile.Profile{
		{ID: "a", Attrs: profile.Attrs{"email": "a@example.com", "orders": int64(3)}},
		{ID: "b", Attrs: profile.Attrs{"email": "b@example.com"}},
	}, time.Now())
	require.NoError(t, err)
	require.NoError(t, st.Close())

	// The database as it was before migration 0013.
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	_, err = conn.Exec(ctx, `DROP TABLE profile_attributes, profile_attribute_pins, profile_schema_state;
		DELETE FROM schema_migrations WHERE version = 13`)
	require.NoError(t, err)
	require.NoError(t, conn.Close(ctx))

	st, err = postgres.Open(ctx, url)
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
}
