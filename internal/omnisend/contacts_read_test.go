package omnisend

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestGetAndEachContact(t *testing.T) {
	t.Parallel()
	bothDialects(t, func(t *testing.T, d Dialect) {
		b := setup(t)
		c := b.clients[d]
		ctx := t.Context()
		for i := range 5 {
			ct := Contact{Email: fmt.Sprintf("p%d@example.com", i), FirstName: fmt.Sprint("P", i)}
			if i < 2 {
				ct.Status, ct.StatusDate = StatusUnsubscribed, time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
			}
			_, err := c.UpsertContact(ctx, ct)
			require.NoError(t, err)
		}
		rec, found, err := c.GetContact(ctx, " P3@Example.com")
		require.NoError(t, err)
		require.True(t, found)
		require.Equal(t, "P3", rec.FirstName)
		_, found, err = c.GetContact(ctx, "nobody@example.com")
		require.NoError(t, err)
		require.False(t, found)

		var unsub []string
		err = c.EachContact(ctx, ListContactsOptions{Status: StatusUnsubscribed, Limit: 1}, func(page []ContactRecord) error {
			for _, r := range page {
				unsub = append(unsub, r.Email)
				require.Equal(t, "2026-05-01T00:00:00Z", r.StatusDate)
			}
			return nil
		})
		require.NoError(t, err)
		require.ElementsMatch(t, []string{"p0@example.com", "p1@example.com"}, unsub)

		count := 0
		err = c.EachContact(ctx, ListContactsOptions{UpdatedAtFrom: time.Now().Add(-time.Hour)}, func(page []ContactRecord) error {
			count += len(page)
			return nil
		})
		if d == DialectV3 {
			require.ErrorContains(t, err, "updatedAtFrom is 2026-03-15 only")
			return
		}
		require.NoError(t, err)
		require.Equal(t, 5, count)
	})
}
