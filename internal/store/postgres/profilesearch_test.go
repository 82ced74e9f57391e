package postgres

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"segbridge/internal/store"
	"segbridge/internal/store/storetest"
)

// TestSearchUsesIndexes: id and e-mail searches and their pages both ways
// can read index ranges in the index's order, with no sort (the other
// plans are priced out: on an empty table the planner would take them).
func TestSearchUsesIndexes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := openMigrated(t)
	conn, err := st.pool.Acquire(ctx)
	require.NoError(t, err)
	defer conn.Release()
	for _, off := range []string{"enable_seqscan", "enable_bitmapscan", "enable_sort"} {
		_, err = conn.Exec(ctx, `SET `+off+` = off`)
		require.NoError(t, err)
	}
	key := &store.ProfileKey{Email: "a@x", ID: "c1"}
	for _, q := range []store.ProfileQuery{
		{By: store.SearchID, Q: "c1"}, {By: store.SearchID, Q: "c1", After: key}, {By: store.SearchID, Q: "c1", Before: key},
		{By: store.SearchEmail, Q: "jane"}, {By: store.SearchEmail, Q: "jane", After: key}, {By: store.SearchEmail, Q: "jane", Before: key},
		{By: store.SearchEmail}, {By: store.SearchID},
	} {
		query, args, _ := searchSQL(q)
		rs, err := conn.Query(ctx, `EXPLAIN `+query, args...)
		require.NoError(t, err)
		var lines []string
		for rs.Next() {
			var l string
			require.NoError(t, rs.Scan(&l))
			lines = append(lines, l)
		}
		require.NoError(t, rs.Err())
		plan := strings.Join(lines, "\n")
		require.NotContains(t, plan, "Sort", "%+v sorts:\n%s", q, plan)
		want := "profiles_pkey"
		if q.By == store.SearchEmail {
			want = "profiles_email"
		}
		require.Contains(t, plan, want, "%+v:\n%s", q, plan)
		if q.Q != "" {
			require.Contains(t, plan, "Index Cond", "%+v:\n%s", q, plan)
		}
		t.Logf("%+v:\n%s", q, plan)
	}
}

// TestSearchMillion measures the searches on 1,000,000 profiles (set
// SEGBRIDGE_SEARCH_MILLION=1; it takes minutes to fill the store).
func TestSearchMillion(t *testing.T) {
	if os.Getenv("SEGBRIDGE_SEARCH_MILLION") == "" {
		t.Skip("set SEGBRIDGE_SEARCH_MILLION=1 to measure the searches on 1,000,000 profiles")
	}
	storetest.MeasureSearch(t, openMigrated(t), 1_000_000)
}
