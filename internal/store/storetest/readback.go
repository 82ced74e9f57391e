package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/profile"
	"segbridge/internal/run"
	"segbridge/internal/store"
)

func runReadback(t *testing.T, newStore NewStore) {
	t.Run("MarkDrift", func(t *testing.T) { testMarkDrift(t, newStore) })
	t.Run("OpsForEmail", func(t *testing.T) { testOpsForEmail(t, newStore) })
	t.Run("MergeProfileAttributes", func(t *testing.T) { testMergeProfileAttributes(t, newStore) })
	t.Run("UnsubscribeCheckpoint", func(t *testing.T) { testUnsubscribeCheckpoint(t, newStore) })
}

// testMarkDrift: a marked entry becomes unsure with the union of its
// tags, keeping its profile and hash; an unknown e-mail is added unsure
// and never confirmed; other entries and exports are untouched.
func testMarkDrift(t *testing.T, newStore NewStore) {
	f := setupRuns(t, newStore)
	f.seedState(t, "kept@example.com", "drift@example.com", "tagged@example.com")
	rb := f.st.(store.Readback)
	err := rb.MarkDrift(f.ctx, f.exp, []run.StateEntry{
		{Email: "drift@example.com", ProfileID: "ignored", Tags: []string{"segbridge: vip-buyers"}},
		{Email: "tagged@example.com", ProfileID: "p-tagged@example.com", Tags: []string{"segbridge: lapsed"}},
		{Email: "extra@example.com", Tags: []string{"segbridge: lapsed", "segbridge: vip-buyers"}},
	}, f.now)
	require.NoError(t, err)
	require.Equal(t, map[string]run.StateEntry{
		"kept@example.com": *state("kept@example.com"),
		"drift@example.com": {Email: "drift@example.com", ProfileID: "p-drift@example.com", Hash: "h1-drift@example.com",
			Tags: []string{"segbridge: vip-buyers"}, Unsure: true},
		"tagged@example.com": {Email: "tagged@example.com", ProfileID: "p-tagged@example.com", Hash: "h1-tagged@example.com",
			Tags: []string{"segbridge: vip-buyers", "segbridge: lapsed"}, Unsure: true},
		"extra@example.com": {Email: "extra@example.com", Tags: []string{"segbridge: lapsed", "segbridge: vip-buyers"}, Unsure: true},
	}, normState(f.state(t, f.exp)))
	require.Empty(t, f.state(t, f.other), "another export's state is its own")
	require.NoError(t, rb.MarkDrift(f.ctx, f.exp, nil, f.now), "nothing to mark")

	// The next batch that confirms the contact makes it sure again.
	r := f.newRun(t)
	op := f.upsert(r, "drift@example.com", false)
	f.addOps(t, op)
	f.confirm(t, r, []run.Op{op}, run.BatchOutcome{})
	require.False(t, f.state(t, f.exp)["drift@example.com"].Unsure)
}

// testOpsForEmail: an e-mail's ops of the export's latest runs, newest
// run first, seq order within a run; other e-mails, exports and older
// runs are left out.
func testOpsForEmail(t *testing.T, newStore NewStore) {
	f := setupRuns(t, newStore)
	rb := f.st.(store.Readback)
	var runs []run.Run
	for i := range 3 {
		r := f.newRun(t)
		ops := []run.Op{f.upsert(r, "jane@example.com", i == 0), f.upsert(r, "joe@example.com", i == 0)}
		if i == 2 {
			ops = append(ops, f.untag(r, "jane@example.com", false))
		}
		f.addOps(t, ops...)
		runs = append(runs, f.finish(t, r))
	}
	o := f.newRunOf(t, f.other)
	f.addOps(t, f.upsert(o, "jane@example.com", true))

	got, err := rb.OpsForEmail(f.ctx, f.exp, " Jane@Example.com ", 2)
	require.NoError(t, err)
	type key struct {
		run  int64
		kind run.OpKind
	}
	var keys []key
	for _, op := range got {
		require.Equal(t, "jane@example.com", op.Email)
		keys = append(keys, key{op.RunID, op.Kind})
	}
	require.Equal(t, []key{{runs[2].ID, run.OpUpsert}, {runs[2].ID, run.OpUntag}, {runs[1].ID, run.OpUpsert}}, keys)
	require.Equal(t, "h1-jane@example.com", got[0].Hash)

	got, err = rb.OpsForEmail(f.ctx, f.exp, "nobody@example.com", 10)
	require.NoError(t, err)
	require.Empty(t, got)
}

