package omnisend

import (
	"time"

	"context"
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

func bothDialects(t *testing.T, f func(t *testing.T, d Dialect)) {
	t.Helper()
	for _, d := range []Dialect{Dialect20260315, DialectV3} {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			f(t, d)
		})
	}
}

func TestCheckKey(t *testing.T) {
	t.Parallel()
	bothDialects(t, func(t *testing.T, d Dialect) {
		b := setup(t)
		info, err := b.clients[d].CheckKey(t.Context())
		require.NoError(t, err)
		want := KeyInfo{BrandID: sbBrand, BrandName: sbBrandNam, CanReadContacts: true}
		if d == DialectV3 {
			want.BrandName = "" // GET /v3/accounts has no name
		}
		require.Equal(t, want, info)

		ro := b.newClient(t, d, sbKeyRO, nil, 9)
		info, err = ro.CheckKey(t.Context())
		require.NoError(t, err)
		require.True(t, info.CanReadContacts, "a read-only key may read contacts")

		bad := b.newClient(t, d, "not-a-key", nil, 9)
		_, err = bad.CheckKey(t.Context())
		var apiErr *APIError
		require.ErrorAs(t, err, &apiErr)
		require.Equal(t, http.StatusUnauthorized, apiErr.Status)
		require.False(t, IsRetryable(err))
	})
}

func TestUpsertContact(t *testing.T) {
	t.Parallel()
	bothDialects(t, func(t *testing.T, d Dialect) {
		b := setup(t)
		c := b.clients[d]
		ct := Contact{Email: " Jane@Example.com", FirstName: "Jane", CountryCode: "GB",
			Tags: []string{"source: segbridge"}, CustomProperties: map[string]any{"ltv": 512.5}}
		first, err := c.UpsertContact(t.Context(), ct)
		require.NoError(t, err)
		require.NotEmpty(t, first.ID)
		require.Equal(t, d == Dialect20260315, first.Created, "only 2026-03-15 says 201 on create")

		ct.LastName = "Doe"
		second, err := c.UpsertContact(t.Context(), ct)
		require.NoError(t, err)
		require.Equal(t, first.ID, second.ID, "upsert by e-mail")
		require.False(t, second.Created)

		got := b.sandboxContacts()["jane@example.com"]
		require.NotNil(t, got)
		require.Equal(t, "Doe", got["lastName"])
		require.Equal(t, "nonSubscribed", got["status"])
		require.Zero(t, b.srv.Stats().Brands[sbBrand].WelcomeMessages, "never a welcome message")

		ro := b.newClient(t, d, sbKeyRO, nil, 9)
		_, err = ro.UpsertContact(t.Context(), ct)
		require.ErrorContains(t, err, "HTTP 403")
		require.False(t, IsRetryable(err))
	})
}

func TestListContacts(t *testing.T) {
	t.Parallel()
	bothDialects(t, func(t *testing.T, d Dialect) {
		b := setup(t)
		c := b.clients[d]
		ctx := t.Context()
		for i := range 5 {
			tags := []string{"source: segbridge"}
			if i%2 == 0 {
				tags = append(tags, "segbridge: even")
			}
			_, err := c.UpsertContact(ctx, Contact{Email: fmt.Sprintf("p%d@example.com", i), Tags: tags})
			require.NoError(t, err)
		}
		page, err := c.ListContacts(ctx, ListContactsOptions{Email: "P3@example.com"})
		require.NoError(t, err)
		require.Len(t, page.Contacts, 1)
		require.Equal(t, "p3@example.com", page.Contacts[0].Email)
		require.Equal(t, StatusNonSubscribed, page.Contacts[0].Status)
		_, err = time.Parse(time.RFC3339, page.Contacts[0].StatusDate)
		require.NoError(t, err, "no status sent: Omnisend dates the new channel itself")
		require.NotEqual(t, "2000-01-01T00:00:00Z", page.Contacts[0].StatusDate)
		require.Empty(t, page.Next)

		byTag, err := collectEmails(ctx, c, ListContactsOptions{Tag: "segbridge: even", Limit: 1})
		require.NoError(t, err)
		require.ElementsMatch(t, []string{"p0@example.com", "p2@example.com", "p4@example.com"}, byTag)

		all, err := collectEmails(ctx, c, ListContactsOptions{Limit: 2})
		require.NoError(t, err)
		require.Len(t, all, 5, "paging visits every contact once")
	})
}

func collectEmails(ctx context.Context, c *Client, opt ListContactsOptions) ([]string, error) {
	var out []string
	for range 100 {
		page, err := c.ListContacts(ctx, opt)
		if err != nil {
			return nil, err
		}
		for _, r := range page.Contacts {
			out = append(out, r.Email)
		}
		if page.Next == "" {
			return out, nil
		}
		opt.After = page.Next
	}
	return nil, fmt.Errorf("more than 100 pages")
}

