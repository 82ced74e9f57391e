package explain

import (
	"testing"

	"github.com/stretchr/testify/require"

	"segbridge/internal/profile"
	"segbridge/internal/segment"
)

func TestSegmentOf(t *testing.T) {
	t.Parallel()
	rule := segment.Segment{Name: "VIP", Kind: segment.KindRule, Rule: `p.orders > 3 && p.country == "CZ"`}
	p := profile.Profile{ID: "c1", Attrs: profile.Attrs{"orders": int64(5), "country": "CZ", "name": "Jane"}}
	s := SegmentOf(rule, "segbridge: vip", p, false)
	require.True(t, s.In)
	require.Equal(t, "the rule matches", s.Why)
	require.Equal(t, map[string]any{"orders": int64(5), "country": "CZ"}, s.Values, "only what the rule reads")

	p.Attrs = profile.Attrs{"orders": int64(5)}
	s = SegmentOf(rule, "segbridge: vip", p, false)
	require.False(t, s.In)
	require.Equal(t, []string{"country"}, s.Missing)
	require.Contains(t, s.Why, "lacks [country]")

	dynamic := segment.Segment{Name: "Any", Kind: segment.KindRule, Rule: `p.exists(k, k == "vip")`}
	s = SegmentOf(dynamic, "t", profile.Profile{ID: "c1", Attrs: profile.Attrs{"vip": true, "a": int64(1)}}, false)
	require.True(t, s.In)
	require.Equal(t, map[string]any{"vip": true, "a": int64(1)}, s.Values, "a rule that reads p as a whole shows every attribute")

	static := segment.Segment{Name: "Listed", Kind: segment.KindStatic}
	require.True(t, SegmentOf(static, "t", p, true).In)
	out := SegmentOf(static, "t", p, false)
	require.False(t, out.In)
	require.Equal(t, "the static segment does not list profile c1", out.Why)
}

func TestSummarize(t *testing.T) {
	t.Parallel()
	in := []Segment{{Tag: "segbridge: vip", In: true}}
	sent := []Profile{{ID: "c1", Sent: true, Segments: in}}
	state := &State{Tags: []string{"segbridge: vip"}, Confirmed: true}
	require.Equal(t, "no profile has this e-mail", Summarize(Export{}))
	require.Contains(t, Summarize(Export{State: state}), "the next run untags")
	require.Contains(t, Summarize(Export{Profiles: []Profile{{ID: "c1"}}}), "no profile with this e-mail is in")
	require.Contains(t, Summarize(Export{Profiles: sent}), "not confirmed it yet")
	require.Contains(t, Summarize(Export{Profiles: sent, State: &State{Unsure: true}}), "sends it again")
	require.Contains(t, Summarize(Export{Profiles: sent, State: state, OmnisendNote: NoContact}), "has no such contact now")
	require.Contains(t, Summarize(Export{Profiles: sent, State: state, Omnisend: &Contact{Tags: []string{}}}),
		`lacks ["segbridge: vip"]`)
	require.Equal(t, `profile c1 is exported with ["segbridge: vip"]; Omnisend confirmed it`,
		Summarize(Export{Profiles: sent, State: state, Omnisend: &Contact{Tags: []string{"segbridge: vip"}}}))
}
