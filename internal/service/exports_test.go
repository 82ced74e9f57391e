package service_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"segbridge/internal/export"
	"segbridge/internal/run"
	"segbridge/internal/service"
)

// TestContributorExports: a contributor may build exports on a connection
// that allows contributors and nowhere else; an export on an admin-only
// connection does not exist for them; a viewer may change nothing.
func TestContributorExports(t *testing.T) { onEachEngine(t, testContributorExports) }

func testContributorExports(t *testing.T, b *bundle) {
	mine := b.create(contributor, "Mine", "Shared")
	require.Equal(t, "Shared", mine.ConnectionName)
	private := b.create(admin, "Private", "Admins Only")

	// Not on an admin-only connection: it reads as unknown.
	_, err := b.svc.Exports.Create(b.ctx, contributor, input("Theirs", "Admins Only", nil))
	e := requireServiceKind(t, err, service.KindInvalid)
	require.Equal(t, "connection", e.Field())
	_, err = b.svc.Exports.Create(b.ctx, contributor, input("Theirs", "Nowhere", nil))
	require.Equal(t, strings.ReplaceAll(e.Msg, "Admins Only", "Nowhere"), requireServiceKind(t, err, service.KindInvalid).Msg,
		"an admin-only connection reads as an unknown one")
	// Nor move an export there.
	_, err = b.svc.Exports.Update(b.ctx, contributor, "Mine", service.ExportInput{Connection: "Admins Only"})
	require.Equal(t, "connection", requireServiceKind(t, err, service.KindInvalid).Field())

	// The admin's export on the admin-only connection does not exist for
	// the contributor, whatever they try.
	_, err = b.svc.Exports.Get(b.ctx, contributor, "Private")
	requireServiceKind(t, err, service.KindNotFound)
	_, err = b.svc.Exports.Update(b.ctx, contributor, "Private", service.ExportInput{TagPrefix: "x"})
	requireServiceKind(t, err, service.KindNotFound)
	_, err = b.svc.Exports.Delete(b.ctx, contributor, strconv.FormatInt(private.ID, 10))
	requireServiceKind(t, err, service.KindNotFound)
	_, err = b.svc.Runs.Start(b.ctx, contributor, "Private", service.StartOptions{})
	requireServiceKind(t, err, service.KindNotFound)
	_, err = b.svc.Runs.Verify(b.ctx, contributor, "Private", service.VerifyOptions{})
	requireServiceKind(t, err, service.KindNotFound)
	st, err := b.svc.Runs.Start(b.ctx, admin, "Private", service.StartOptions{})
	require.NoError(t, err)
	_, err = b.svc.Runs.Cancel(b.ctx, contributor, "Private")
	requireServiceKind(t, err, service.KindNotFound)
	_, _, err = b.svc.Runs.CancelRun(b.ctx, contributor, st.Run.ID)
	requireServiceKind(t, err, service.KindNotFound)

	// The contributor's own export: every use case works.
	_, err = b.svc.Exports.Update(b.ctx, contributor, "Mine", service.ExportInput{TagPrefix: "sb", Connection: "Elsewhere"})
	require.NoError(t, err)
	mst, err := b.svc.Runs.Start(b.ctx, contributor, "Mine", service.StartOptions{})
	require.NoError(t, err)
	require.Equal(t, 1000+mst.Run.ID, mst.JobID)
	_, err = b.svc.Runs.Cancel(b.ctx, contributor, "Mine")
	require.NoError(t, err)

	// A viewer may do none of it, not even on a shared export.
	_, err = b.svc.Exports.Create(b.ctx, viewer, input("Viewed", "Shared", nil))
	requireServiceKind(t, err, service.KindForbidden)
	_, err = b.svc.Exports.Update(b.ctx, viewer, "Mine", service.ExportInput{TagPrefix: "v"})
	requireServiceKind(t, err, service.KindForbidden)
	_, err = b.svc.Exports.Delete(b.ctx, viewer, "Mine")
	requireServiceKind(t, err, service.KindForbidden)
	_, err = b.svc.Runs.Start(b.ctx, viewer, "Mine", service.StartOptions{})
	requireServiceKind(t, err, service.KindForbidden)
	_, err = b.svc.Runs.Cancel(b.ctx, viewer, "Mine")
	requireServiceKind(t, err, service.KindForbidden)
	_, _, err = b.svc.Runs.CancelRun(b.ctx, viewer, mst.Run.ID)
	requireServiceKind(t, err, service.KindForbidden)
	_, err = b.svc.Runs.Verify(b.ctx, viewer, "Mine", service.VerifyOptions{})
	requireServiceKind(t, err, service.KindForbidden)

	_, err = b.svc.Exports.Delete(b.ctx, contributor, "Mine")
	require.NoError(t, err)

	require.Equal(t, []string{
		"contributor@example.com export.create Mine",
		"admin@example.com export.create Private",
		"admin@example.com run.start Private",
		"contributor@example.com export.update Mine",
		"contributor@example.com run.start Mine",
		"contributor@example.com run.cancel Mine",
		"contributor@example.com export.delete Mine",
	}, b.audited(), "one entry per use case done, none for a refusal")
}