func TestBatches(t *testing.T) {
	t.Parallel()
	bothDialects(t, func(t *testing.T, d Dialect) {
		b := setup(t)
		c := b.clients[d]
		ctx := t.Context()
		contacts := []Contact{
			{Email: "ok1@example.com", FirstName: "One"},
			{Email: "ok2@example.com", Gender: "x"}, // invalid gender: the item fails
		}
		ref, err := c.SubmitBatch(ctx, contacts)
		require.NoError(t, err)
		require.Equal(t, 2, ref.TotalCount)

		batch := waitBatch(t, c, ref.ID)
		require.Equal(t, BatchFinished, batch.Status)
		require.Equal(t, 2, batch.FinishedCount)
		require.Equal(t, 1, batch.ErrorsCount)
		require.Equal(t, "contacts", batch.Endpoint)

		items, err := c.BatchItems(ctx, ref.ID)
		require.NoError(t, err)
		require.Equal(t, ref.ID, items.ID)
		require.Len(t, items.Responses, 1)
		require.Equal(t, "ok1@example.com", items.Responses[0].Email)
		require.Len(t, items.Errors, 1)
		bad := items.Errors[0]
		require.Equal(t, "ok2@example.com", bad.Email)
		require.GreaterOrEqual(t, bad.ResponseCode, 400)
		require.NotNil(t, bad.Err)
		require.NotEmpty(t, bad.Err.Fields, "Omnisend's field errors parsed: %v", bad.Err)

		page, err := c.ListBatches(ctx, ListBatchesOptions{Status: BatchFinished, Limit: 10})
		require.NoError(t, err)
		require.True(t, slices.ContainsFunc(page.Batches, func(x Batch) bool { return x.ID == ref.ID }))
		page, err = c.ListBatches(ctx, ListBatchesOptions{Status: BatchPending})
		require.NoError(t, err)
		require.Empty(t, page.Batches)

		_, err = c.Batch(ctx, "000000000000000000000000")
		require.ErrorContains(t, err, "HTTP 404")
		require.False(t, IsRetryable(err))
	})
}

func waitBatch(t *testing.T, c *Client, id string) Batch {
	t.Helper()
	var got Batch
	eventually(t, func() bool {
		var err error
		got, err = c.Batch(t.Context(), id)
		require.NoError(t, err)
		return got.Done()
	}, "batch "+id+" finishes")
	return got
}

func TestSubmitContactsChunksPerDialect(t *testing.T) {
	t.Parallel()
	bothDialects(t, func(t *testing.T, d Dialect) {
		b := setup(t)
		contacts := make([]Contact, 1500)
		for i := range contacts {
			contacts[i] = Contact{Email: fmt.Sprintf("chunk%04d@example.com", i)}
		}
		res, err := b.clients[d].SubmitContacts(t.Context(), contacts)
		require.NoError(t, err)
		require.Empty(t, res.Rejected)
		require.Len(t, res.Batches, map[Dialect]int{Dialect20260315: 15, DialectV3: 2}[d])
		for _, sb := range res.Batches {
			require.Len(t, sb.Emails, sb.TotalCount)
		}
	})
}

func TestTags(t *testing.T) {
	t.Parallel()
	bothDialects(t, func(t *testing.T, d Dialect) {
		b := setup(t)
		c := b.clients[d]
		ctx := t.Context()
		emails := make([]string, MaxTagEmails)
		for i := range emails {
			emails[i] = fmt.Sprintf("t%03d@example.com", i)
		}
		_, err := c.UpsertContact(ctx, Contact{Email: emails[0]})
		require.NoError(t, err)
		_, err = c.UpsertContact(ctx, Contact{Email: emails[249]})
		require.NoError(t, err)

		require.NoError(t, c.AddTags(ctx, emails, []string{"segbridge: vip", "segbridge: new"}))
		eventually(t, func() bool { return hasTags(b, emails[249], "segbridge: vip", "segbridge: new") }, "tags added")

		require.NoError(t, c.RemoveTags(ctx, emails[200:], []string{"segbridge: new"}))
		eventually(t, func() bool { return !hasTags(b, emails[249], "segbridge: new") }, "tag removed")
		require.True(t, hasTags(b, emails[0], "segbridge: new"), "others keep it")

		got, err := collectEmails(ctx, c, ListContactsOptions{Tag: "segbridge: vip"})
		require.NoError(t, err)
		require.ElementsMatch(t, []string{emails[0], emails[249]}, got)
	})
}

func hasTags(b *testBundle, email string, tags ...string) bool {
	c := b.sandboxContacts()[email]
	if c == nil {
		return false
	}
	have := stringsIn(c["tags"])
	for _, t := range tags {
		if !slices.Contains(have, t) {
			return false
		}
	}
	return true
}

// stringsIn reads a []string or []any of strings from a sandbox map.
func stringsIn(v any) []string {
	switch v := v.(type) {
	case []string:
		return v
	case []any:
		out := make([]string, 0, len(v))
		for _, x := range v {
			s, _ := x.(string)
			out = append(out, s)
		}
		return out
	}
	return nil
}
