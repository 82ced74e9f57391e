package storetest

import (
	"testing"

	"github.com/stretchr/testify/require"

	"segbridge/internal/run"
)

// testLastConfirmedContacts: a preview's old values are the contact of
// the export's latest upsert Omnisend confirmed, per e-mail; a failed or
// pending upsert, another export's and an unknown e-mail give none.
func testLastConfirmedContacts(t *testing.T, newStore NewStore) {
	f := setupRuns(t, newStore)
	r1 := f.newRun(t)
	a1, b1 := f.upsert(r1, "a@example.com", true), f.upsert(r1, "b@example.com", true)
	f.addOps(t, a1, b1)
	f.confirm(t, r1, []run.Op{a1, b1}, run.BatchOutcome{})
	f.finish(t, r1)

	r2 := f.newRun(t)
	a2, b2 := f.upsert(r2, "a@example.com", false), f.upsert(r2, "b@example.com", false)
	a2.Contact, b2.Contact = []byte(`{"email":"a@example.com","v":2}`), []byte(`{"email":"b@example.com","v":2}`)
	f.addOps(t, a2, b2)
	f.confirm(t, r2, []run.Op{a2, b2}, run.BatchOutcome{Failed: map[string]string{"b@example.com": "refused"}})
	f.finish(t, r2)

	r3 := f.newRun(t)
	a3 := f.upsert(r3, "a@example.com", false)
	a3.Contact = []byte(`{"email":"a@example.com","v":3}`)
	f.addOps(t, a3) // pending: not confirmed

	o := f.newRunOf(t, f.other)
	c := f.upsert(o, "c@example.com", true)
	f.addOps(t, c)
	f.confirm(t, o, []run.Op{c}, run.BatchOutcome{})

	got, err := f.st.LastConfirmedContacts(f.ctx, f.exp, []string{"a@example.com", "b@example.com", "c@example.com", "d@example.com"})
	require.NoError(t, err)
	require.Equal(t, map[string][]byte{
		"a@example.com": a2.Contact,
		"b@example.com": b1.Contact, // its second upsert failed
	}, got)
	got, err = f.st.LastConfirmedContacts(f.ctx, f.exp, nil)
	require.NoError(t, err)
	require.Empty(t, got)
}
