package service_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"segbridge/internal/profile"
	"segbridge/internal/service"
)

var csvOpts = profile.ImportOptions{Read: profile.ReadOptions{Format: profile.FormatCSV, IDColumn: "id"}}

// TestImportRoles: admins and contributors import, a viewer may not
// (nothing is read or written); each import is one audit entry by its
// actor.
func TestImportRoles(t *testing.T) { miscOnEachEngine(t, testImportRoles) }

func testImportRoles(t *testing.T, b *miscBundle) {
	in := "id,email,zip\nc1,a@example.com,01234\nc2,b@example.com,60200\n"
	_, err := b.svc.Profiles.Import(b.ctx, b.viewer, strings.NewReader(in), csvOpts, nil)
	e := requireKindOf(t, service.KindForbidden, err)
	require.Contains(t, e.Msg, "only admins and contributors may import profiles")
	require.Error(t, b.svc.Profiles.CheckImport(b.viewer))
	n, err := b.a.Store.CountProfiles(b.ctx)
	require.NoError(t, err)
	require.Zero(t, n)
	require.Empty(t, b.entries(service.ProfilesImport))

	sum, err := b.svc.Profiles.Import(b.ctx, b.contributor, strings.NewReader(in), csvOpts,
		map[string]profile.Type{"zip": profile.TypeString})
	require.NoError(t, err)
	require.Equal(t, 2, sum.Inserted)
	sum, err = b.svc.Profiles.Import(b.ctx, b.admin, strings.NewReader(in), csvOpts, nil)
	require.NoError(t, err)
	require.Equal(t, 2, sum.Unchanged)

	es := b.entries(service.ProfilesImport)
	require.Len(t, es, 2, "one entry per import")
	require.Equal(t, "contributor@example.com", es[0].Actor)
	require.Equal(t, "admin@example.com", es[1].Actor)
	require.Equal(t, "imported 2, updated 0, unchanged 0, rejected 0", es[0].Detail)
	require.Equal(t, fmt.Sprintf("%d bytes of csv", len(in)), es[0].Target)

	schema, err := b.a.Store.ProfileSchema(b.ctx)
	require.NoError(t, err)
	require.Equal(t, map[string]profile.Type{"zip": profile.TypeString}, schema.Pins(), "the pin is kept")
}

// TestImportErrors: the import's failures are typed and in plain words,
// the domain's errors still found by errors.As and errors.Is, and a
// failed import records nothing.
func TestImportErrors(t *testing.T) { miscOnEachEngine(t, testImportErrors) }

func testImportErrors(t *testing.T, b *miscBundle) {
	_, err := b.svc.Profiles.Import(b.ctx, b.admin, strings.NewReader("id,email\n,a@example.com\n"), csvOpts, nil)
	e := requireKindOf(t, service.KindInvalid, err)
	var ae *profile.AllRejectedError
	require.ErrorAs(t, err, &ae)
	require.Equal(t, "every row was rejected (1 of 1): nothing was imported", e.Msg)

	strict := csvOpts
	strict.Strict = true
	sum, err := b.svc.Profiles.Import(b.ctx, b.admin, strings.NewReader("id,email\nc1,a@example.com\nc1,b@example.com\n"), strict, nil)
	requireKindOf(t, service.KindInvalid, err)
	require.ErrorIs(t, err, profile.ErrStrictRejected)
	require.Zero(t, sum.Committed())

	_, err = b.svc.Profiles.Import(b.ctx, b.admin, strings.NewReader("customer,email\nc1,a@example.com\n"), csvOpts, nil)
	e = requireKindOf(t, service.KindInvalid, err)
	require.Contains(t, e.Msg, `the file cannot be read: id column "id" not found in header`)

	noID := csvOpts
	noID.Read.IDColumn = ""
	_, err = b.svc.Profiles.Import(b.ctx, b.admin, strings.NewReader("id\nc1\n"), noID, nil)
	require.Equal(t, "id", requireKindOf(t, service.KindInvalid, err).Field())

	boom := errors.New("disk on fire")
	_, err = b.svc.Profiles.Import(b.ctx, b.admin, &failingReader{data: "id,email\n", err: boom}, csvOpts, nil)
	require.ErrorIs(t, err, boom, "the reader's own error comes back as it is")
	_, ok := service.AsError(err)
	require.False(t, ok)

	require.Empty(t, b.entries(service.ProfilesImport))
}

// failingReader returns data, then err.
type failingReader struct {
	data string
	err  error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if r.data == "" {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}
