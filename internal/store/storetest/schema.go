package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"segbridge/internal/profile"
)

func runProfileSchema(t *testing.T, newStore NewStore) {
	t.Run("CountsFollowUpserts", func(t *testing.T) { testSchemaCounts(t, newStore) })
	t.Run("AtomicallyRollsBack", func(t *testing.T) { testAtomically(t, newStore) })
	t.Run("PinnedTypes", func(t *testing.T) { testPinnedTypes(t, newStore) })
}

// attrTypes is a schema as attribute → type → profiles.
func attrTypes(s profile.Schema) map[string]map[profile.Type]int {
	out := map[string]map[profile.Type]int{}
	for _, a := range s.Attributes {
		if a.Profiles > 0 {
			out[a.Name] = a.Values
		}
	}
	return out
}

// testSchemaCounts: inserts, changes (an attribute dropped, a type
// changed), unchanged rows and repeats within a batch keep the counts
// equal to a recount from the stored profiles.
func testSchemaCounts(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	s, err := b.st.ProfileSchema(b.ctx)
	require.NoError(t, err)
	require.Equal(t, 0, s.Profiles)
	require.Empty(t, s.Attributes)

	_, err = b.st.UpsertProfiles(b.ctx, []profile.Profile{
		prof("a", "email", "a@example.com", "orders", int64(1), "ltv", 2.5, "zip", "01234"),
		prof("b", "email", "b@example.com", "orders", int64(2), "since", "2024-01-02"),
		prof("c", "email", "c@example.com", "vip", true),
	}, b.now)
	require.NoError(t, err)
	_, err = b.st.UpsertProfiles(b.ctx, []profile.Profile{
		prof("a", "email", "a@example.com", "orders", "many"),                          // ltv and zip gone, orders now text
		prof("b", "email", "b@example.com", "orders", int64(2), "since", "2024-01-02"), // unchanged
		prof("d", "email", "d@example.com", "ltv", 1.0),
		prof("d", "email", "d@example.com", "ltv", 7.5), // the last one wins
	}, b.now)
	require.NoError(t, err)

	s, err = b.st.ProfileSchema(b.ctx)
	require.NoError(t, err)
	require.Equal(t, 4, s.Profiles)
	want := map[string]map[profile.Type]int{
		"email":  {profile.TypeString: 4},
		"orders": {profile.TypeString: 1, profile.TypeInteger: 1},
		"ltv":    {profile.TypeDecimal: 1},
		"since":  {profile.TypeDate: 1},
		"vip":    {profile.TypeBoolean: 1},
	}
	require.Equal(t, want, attrTypes(s))
	orders, ok := s.Attribute("orders")
	require.True(t, ok)
	require.Equal(t, profile.TypeMixed, orders.Type)
	_, ok = s.Attribute("zip")
	require.False(t, ok, "no profile carries zip any more")

	require.NoError(t, b.st.RecountProfileSchema(b.ctx))
	s, err = b.st.ProfileSchema(b.ctx)
	require.NoError(t, err)
	require.Equal(t, want, attrTypes(s), "a recount agrees with the counts kept")
}

// testAtomically: the batches of a failed Atomically are not visible,
// nor are their schema counts; a successful one's are.
func testAtomically(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	boom := errors.New("boom")
	err := b.st.Atomically(b.ctx, func(tx profile.Sink) error {
		for _, id := range []string{"a", "b"} {
			if _, err := tx.UpsertEncoded(b.ctx, encode(t, prof(id, "email", id+"@example.com")), b.now); err != nil {
				return err
			}
		}
		return boom
	})
	require.ErrorIs(t, err, boom)
	n, err := b.st.CountProfiles(b.ctx)
	require.NoError(t, err)
	require.Equal(t, 0, n)
	s, err := b.st.ProfileSchema(b.ctx)
	require.NoError(t, err)
	require.Empty(t, attrTypes(s))

	err = b.st.Atomically(context.WithoutCancel(b.ctx), func(tx profile.Sink) error {
		for _, id := range []string{"a", "b"} {
			if _, err := tx.UpsertEncoded(b.ctx, encode(t, prof(id, "email", id+"@example.com")), b.now); err != nil {
				return err
			}
		}
		return nil
	})
	require.NoError(t, err)
	s, err = b.st.ProfileSchema(b.ctx)
	require.NoError(t, err)
	require.Equal(t, 2, s.Profiles)
	require.Equal(t, map[string]map[profile.Type]int{"email": {profile.TypeString: 2}}, attrTypes(s))
}

func testPinnedTypes(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	require.NoError(t, b.st.PinAttributeTypes(b.ctx, map[string]profile.Type{"zip": profile.TypeInteger, "phone": profile.TypeString}, b.now))
	require.NoError(t, b.st.PinAttributeTypes(b.ctx, map[string]profile.Type{"zip": profile.TypeString}, b.now))
	_, err := b.st.UpsertProfiles(b.ctx, []profile.Profile{prof("a", "zip", "01234")}, b.now)
	require.NoError(t, err)
	s, err := b.st.ProfileSchema(b.ctx)
	require.NoError(t, err)
	require.Equal(t, map[string]profile.Type{"zip": profile.TypeString, "phone": profile.TypeString}, s.Pins())
	zip, ok := s.Attribute("zip")
	require.True(t, ok)
	require.Equal(t, profile.Attribute{Name: "zip", Type: profile.TypeString, Profiles: 1,
		Values: map[profile.Type]int{profile.TypeString: 1}, Pinned: true}, zip)
}

// encode is profile.EncodeBatch of ps, which must not fail.
func encode(t *testing.T, ps ...profile.Profile) []profile.Encoded {
	t.Helper()
	rows, err := profile.EncodeBatch(ps)
	require.NoError(t, err)
	return rows
}