// testMergeProfileAttributes: only the given attributes change, the rest
// of each profile is kept; unchanged profiles keep updated_at; unknown ids
// are skipped; the schema counts follow.
func testMergeProfileAttributes(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	_, err := b.st.UpsertProfiles(b.ctx, []profile.Profile{
		prof("a", "email", "a@example.com", "orders", int64(3), "city", "Brno"),
		prof("b", "email", "b@example.com", "omnisend_email_status", "unsubscribed"),
	}, b.now)
	require.NoError(t, err)
	rb := b.st.(store.Readback)
	later := b.now.Add(time.Hour)
	n, err := rb.MergeProfileAttributes(b.ctx, []profile.Profile{
		prof("a", "omnisend_email_status", "unsubscribed", "omnisend_email_status_at", "2026-11-28T10:00:00Z"),
		prof("b", "omnisend_email_status", "unsubscribed"),
		prof("missing", "omnisend_email_status", "unsubscribed"),
	}, later)
	require.NoError(t, err)
	require.Equal(t, 1, n, "a changed, b already had the value, missing is skipped")

	a, err := b.st.GetProfile(b.ctx, "a")
	require.NoError(t, err)
	require.Equal(t, profile.Attrs{"email": "a@example.com", "orders": int64(3), "city": "Brno",
		"omnisend_email_status": "unsubscribed", "omnisend_email_status_at": "2026-11-28T10:00:00Z"}, a.Attrs)
	require.True(t, a.UpdatedAt.Equal(later))
	bp, err := b.st.GetProfile(b.ctx, "b")
	require.NoError(t, err)
	require.True(t, bp.UpdatedAt.Equal(b.now), "an unchanged profile keeps updated_at")
	_, err = b.st.GetProfile(b.ctx, "missing")
	require.ErrorIs(t, err, store.ErrNotFound, "no profile is created")

	schema, err := b.st.ProfileSchema(b.ctx)
	require.NoError(t, err)
	attr, ok := schema.Attribute("omnisend_email_status")
	require.True(t, ok)
	require.Equal(t, 2, attr.Profiles)
	n, err = rb.MergeProfileAttributes(b.ctx, nil, later)
	require.NoError(t, err)
	require.Zero(t, n)
}

func testUnsubscribeCheckpoint(t *testing.T, newStore NewStore) {
	f := setupExports(t, newStore)
	rb := f.st.(store.Readback)
	_, ok, err := rb.UnsubscribeCheckpoint(f.ctx, f.connID)
	require.NoError(t, err)
	require.False(t, ok, "never checked")
	require.NoError(t, rb.SetUnsubscribeCheckpoint(f.ctx, f.connID, f.now))
	require.NoError(t, rb.SetUnsubscribeCheckpoint(f.ctx, f.connID, f.now.Add(time.Hour)))
	at, ok, err := rb.UnsubscribeCheckpoint(f.ctx, f.connID)
	require.NoError(t, err)
	require.True(t, ok)
	require.True(t, at.Equal(f.now.Add(time.Hour)), "%v", at)

	// Removing the connection forgets its checkpoint.
	require.NoError(t, f.st.DeleteConnection(f.ctx, f.connID))
	_, ok, err = rb.UnsubscribeCheckpoint(f.ctx, f.connID)
	require.NoError(t, err)
	require.False(t, ok)
}
