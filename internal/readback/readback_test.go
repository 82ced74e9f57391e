package readback

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/export"
	"segbridge/internal/omnisend"
	"segbridge/internal/profile"
	"segbridge/internal/run"
)

// fakeOmnisend lists the contacts it holds, filtered by tag or status, and
// records what it was asked.
type fakeOmnisend struct {
	contacts []omnisend.ContactRecord
	asked    []omnisend.ListContactsOptions
	lookups  int
}

func (f *fakeOmnisend) EachContact(_ context.Context, opt omnisend.ListContactsOptions, fn func([]omnisend.ContactRecord) error) error {
	f.asked = append(f.asked, opt)
	var page []omnisend.ContactRecord
	for _, c := range f.contacts {
		switch {
		case opt.Tag != "" && !contains(c.Tags, opt.Tag):
		case opt.Status != "" && c.Status != opt.Status:
		default:
			page = append(page, c)
		}
	}
	return fn(page)
}

func (f *fakeOmnisend) GetContact(_ context.Context, email string) (omnisend.ContactRecord, bool, error) {
	f.lookups++
	for _, c := range f.contacts {
		if c.Email == email {
			return c, true, nil
		}
	}
	return omnisend.ContactRecord{}, false, nil
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// fakeState is a confirmed state in memory.
type fakeState struct {
	entries map[string]run.StateEntry
	marked  []run.StateEntry
}

func (f *fakeState) ScanState(_ context.Context, _ int64, fn func(run.StateEntry) error) error {
	for _, e := range f.entries {
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}

func (f *fakeState) StateOf(_ context.Context, _ int64, emails []string) (map[string]run.StateEntry, error) {
	out := map[string]run.StateEntry{}
	for _, e := range emails {
		if s, ok := f.entries[e]; ok {
			out[e] = s
		}
	}
	return out, nil
}

func (f *fakeState) MarkDrift(_ context.Context, _ int64, entries []run.StateEntry, _ time.Time) error {
	f.marked = append(f.marked, entries...)
	return nil
}

const vip, lapsed = "segbridge: vip", "segbridge: lapsed"

func TestVerifyFindsEachKind(t *testing.T) {
	t.Parallel()
	m := export.Mapping{Email: "email", FirstName: "first", Country: "country", Custom: map[string]string{"ltv": "ltv"}}
	members := []profile.Profile{
		{ID: "p1", Attrs: profile.Attrs{"email": "same@x.com", "first": "Ann", "country": "cz", "ltv": int64(5)}},
		{ID: "p2", Attrs: profile.Attrs{"email": "renamed@x.com", "first": "Bob", "country": "Germany", "ltv": 12.5}},
		{ID: "p3", Attrs: profile.Attrs{"email": "changed@x.com", "first": "New name"}},
	}
	hash := func(p profile.Profile) string {
		c, _ := m.Contact(p, []string{export.SourceTag, vip}, export.Consent{Policy: export.ConsentKeep, Now: time.Now()})
		return export.Hash(c)
	}
	st := &fakeState{entries: map[string]run.StateEntry{}}
	for _, p := range members {
		e := p.Attrs["email"].(string)
		st.entries[e] = run.StateEntry{Email: e, ProfileID: p.ID, Hash: hash(p), Tags: []string{vip}}
	}
	// changed@x.com's profile changed since it was confirmed: not compared.
	st.entries["changed@x.com"] = run.StateEntry{Email: "changed@x.com", ProfileID: "p3", Hash: "older", Tags: []string{vip}}
	st.entries["gone@x.com"] = run.StateEntry{Email: "gone@x.com", ProfileID: "p4", Hash: "h", Tags: []string{vip}}
	st.entries["untagged@x.com"] = run.StateEntry{Email: "untagged@x.com", ProfileID: "p5", Hash: "h", Tags: []string{vip}}
	st.entries["unsure@x.com"] = run.StateEntry{Email: "unsure@x.com", ProfileID: "p6", Tags: []string{vip}, Unsure: true}
	both := []string{export.SourceTag, vip}
	om := &fakeOmnisend{contacts: []omnisend.ContactRecord{
		{Email: "same@x.com", Tags: both, FirstName: "Ann", CountryCode: "CZ", Country: "Czechia", CustomProperties: map[string]any{"ltv": 5.0}},
		{Email: "renamed@x.com", Tags: append(both, lapsed), FirstName: "Robert", Country: "Germany", CustomProperties: map[string]any{"ltv": 12.5}},
		{Email: "changed@x.com", Tags: both, FirstName: "Old name"},
		{Email: "untagged@x.com", Tags: []string{export.SourceTag, "merchant: own"}},
		{Email: "stranger@x.com", Tags: []string{lapsed}, Status: omnisend.StatusUnsubscribed, StatusDate: "2026-05-01T00:00:00Z"},
		{Email: "unsure@x.com", Tags: []string{}},
	}}
	v, err := New(Config{State: st, Omnisend: om})
	require.NoError(t, err)
	target := Target{ExportID: 1, Mapping: m, SegmentTags: []string{vip, lapsed},
		Members: func(_ context.Context, fn func(profile.Profile, []string) error) error {
			for _, p := range members {
				if err := fn(p, []string{vip}); err != nil {
					return err
				}
			}
			return nil
		}}
	est, err := v.Estimate(t.Context(), target)
	require.NoError(t, err)
	require.Equal(t, Estimate{State: 6, Unsure: 1, Tags: []TagCount{{vip, 6, 1}, {lapsed, 0, 1}}, Requests: 2, UpTo: 1}, est)

	rep, err := v.Verify(t.Context(), target, est, true)
	require.NoError(t, err)
	require.Equal(t, []Finding{
		{Email: "gone@x.com", Kind: MissingContact, ProfileID: "p4", Tags: []string{vip}},
		{Email: "renamed@x.com", Kind: ExtraTag, ProfileID: "p2", Tags: []string{lapsed}},
		{Email: "renamed@x.com", Kind: FieldsDiffer, ProfileID: "p2", Fields: []FieldDiff{{Field: "first_name", Want: "Bob", Omnisend: "Robert"}}},
		{Email: "stranger@x.com", Kind: ExtraContact, Tags: []string{lapsed}},
		{Email: "untagged@x.com", Kind: MissingTag, ProfileID: "p5", Tags: []string{vip}},
	}, rep.Findings)
	// Two unseen entries (gone, untagged) are more than UpTo (1): the
	// source tag is listed instead of looking them up one by one.
	require.Zero(t, om.lookups)
	require.Equal(t, []string{vip, lapsed, export.SourceTag}, []string{om.asked[0].Tag, om.asked[1].Tag, om.asked[2].Tag})
	require.Equal(t, []Status{{Email: "stranger@x.com", Status: omnisend.StatusUnsubscribed, At: "2026-05-01T00:00:00Z"}}, rep.Unsubscribed)
	require.Equal(t, 4, rep.Repaired)
	require.ElementsMatch(t, []run.StateEntry{
		{Email: "gone@x.com", ProfileID: "p4", Tags: []string{vip}, Unsure: true},
		{Email: "renamed@x.com", ProfileID: "p2", Tags: []string{lapsed}, Unsure: true},
		{Email: "stranger@x.com", Tags: []string{lapsed}, Unsure: true},
		{Email: "untagged@x.com", ProfileID: "p5", Tags: []string{vip}, Unsure: true},
	}, st.marked)
	require.Equal(t, `carries "segbridge: lapsed" that segbridge did not set`, rep.Findings[1].Text())
	require.Equal(t, `first_name: "Robert" in Omnisend, the export sends "Bob"`, rep.Findings[2].Text())

	// Few unseen: looked up one by one.
	delete(st.entries, "gone@x.com")
	st.marked = nil
	rep, err = v.Verify(t.Context(), target, est, false)
	require.NoError(t, err)
	require.Equal(t, 1, om.lookups)
	require.Len(t, rep.Findings, 4)
	require.Empty(t, st.marked, "report only")
}

func TestCheckStatusesAsksSinceTheLastCheck(t *testing.T) {
	t.Parallel()
	om := &fakeOmnisend{contacts: []omnisend.ContactRecord{
		{Email: "A@x.com", Status: omnisend.StatusUnsubscribed, StatusDate: "2026-05-01T00:00:00Z"},
		{Email: "b@x.com", Status: omnisend.StatusSubscribed},
	}}
	all, err := CheckStatuses(t.Context(), om, CheckOptions{})
	require.NoError(t, err)
	require.Equal(t, []Status{{Email: "a@x.com", Status: omnisend.StatusUnsubscribed, At: "2026-05-01T00:00:00Z"}}, all)
	require.Equal(t, omnisend.StatusUnsubscribed, om.asked[0].Status, "a first check reads every unsubscribed contact")

	since := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	got, err := CheckStatuses(t.Context(), om, CheckOptions{Since: since})
	require.NoError(t, err)
	require.Len(t, got, 2, "every status of the updated contacts")
	require.Equal(t, since.Add(-Overlap), om.asked[1].UpdatedAtFrom)
	require.Empty(t, om.asked[1].Status)
}

type fakeProfiles struct {
	raw     map[string][]byte
	changes []profile.Profile
}

func (f *fakeProfiles) ScanProfiles(_ context.Context, fn func(string, []byte) error) error {
	for id, raw := range f.raw {
		if err := fn(id, raw); err != nil {
			return err
		}
	}
	return nil
}

func (f *fakeProfiles) MergeProfileAttributes(_ context.Context, ch []profile.Profile, _ time.Time) (int, error) {
	f.changes = append(f.changes, ch...)
	return len(ch), nil
}

func TestWriteStatuses(t *testing.T) {
	t.Parallel()
	ps := &fakeProfiles{raw: map[string][]byte{
		"new":      []byte(`{"email":"New@x.com"}`),
		"same":     []byte(`{"mail":"same@x.com","omnisend_email_status":"unsubscribed","omnisend_email_status_at":"T1"}`),
		"back":     []byte(`{"email":"back@x.com","omnisend_email_status":"unsubscribed","omnisend_email_status_at":"T0"}`),
		"never":    []byte(`{"email":"never@x.com"}`),
		"stranger": []byte(`{"email":"other@x.com"}`),
	}}
	res, err := WriteStatuses(t.Context(), ps, []Status{
		{Email: "new@x.com", Status: omnisend.StatusUnsubscribed, At: "T1"},
		{Email: "same@x.com", Status: omnisend.StatusUnsubscribed, At: "T1"},
		{Email: "back@x.com", Status: omnisend.StatusSubscribed, At: "T2"},
		{Email: "never@x.com", Status: omnisend.StatusSubscribed, At: "T2"},
	}, []string{"email", "mail"}, time.Now())
	require.NoError(t, err)
	require.Equal(t, WriteResult{Profiles: 4, Updated: 2}, res)
	require.ElementsMatch(t, []profile.Profile{
		{ID: "new", Attrs: profile.Attrs{export.OmnisendStatusAttribute: "unsubscribed", export.OmnisendStatusAtAttribute: "T1"}},
		{ID: "back", Attrs: profile.Attrs{export.OmnisendStatusAttribute: "subscribed", export.OmnisendStatusAtAttribute: "T2"}},
	}, ps.changes, "an unsubscribe always; another status only where one was written before; unchanged ones not")
}

func TestCountryAndCustomComparison(t *testing.T) {
	t.Parallel()
	fields := fieldsOf(export.Mapping{Email: "e", Country: "c", Custom: map[string]string{"zip": "z"}})
	c := omnisend.Contact{CountryCode: "GB", CustomProperties: map[string]any{"zip": int64(60601)}}
	shown := shownValues(fields, &omnisend.ContactRecord{CountryCode: "gb", Country: "United Kingdom",
		CustomProperties: map[string]any{"zip": float64(60601)}})
	require.Empty(t, differences(fields, &c, shown), "a code matches in any case; 60601 = 60601.0")
	shown = shownValues(fields, &omnisend.ContactRecord{Country: "France", CustomProperties: map[string]any{"zip": "60601"}})
	require.Equal(t, []FieldDiff{{Field: "country", Want: "GB", Omnisend: "France"}, {Field: "custom.zip", Want: "60601", Omnisend: `"60601"`}},
		differences(fields, &c, shown))
	shown = shownValues(fields, &omnisend.ContactRecord{})
	require.Equal(t, "", differences(fields, &c, shown)[1].Omnisend, "a property Omnisend does not show")
}
