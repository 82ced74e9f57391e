package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"segbridge/internal/store"
	"segbridge/internal/store/storetest"
)

func openTemp(t *testing.T) *Store {
	t.Helper()
	st, err := Open(context.Background(), filepath.Join(t.TempDir(), "test.db"))
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	require.NoError(t, st.Migrate(context.Background()))
	return st
}

// plan is SQLite's query plan of query, one line per step.
func plan(t *testing.T, st *Store, query string, args []any) string {
	t.Helper()
	rs, err := st.db.Query(`EXPLAIN QUERY PLAN `+query, args...)
	require.NoError(t, err)
	var lines []string
	require.NoError(t, eachRow(rs, func() error {
		var id, parent, notused int
		var detail string
		err := rs.Scan(&id, &parent, &notused, &detail)
		lines = append(lines, detail)
		return err
	}))
	return strings.Join(lines, "\n")
}

// TestSearchUsesIndexes: id and e-mail searches, their pages both ways
// and their counts read index ranges, never the whole table.
func TestSearchUsesIndexes(t *testing.T) {
	t.Parallel()
	st := openTemp(t)
	after := &store.ProfileKey{Email: "a@x", ID: "c1"}
	for _, q := range []store.ProfileQuery{
		{By: store.SearchID, Q: "c1"}, {By: store.SearchID, Q: "c1", After: after}, {By: store.SearchID, Q: "c1", Before: after},
		{By: store.SearchEmail, Q: "jane"}, {By: store.SearchEmail, Q: "jane", After: after}, {By: store.SearchEmail, Q: "jane", Before: after},
		{By: store.SearchEmail}, {By: store.SearchID},
	} {
		query, args, _ := searchSQL(q)
		p := plan(t, st, query, args)
		require.NotContains(t, p, "TEMP B-TREE", "%+v sorts: %s", q, p)
		if q.By == store.SearchEmail {
			require.Contains(t, p, "INDEX profiles_email", "%+v: %s", q, p)
		} else if q.Q != "" || q.After != nil || q.Before != nil {
			require.Regexp(t, `INDEX sqlite_autoindex_profiles_1|PRIMARY KEY`, p, "%+v: the id's index", q)
		}
		if q.Q != "" {
			require.Regexp(t, `SEARCH profiles USING`, p, "%+v: %s", q, p)
		}
	}
	for _, by := range []store.SearchBy{store.SearchID, store.SearchEmail} {
		query, args := countSQL(by, "ja", 100)
		require.Regexp(t, `SEARCH profiles USING`, plan(t, st, query, args), by)
	}
}

// TestSearchMillion measures the searches on 1,000,000 profiles (set
// SEGBRIDGE_SEARCH_MILLION=1; it takes minutes to fill the store).
func TestSearchMillion(t *testing.T) {
	if os.Getenv("SEGBRIDGE_SEARCH_MILLION") == "" {
		t.Skip("set SEGBRIDGE_SEARCH_MILLION=1 to measure the searches on 1,000,000 profiles")
	}
	storetest.MeasureSearch(t, openTemp(t), 1_000_000)
}
