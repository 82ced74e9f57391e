package storetest

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/profile"
	"segbridge/internal/store"
)

// MeasureSearch fills st with n profiles and logs how long the searches
// take (the engines' TestSearchMillion call it with 1,000,000).
func MeasureSearch(t *testing.T, st store.Store, n int) {
	ctx := context.Background()
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
