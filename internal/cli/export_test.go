package cli

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"segbridge/internal/run"
)

// exportFixture imports profiles, defines two segments (one refreshed) and
// a connection to a sandbox Omnisend.
func exportFixture(t *testing.T, b *bundle) {
	t.Helper()
	b.ok("import", "profiles", b.file("c.csv", customersCSV), "--id", "id")
	b.ok("segment", "create", "VIP buyers", "--rule", "p.orders > 3")
	b.ok("segment", "create", "Lapsed", "--rule", "p.orders < 2")
	b.ok("segment", "refresh", "VIP buyers")
	b.exportAdmin()
	b.ok(createArgs("Main shop", sandboxURL(t), "--api-key-file", b.file("k", cliGoodKey))...)
}

func TestExportLifecycle(t *testing.T) { onEachEngine(t, testExportLifecycle) }

func testExportLifecycle(t *testing.T, b *bundle) {
	exportFixture(t, b)
	out := b.ok("export", "create", "Weekly VIPs", "--connection", "main shop", "--segment", "VIP buyers", "--segment", "lapsed",
		"--map", "email=email", "--map", "country=country_code", "--custom", "orders=orders", "--consent", "vip",
		"--schedule", "cron:0 3 * * *", "--time-zone", "Europe/Prague")
	require.Contains(t, out, `saved export "Weekly VIPs": 2 segment(s) to connection "Main shop", cron 0 3 * * * (Europe/Prague)`)
	require.Contains(t, out, "it has not run: saving never runs an export")

	list := b.ok("export", "list")
	require.Contains(t, list, "NEXT RUN")
	require.Contains(t, list, "Main shop (CLI Shop (brand-cli))")
	require.Contains(t, list, "VIP buyers (1), Lapsed (not refreshed)")
	require.Contains(t, list, "cron 0 3 * * * (Europe/Prague)")
	require.Regexp(t, `\d{4}-\d\d-\d\d 03:00 CE`, list, "the next run in the schedule's time zone")

	var exports []exportJSON
	require.NoError(t, json.Unmarshal([]byte(b.ok("export", "list", "-o", "json")), &exports))
	require.Len(t, exports, 1)
	e := exports[0]
	require.Equal(t, "Main shop", e.Connection.Name)
	require.Len(t, e.Segments, 2)
	require.Equal(t, 1, *e.Segments[0].Members)
	require.Nil(t, e.Segments[1].Members, "not refreshed yet")
	require.Equal(t, []string{"source: segbridge", "segbridge: vip-buyers", "segbridge: lapsed"}, e.Tags)
	require.Equal(t, "country_code", e.Mapping.Country)
	require.Equal(t, map[string]string{"orders": "orders"}, e.Mapping.Custom)
	require.Equal(t, "vip", e.Mapping.Consent.Attribute)
	require.Equal(t, 1_000_000, e.ProfileCap)
	require.Equal(t, "untag", string(e.Leave))
	require.True(t, e.Active)
	require.NotNil(t, e.NextRun)

	show := b.ok("export", "show", "weekly vips")
	require.Contains(t, show, "segbridge: vip-buyers")
	require.Contains(t, show, "map email:")
	require.Contains(t, show, "← country_code")
	require.Contains(t, show, "no date attribute")

	require.Contains(t, b.ok("export", "update", "Weekly VIPs", "--map", "state=country_code", "--custom", "orders=",
		"--consent", "", "--schedule", "manual", "--leave", "keep", "--tag-prefix", "acme", "--cap", "500", "--segment", "Lapsed"),
		"not run: saving never runs an export")
	var got exportJSON
	require.NoError(t, json.Unmarshal([]byte(b.ok("export", "show", "Weekly VIPs", "-o", "json")), &got))
	require.Equal(t, "country_code", got.Mapping.State)
	require.Equal(t, "country_code", got.Mapping.Country, "flags not given do not change")
	require.Empty(t, got.Mapping.Custom)
	require.Nil(t, got.Mapping.Consent)
	require.Equal(t, "manual", string(got.Schedule.Kind))
	require.Nil(t, got.NextRun)
	require.Equal(t, []string{"source: segbridge", "acme: lapsed"}, got.Tags)
	require.Equal(t, 500, got.ProfileCap)
	require.Equal(t, "keep", string(got.Leave))

	require.Contains(t, b.fails("export", "remove", "Weekly VIPs"), "pass --yes")
	require.Contains(t, b.ok("export", "remove", "Weekly VIPs", "--yes"), `removed export "Weekly VIPs"`)
	require.Equal(t, "[]\n", b.ok("export", "list", "-o", "json"))
}