// TestOneAuditEntryPerUseCase: each use case records exactly one entry,
// with its actor, and only what it did.
func TestOneAuditEntryPerUseCase(t *testing.T) { onEachEngine(t, testOneAuditEntryPerUseCase) }

func testOneAuditEntryPerUseCase(t *testing.T, b *bundle) {
	cli := admin
	cli.Email, cli.Via, cli.Actor = "", "cli", "cli:ann@host"
	e := b.create(cli, "Weekly", "Shared")
	require.Equal(t, export.DefaultTagPrefix, e.TagPrefix)
	require.Equal(t, export.ScheduleRefresh, e.Schedule.Kind)
	require.Equal(t, export.DefaultProfileCap, e.ProfileCap)
	require.True(t, e.Active)
	off := false
	e, err := b.svc.Exports.Update(b.ctx, cli, "weekly", service.ExportInput{Active: &off, ProfileCap: 50})
	require.NoError(t, err)
	require.False(t, e.Active)
	require.Equal(t, 50, e.ProfileCap)
	require.Equal(t, export.DefaultTagPrefix, e.TagPrefix, "what is not set does not change")

	st, err := b.svc.Runs.Start(b.ctx, cli, "Weekly", service.StartOptions{})
	require.NoError(t, err)
	require.Contains(t, b.queued, st.Run.ID)
	again, err := b.svc.Runs.Start(b.ctx, cli, "Weekly", service.StartOptions{})
	require.True(t, errors.Is(requireServiceKind(t, err, service.KindConflict), run.ErrActiveRun))
	require.Equal(t, st.Run.ID, again.Run.ID, "the conflict names the run in progress")
	_, err = b.svc.Runs.Verify(b.ctx, cli, "Weekly", service.VerifyOptions{Repair: true})
	requireServiceKind(t, err, service.KindConflict) // not while a run is in progress
	r, err := b.svc.Runs.Cancel(b.ctx, cli, "Weekly")
	require.NoError(t, err)
	require.True(t, r.CancelRequested)
	r.Status = run.StatusCancelled
	require.NoError(t, b.st.SaveRun(b.ctx, r))
	_, err = b.svc.Runs.Cancel(b.ctx, cli, "Weekly")
	requireServiceKind(t, err, service.KindConflict)
	_, _, err = b.svc.Runs.CancelRun(b.ctx, cli, r.ID)
	requireServiceKind(t, err, service.KindConflict)
	_, err = b.svc.Runs.Start(b.ctx, cli, "Weekly", service.StartOptions{Resume: true})
	requireServiceKind(t, err, service.KindConflict) // nothing to resume

	_, err = b.svc.Runs.Verify(b.ctx, cli, "Weekly", service.VerifyOptions{EstimateOnly: true})
	require.NoError(t, err)
	res, err := b.svc.Runs.Verify(b.ctx, cli, "Weekly", service.VerifyOptions{Repair: true})
	require.NoError(t, err)
	require.Equal(t, 2, res.Repaired)
	require.Equal(t, 2, b.verified)
	_, err = b.svc.Exports.Delete(b.ctx, cli, "Weekly")
	require.NoError(t, err)
	_, err = b.svc.Exports.Get(b.ctx, cli, "Weekly")
	requireServiceKind(t, err, service.KindNotFound)

	require.Equal(t, []string{
		"cli:ann@host export.create Weekly",
		"cli:ann@host export.update Weekly",
		"cli:ann@host run.start Weekly",
		"cli:ann@host run.cancel Weekly",
		"cli:ann@host export.verify Weekly",
		"cli:ann@host export.delete Weekly",
	}, b.audited(), "an estimate is not audited")
}

// TestHiddenNameConflict: a name an export the caller may not see holds
// cannot be used, and the refusal says nothing more about it.
func TestHiddenNameConflict(t *testing.T) { onEachEngine(t, testHiddenNameConflict) }

