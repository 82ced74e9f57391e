package service_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"segbridge/internal/profile"
	"segbridge/internal/service"
	"segbridge/internal/store"
)

// TestImportHistory: every import that ran is in the history with who,
// the file, the counts and how it ended; a refused one is not.
func TestImportHistory(t *testing.T) { miscOnEachEngine(t, testImportHistory) }

func testImportHistory(t *testing.T, b *miscBundle) {
	opts := csvOpts
	opts.Source = "customers.csv"
	_, err := b.svc.Profiles.Import(b.ctx, b.viewer, strings.NewReader("id\nx\n"), opts, nil)
	require.Error(t, err)
	in := "id,email\nc1,a@example.com\nc2\n"
	_, err = b.svc.Profiles.Import(b.ctx, b.contributor, strings.NewReader(in), opts, nil)
	require.NoError(t, err)
	_, err = b.svc.Profiles.Import(b.ctx, b.admin, strings.NewReader("id,email\n,a@example.com\n"), csvOpts, nil)
	require.Error(t, err)

	got, err := b.svc.Profiles.Imports(b.ctx, b.viewer, 0, 10)
	require.NoError(t, err)
	require.Len(t, got, 2, "the refused import is not in the history")
	require.Equal(t, store.ImportFailed, got[0].Status)
	require.Equal(t, "an upload", got[0].Source)
	require.Equal(t, "every row was rejected (1 of 1): nothing was imported", got[0].Message)
	require.Equal(t, "admin@example.com", got[0].Actor)
	im := got[1]
	require.Equal(t, "contributor@example.com", im.Actor)
	require.Equal(t, "customers.csv", im.Source)
	require.Equal(t, store.ImportDone, im.Status)
	require.Equal(t, [5]int{2, 1, 0, 0, 1}, [5]int{im.Rows, im.Inserted, im.Updated, im.Unchanged, im.Rejected})
	require.Equal(t, int64(len(in)), im.Bytes)
	require.Equal(t, "csv", im.Format)
	require.Len(t, b.entries(service.ProfilesImport), 1, "one audit entry for the import that wrote")
}

// TestProfileSearch: searches by id, e-mail and value page both ways
// with totals; bad input names its fields.
func TestProfileSearch(t *testing.T) { miscOnEachEngine(t, testProfileSearch) }

func testProfileSearch(t *testing.T, b *miscBundle) {
	var csv strings.Builder
	csv.WriteString("id,email,city\n")
	for i := range 7 {
		fmt.Fprintf(&csv, "p%d,user%d@example.com,%s\n", i, 6-i, map[bool]string{true: "Kaunas", false: "Vilnius"}[i%2 == 0])
	}
	_, err := b.svc.Profiles.Import(b.ctx, b.admin, strings.NewReader(csv.String()), csvOpts, nil)
	require.NoError(t, err)

	page, err := b.svc.Profiles.Search(b.ctx, b.viewer, service.ProfileQuery{Limit: 3})
	require.NoError(t, err)
	require.Equal(t, []string{"p0", "p1", "p2"}, pids(page.Profiles))
	require.Equal(t, "7", page.TotalText())
	require.Empty(t, page.Prev)
	page, err = b.svc.Profiles.Search(b.ctx, b.viewer, service.ProfileQuery{Limit: 3, Cursor: page.Next})
	require.NoError(t, err)
	require.Equal(t, []string{"p3", "p4", "p5"}, pids(page.Profiles))
	back, err := b.svc.Profiles.Search(b.ctx, b.viewer, service.ProfileQuery{Limit: 3, Cursor: page.Prev})
	require.NoError(t, err)
	require.Equal(t, []string{"p0", "p1", "p2"}, pids(back.Profiles))
	require.Empty(t, back.Prev, "the first page has none before it")
	require.NotEmpty(t, back.Next)

	page, err = b.svc.Profiles.Search(b.ctx, b.viewer, service.ProfileQuery{Q: "USER1@", Limit: 3})
	require.NoError(t, err)
	require.Equal(t, "email", page.By)
	require.Equal(t, []string{"p5"}, pids(page.Profiles))
	page, err = b.svc.Profiles.Search(b.ctx, b.viewer, service.ProfileQuery{Q: "user", Limit: 2})
	require.NoError(t, err)
	require.Equal(t, "email", page.By, "no id starts with it: e-mails")
	require.Equal(t, []string{"p6", "p5"}, pids(page.Profiles))
	require.Equal(t, 7, page.Total)

	page, err = b.svc.Profiles.Search(b.ctx, b.viewer, service.ProfileQuery{By: "value", Q: "kaunas", Limit: 2})
	require.NoError(t, err)
	require.Equal(t, []string{"p0", "p2"}, pids(page.Profiles))
	require.Equal(t, 4, page.Total)

	_, err = b.svc.Profiles.Search(b.ctx, b.viewer, service.ProfileQuery{By: "name", Q: strings.Repeat("x", 300), Limit: 500, Cursor: "zz"})
	e := requireKindOf(t, service.KindInvalid, err)
	require.Len(t, e.Fields, 4, e.Msg)
}

func pids(ps []profile.Profile) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.ID
	}
	return out
}