func TestExportErrors(t *testing.T) { onEachEngine(t, testExportErrors) }

func testExportErrors(t *testing.T, b *bundle) {
	exportFixture(t, b)
	base := []string{"export", "create", "E", "--connection", "Main shop", "--segment", "VIP buyers", "--map", "email=email"}
	with := func(extra ...string) []string { return append(append([]string{}, base...), extra...) }

	require.Contains(t, b.fails("export", "create", "E", "--connection", "Nope", "--segment", "VIP buyers", "--map", "email=email"),
		`no connection named "Nope"`)
	require.Contains(t, b.fails("export", "create", "E", "--connection", "Main shop", "--segment", "nope", "--map", "email=email"),
		`no segment named "nope"`)
	require.Contains(t, b.fails("export", "create", "E", "--connection", "Main shop", "--segment", "VIP buyers"),
		"needs the e-mail mapping: pass --map email=ATTRIBUTE")
	require.Contains(t, b.fails("export", "create", "E", "--segment", "VIP buyers", "--map", "email=email"), "needs a connection")
	require.Contains(t, b.fails("export", "create", "E", "--connection", "Main shop", "--map", "email=email"), "at least one segment")
	require.Contains(t, b.fails(with("--map", "shoe=size")...), `unknown field "shoe"`)
	require.Contains(t, b.fails(with("--map", "email")...), "want FIELD=ATTRIBUTE")
	require.Contains(t, b.fails(with("--custom", "bad name=x")...), "mapping.custom")
	require.Contains(t, b.fails(with("--schedule", "cron:61 * * * *")...), "schedule.cron")
	require.Contains(t, b.fails(with("--schedule", "cron:0 3 * * *", "--time-zone", "Mars/Base")...), "unknown time zone")
	require.Contains(t, b.fails(with("--schedule", "hourly")...), "want refresh")
	require.Contains(t, b.fails(with("--leave", "delete")...), "want untag or keep")
	require.Contains(t, b.fails(with("--tag-prefix", "source")...), "tag_prefix")
	require.Contains(t, b.fails(with("--cap", "0")...), "--cap 0")
	require.Contains(t, b.fails(with("--cap", "200000000")...), "profile_cap")
	require.Contains(t, b.fails(with("--time-zone", "UTC")...), "schedule")
	require.Equal(t, "[]\n", b.ok("export", "list", "-o", "json"), "nothing was saved")

	b.ok(base...)
	require.Contains(t, b.fails(with()...), `an export named "E" already exists`)
	require.Contains(t, b.fails("export", "update", "E"), "nothing to change")
	require.Contains(t, b.fails("export", "update", "E", "--time-zone", "UTC"), "only to a cron schedule")
	require.Contains(t, b.fails("export", "update", "E", "--map", "email="), "needs the e-mail mapping")
	require.Contains(t, b.fails("export", "update", "nope", "--cap", "5"), `no export named "nope"`)
	require.Contains(t, b.fails("export", "show", "nope"), `no export named "nope"`)
	require.Contains(t, b.fails("export", "list", "-o", "yaml"), "yaml")
}

func TestExportDetachAndSegmentInUse(t *testing.T) { onEachEngine(t, testExportDetachAndSegmentInUse) }

func testExportDetachAndSegmentInUse(t *testing.T, b *bundle) {
	exportFixture(t, b)
	b.ok("export", "create", "Weekly", "--connection", "Main shop", "--segment", "VIP buyers", "--map", "email=email")

	require.Contains(t, b.fails("segment", "delete", "VIP buyers"), `segment "VIP buyers" is used by export "Weekly"`)
	require.Contains(t, b.ok("segment", "list"), "VIP buyers", "the segment is kept")

	b.ok("connection", "remove", "Main shop", "--yes")
	require.Contains(t, b.ok("export", "list"), `detached: connection "Main shop" was removed`)
	var e exportJSON
	require.NoError(t, json.Unmarshal([]byte(b.ok("export", "show", "Weekly", "-o", "json")), &e))
	require.Nil(t, e.Connection)
	require.Equal(t, `connection "Main shop" was removed`, e.Detached)
	require.Equal(t, "email", e.Mapping.Email, "settings are kept")

	b.ok(createArgs("Second", sandboxURL(t), "--api-key-file", b.file("k2", cliGoodKey))...)
	b.ok("export", "update", "Weekly", "--connection", "Second", "--segment", "Lapsed")
	require.NotContains(t, b.ok("export", "list"), "detached")
	b.ok("segment", "delete", "VIP buyers")
}

