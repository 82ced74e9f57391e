package sqlite

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/profile"
	"segbridge/internal/store"
)

// hasEmailIndex says whether index profiles_email exists.
func hasEmailIndex(t *testing.T, st *Store) bool {
	t.Helper()
	var n int
	require.NoError(t, st.db.QueryRow(`SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name = 'profiles_email'`).Scan(&n))
	return n == 1
}

func emailSearch(t *testing.T, st *Store, q string) []string {
	t.Helper()
	query, args, _ := searchSQL(store.ProfileQuery{By: store.SearchEmail, Q: q})
	rs, err := st.db.Query(query, append(args, 100)...)
	require.NoError(t, err)
	var ids []string
	require.NoError(t, eachRow(rs, func() error {
		var id, attrs string
		var created, updated int64
		err := rs.Scan(&id, &attrs, &created, &updated)
		ids = append(ids, id)
		return err
	}))
	return ids
}

func bulkBatch(from, n int) []profile.Profile {
	batch := make([]profile.Profile, n)
	for i := range batch {
		id := fmt.Sprintf("p%05d", from+i)
		batch[i] = profile.Profile{ID: id, Attrs: map[string]any{"email": "Jane." + id + "@Example.com"}}
	}
	return batch
}

// TestBulkRebuildsEmailIndex: a bulk load into a small table drops the
// e-mail index while it writes and builds it again afterwards, whether
// the load succeeded or failed, in a transaction or not; a store whose
// index went missing (a process that died mid-import) gets it back at
// Migrate.
func TestBulkRebuildsEmailIndex(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Unix(1_700_000_000, 0)
	st := openTemp(t)
	boom := errors.New("boom")

	err := st.Bulk(ctx, func() error {
		require.False(t, hasEmailIndex(t, st), "set aside during the load")
		_, err := st.UpsertProfiles(ctx, bulkBatch(0, 10), now)
		return err
	})
	require.NoError(t, err)
	require.True(t, hasEmailIndex(t, st))
	require.Equal(t, []string{"p00003"}, emailSearch(t, st, "jane.p00003@"))

	err = st.Bulk(ctx, func() error {
		_, err := st.UpsertProfiles(ctx, bulkBatch(10, 5), now)
		require.NoError(t, err)
		return boom
	})
	require.ErrorIs(t, err, boom)
	require.True(t, hasEmailIndex(t, st), "built again after a failed load")
	require.Equal(t, []string{"p00012"}, emailSearch(t, st, "JANE.P00012"))

	err = st.Atomically(ctx, func(tx profile.Sink) error {
		return tx.(profile.BulkSink).Bulk(ctx, func() error {
			_, err := tx.UpsertEncoded(ctx, encoded(t, bulkBatch(20, 5)), now)
			return err
		})
	})
	require.NoError(t, err)
	require.True(t, hasEmailIndex(t, st))
	require.Equal(t, []string{"p00021"}, emailSearch(t, st, "jane.p00021"))

	err = st.Atomically(ctx, func(tx profile.Sink) error {
		return tx.(profile.BulkSink).Bulk(ctx, func() error {
			_, err := tx.UpsertEncoded(ctx, encoded(t, bulkBatch(30, 5)), now)
			require.NoError(t, err)
			return boom
		})
	})
	require.ErrorIs(t, err, boom)
	require.True(t, hasEmailIndex(t, st), "a rolled-back load keeps the index")
	require.Empty(t, emailSearch(t, st, "jane.p00031"))

	_, err = st.db.Exec(`DROP INDEX profiles_email`)
	require.NoError(t, err)
	require.NoError(t, st.Migrate(ctx))
	require.True(t, hasEmailIndex(t, st), "Migrate builds a missing index")
}

// TestBulkKeepsIndexOfLargeTable: above bulkTableMax profiles the index
// is updated row by row as usual.
func TestBulkKeepsIndexOfLargeTable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := openTemp(t)
	_, err := st.db.Exec(`INSERT INTO profiles (rowid, id, attrs, hash, created_at, updated_at) VALUES (?, 'big', '{}', 'h', 0, 0)`, bulkTableMax+1)
	require.NoError(t, err)
	err = st.Bulk(ctx, func() error {
		require.True(t, hasEmailIndex(t, st))
		return nil
	})
	require.NoError(t, err)
}

// encoded is profile.EncodeBatch of batch, which must not fail.
func encoded(t *testing.T, batch []profile.Profile) []profile.Encoded {
	t.Helper()
	rows, err := profile.EncodeBatch(batch)
	require.NoError(t, err)
	return rows
}