func testHiddenNameConflict(t *testing.T, b *bundle) {
	b.create(admin, "Secret plan", "Admins Only")
	b.create(contributor, "Open", "Shared")

	_, err := b.svc.Exports.Create(b.ctx, contributor, input("secret PLAN", "Shared", nil))
	e := requireServiceKind(t, err, service.KindConflict)
	require.Contains(t, e.Msg, "cannot be used; choose another name")
	require.NotContains(t, e.Msg, "Admins Only")
	require.NotContains(t, e.Msg, "exists")
	_, err = b.svc.Exports.Update(b.ctx, contributor, "Open", service.ExportInput{Name: "Secret plan"})
	require.Equal(t, e.Msg, requireServiceKind(t, err, service.KindConflict).Msg)

	// A name the caller can see is simply taken.
	_, err = b.svc.Exports.Create(b.ctx, admin, input("secret plan", "Shared", nil))
	require.Contains(t, requireServiceKind(t, err, service.KindConflict).Msg, `an export named "Secret plan" already exists`)
	_, err = b.svc.Exports.Create(b.ctx, contributor, input("OPEN", "Shared", nil))
	require.Contains(t, requireServiceKind(t, err, service.KindConflict).Msg, `an export named "Open" already exists`)
}

// TestSameBrand: two exports to one brand may not fill a field from
// different attributes; the refusal is an invalid mapping field in plain
// words, and names the other export only to a caller who may see it.
func TestSameBrand(t *testing.T) { onEachEngine(t, testSameBrand) }

func testSameBrand(t *testing.T, b *bundle) {
	_, err := b.svc.Exports.Create(b.ctx, admin, input("Hidden", "Admins Only", &export.Mapping{Email: "email", FirstName: "given_name"}))
	require.NoError(t, err)
	clash := &export.Mapping{Email: "email", FirstName: "first_name"}

	_, err = b.svc.Exports.Create(b.ctx, contributor, input("Mine", "Shared", clash))
	e := requireServiceKind(t, err, service.KindInvalid)
	require.Equal(t, "mapping.first_name", e.Field())
	require.NotContains(t, e.Msg, "Hidden")
	require.NotContains(t, e.Msg, "given_name")

	_, err = b.svc.Exports.Create(b.ctx, admin, input("Mine", "Shared", clash))
	e = requireServiceKind(t, err, service.KindInvalid)
	require.Equal(t, "mapping.first_name", e.Field())
	require.Contains(t, e.Msg, `export "Hidden" on the same Omnisend brand`)

	// Another brand is another matter; the same source is fine.
	_, err = b.svc.Exports.Create(b.ctx, contributor, input("Elsewhere", "Elsewhere", clash))
	require.NoError(t, err)
	_, err = b.svc.Exports.Create(b.ctx, contributor, input("Same", "Shared", &export.Mapping{Email: "email", FirstName: "given_name"}))
	require.NoError(t, err)
	// Moving an export onto the brand is checked too.
	_, err = b.svc.Exports.Update(b.ctx, contributor, "Elsewhere", service.ExportInput{Connection: "Shared"})
	require.Equal(t, "mapping.first_name", requireServiceKind(t, err, service.KindInvalid).Field())
}

// TestExportInputErrors: what is missing or unknown is an invalid field.
func TestExportInputErrors(t *testing.T) { onEachEngine(t, testExportInputErrors) }

func testExportInputErrors(t *testing.T, b *bundle) {
	_, err := b.svc.Exports.Create(b.ctx, admin, service.ExportInput{})
	e := requireServiceKind(t, err, service.KindInvalid)
	require.Len(t, e.Fields, 4, "name, connection and mapping are required, and the segments are named too, all at once: %s", e.Msg)
	require.Equal(t, "segments", e.Fields[3].Field)
	in := input("X", "Shared", nil)
	in.Segments = []string{"Buyers", "nope"}
	_, err = b.svc.Exports.Create(b.ctx, admin, in)
	e = requireServiceKind(t, err, service.KindInvalid)
	require.Equal(t, "segments", e.Field())
	require.Contains(t, e.Msg, `no segment named "nope"`)
	in = input("X", "Shared", &export.Mapping{})
	_, err = b.svc.Exports.Create(b.ctx, admin, in)
	require.Equal(t, "mapping.email", requireServiceKind(t, err, service.KindInvalid).Field())
	in = input("X", "Shared", nil)
	in.Schedule = &export.Schedule{Kind: export.ScheduleCron, Cron: "61 * * * *"}
	_, err = b.svc.Exports.Create(b.ctx, admin, in)
	require.Equal(t, "schedule.cron", requireServiceKind(t, err, service.KindInvalid).Field())
	require.Empty(t, b.audited())
}
