package sqlite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/profile"
	"segbridge/internal/store"
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
	ctx := context.Background()
	st := openTemp(t)
	const n = 1_000_000
	cities := []string{"Vilnius", "Kaunas", "Riga", "Tallinn", "Warsaw", "Berlin", "Prague"}
	start := time.Now()
	batch := make([]profile.Profile, 0, 1000)
	for i := range n {
		attrs := profile.Attrs{"email": fmt.Sprintf("user%07d@example%d.com", (i*7919)%n, i%50), "first_name": "Name" + strconv.Itoa(i%997),
			"city": cities[i%len(cities)], "orders": int64(i % 13)}
		if i%100_000 == 5 {
			attrs["code"] = "RARE-VALUE"
		}
		batch = append(batch, profile.Profile{ID: fmt.Sprintf("C%07d", i), Attrs: attrs})
		if len(batch) == cap(batch) {
			_, err := st.UpsertProfiles(ctx, batch, time.Now())
			require.NoError(t, err)
			batch = batch[:0]
		}
	}
	t.Logf("filled %d profiles in %s", n, time.Since(start).Round(time.Second))
	timed := func(what string, fn func() (int, bool)) {
		start := time.Now()
		got, more := fn()
		t.Logf("%-45s %8s  (%d rows, more %v)", what, time.Since(start).Round(100*time.Microsecond), got, more)
	}
	search := func(q store.ProfileQuery) func() (int, bool) {
		return func() (int, bool) {
			ps, more, err := st.SearchProfiles(ctx, q)
			require.NoError(t, err)
			return len(ps), more
		}
	}
	count := func(by store.SearchBy, q string, max int) func() (int, bool) {
		return func() (int, bool) {
			c, err := st.CountProfileMatches(ctx, by, q, max)
			require.NoError(t, err)
			return c, c > max
		}
	}
	timed("first page, no search (25)", search(store.ProfileQuery{By: store.SearchID, Limit: 25}))
	timed("count every profile", func() (int, bool) { c, err := st.CountProfiles(ctx); require.NoError(t, err); return c, false })
	timed("page after C0500000", search(store.ProfileQuery{By: store.SearchID, Limit: 25, After: &store.ProfileKey{ID: "C0500000"}}))
	timed("page before C0500000", search(store.ProfileQuery{By: store.SearchID, Limit: 25, Before: &store.ProfileKey{ID: "C0500000"}}))
	timed("id prefix C05 (25)", search(store.ProfileQuery{By: store.SearchID, Q: "C05", Limit: 25}))
	timed("count id prefix C05 (cap 100,000)", count(store.SearchID, "C05", 100_000))
	timed("count id prefix C (cap 100,000)", count(store.SearchID, "C", 100_000))
	timed("e-mail prefix user00012 (25)", search(store.ProfileQuery{By: store.SearchEmail, Q: "user00012", Limit: 25}))
	timed("count e-mail prefix user00012", count(store.SearchEmail, "user00012", 100_000))
	timed("e-mail, page after user0500000", search(store.ProfileQuery{By: store.SearchEmail, Limit: 25, After: &store.ProfileKey{Email: "user0500000@example0.com", ID: "C0"}}))
	timed("count e-mail prefix user (cap 100,000)", count(store.SearchEmail, "user", 100_000))
	timed("value Kaunas (25)", search(store.ProfileQuery{By: store.SearchValue, Q: "kaunas", Limit: 25}))
	timed("count value Kaunas (cap 1,000)", count(store.SearchValue, "kaunas", 1000))
	timed("value RARE-VALUE (25; reads every profile)", search(store.ProfileQuery{By: store.SearchValue, Q: "rare-value", Limit: 25}))
	timed("count value RARE-VALUE (cap 1,000)", count(store.SearchValue, "rare-value", 1000))
	timed("value nothing-matches (reads every profile)", search(store.ProfileQuery{By: store.SearchValue, Q: "nothing-matches", Limit: 25}))
}