func TestExportHelp(t *testing.T) {
	b := setup(t)
	for _, args := range [][]string{{"export"}, {"export", "create"}, {"export", "update"}, {"export", "list"}, {"export", "remove"}} {
		require.Contains(t, b.ok(append(args, "--help")...), "Usage:", "help for %v", args)
	}
	require.Contains(t, b.ok("export", "create", "--help"), `(default "segbridge")`)
	require.NotContains(t, b.ok("export", "update", "--help"), `(default "segbridge")`, "update shows no defaults: only given flags change")
}

func TestExportConsentPolicy(t *testing.T) { onEachEngine(t, testExportConsentPolicy) }

// testExportConsentPolicy: --consent-policy on create and update, shown by
// export show (text and JSON); opt-ins and mirror need a dated consent
// mapping; keep is the default.
func testExportConsentPolicy(t *testing.T, b *bundle) {
	exportFixture(t, b)
	base := []string{"export", "create", "E", "--connection", "Main shop", "--segment", "VIP buyers", "--map", "email=email"}
	with := func(extra ...string) []string { return append(append([]string{}, base...), extra...) }
	policy := func() string {
		var got exportJSON
		require.NoError(t, json.Unmarshal([]byte(b.ok("export", "show", "E", "-o", "json")), &got))
		return string(got.ConsentPolicy)
	}

	require.Contains(t, b.fails(with("--consent-policy", "sometimes")...), `--consent-policy "sometimes": want keep, opt-ins or mirror`)
	require.Contains(t, b.fails(with("--consent-policy", "mirror")...), "consent_policy: mirror sends the mapped consent status")
	require.Contains(t, b.fails(with("--consent-policy", "opt-ins", "--consent", "vip")...), "map the consent date attribute too")
	require.Equal(t, "[]\n", b.ok("export", "list", "-o", "json"), "nothing was saved")

	b.ok(with("--consent", "vip:vip")...)
	require.Equal(t, "keep", policy(), "the default")
	show := b.ok("export", "show", "E")
	require.Contains(t, show, "consent policy:  keep: never sends a status; existing contacts keep theirs, new ones start nonSubscribed (the consent mapping is not used)")

	b.ok("export", "update", "E", "--consent-policy", "opt-ins")
	require.Equal(t, "opt-ins", policy())
	require.Contains(t, b.ok("export", "show", "E"), "consent policy:  opt-ins: sends a mapped subscribed with its date; never unsubscribed or nonSubscribed")
	b.ok("export", "update", "E", "--consent-policy", "mirror", "--leave", "keep")
	require.Equal(t, "mirror", policy())
	b.ok("export", "update", "E", "--leave", "untag")
	require.Equal(t, "mirror", policy(), "flags not given do not change it")
	require.Contains(t, b.fails("export", "update", "E", "--consent", ""), "consent_policy: mirror sends the mapped consent status")
	b.ok("export", "update", "E", "--consent", "", "--consent-policy", "keep")
	require.Equal(t, "keep", policy())
	require.Contains(t, b.ok("export", "create", "--help"), "--consent-policy")
}

// TestSummaryShowsDropped: a run's one-line summary names what members
// were sent without.
func TestSummaryShowsDropped(t *testing.T) {
	t.Parallel()
	s := summary(run.Run{ID: 4, Status: run.StatusSucceeded, Counts: run.Counts{Members: 3, Added: 3,
		Dropped: map[string]int{"consent_future_date": 2, "phone": 1}}})
	require.Contains(t, s, "; sent without (consent_future_date 2, phone 1)")
	require.NotContains(t, summary(run.Run{ID: 5}), "sent without")
}

// TestSummaryShowsSkippedAsBefore: a changes-only run's summary says how
// many skipped members it did not read again (its results omit them).
func TestSummaryShowsSkippedAsBefore(t *testing.T) {
	t.Parallel()
	s := summary(run.Run{ID: 6, Status: run.StatusSucceeded, Counts: run.Counts{Members: 10, Unchanged: 7,
		Skipped: map[string]int{"invalid_email": 3}, SkippedUnchanged: map[string]int{"invalid_email": 2}}})
	require.Contains(t, s, "skipped 3 (invalid_email 3) (2 of them skipped as before and unchanged since: the runs that decided it list them)")
	require.NotContains(t, summary(run.Run{ID: 7}), "as before")
}
