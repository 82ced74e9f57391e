package run

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestBrakeCrossed: each threshold holds only past both its share and
// (for untags) its count, says its figures, and is off at 100 %.
func TestBrakeCrossed(t *testing.T) {
	require.Equal(t, 98_930, Brake{UntagPercent: 10}.untagsCrossBelow(9893))
	require.Equal(t, 4, Brake{UntagPercent: 33}.untagsCrossBelow(1), "1 of 3 is over 33 %, 1 of 4 is not")
	require.Zero(t, Brake{UntagPercent: 0}.untagsCrossBelow(5), "at 0 % every size crosses")
	def := Brake{UntagPercent: 10, UntagMin: 100, SkipPercent: 50, DropPercent: 50}
	last := Run{ID: 7, Status: StatusSucceeded, Counts: Counts{Members: 10_000}}
	for _, tc := range []struct {
		name string
		b    Brake
		f    brakeFigures
		last Run
		want []string
	}{
		{name: "untag share and count", b: def, f: brakeFigures{members: 9000, untags: 3012, state: 10_040},
			want: []string{"would untag 3,012 of 10,040 confirmed contacts (30 %, threshold 10 % and 100)"}},
		{name: "untag share but not count", b: def, f: brakeFigures{members: 500, untags: 100, state: 500}},
		{name: "untag count but not share", b: def, f: brakeFigures{members: 10_000, untags: 1004, state: 10_040}},
		{name: "untag well under the share", b: def, f: brakeFigures{members: 1_000_000, untags: 9893, state: 1_000_000}},
		{name: "untag at the share", b: def, f: brakeFigures{members: 98_930, untags: 9893, state: 98_930}},
		{name: "untag just over the share", b: def, f: brakeFigures{members: 10_000, untags: 1005, state: 10_040},
			want: []string{"would untag 1,005 of 10,040 confirmed contacts (10 %, threshold 10 % and 100)"}},
		{name: "untag off", b: Brake{UntagPercent: BrakeOff, SkipPercent: 50, DropPercent: 50}, f: brakeFigures{members: 1, untags: 10_000, state: 10_000}},
		{name: "any untag", b: Brake{UntagPercent: 0, UntagMin: 0, SkipPercent: BrakeOff, DropPercent: BrakeOff}, f: brakeFigures{members: 1000, untags: 1, state: 1000},
			want: []string{"would untag 1 of 1,000 confirmed contacts (0.1 %, threshold 0 % and 0)"}},
		{name: "skipped", b: def, f: brakeFigures{members: 1000, skipped: 501, state: 1000},
			want: []string{"501 of 1,000 members skipped (50.1 %, threshold 50 %)"}},
		{name: "skipped at the threshold", b: def, f: brakeFigures{members: 1000, skipped: 500, state: 1000}},
		{name: "members fell", b: def, f: brakeFigures{members: 4000, state: 4000}, last: last,
			want: []string{"members fell from 10,000 (run 7) to 4,000 (60 % fewer, threshold 50 %)"}},
		{name: "members fell at the threshold", b: def, f: brakeFigures{members: 5000, state: 5000}, last: last},
		{name: "no successful run yet", b: def, f: brakeFigures{members: 1, state: 1}},
		{name: "members grew", b: def, f: brakeFigures{members: 20_000, state: 10_000}, last: last},
		{name: "all three", b: def, f: brakeFigures{members: 4000, skipped: 3000, untags: 6000, state: 10_000}, last: last,
			want: []string{"would untag 6,000 of 10,000 confirmed contacts (60 %, threshold 10 % and 100)",
				"3,000 of 4,000 members skipped (75 %, threshold 50 %)",
				"members fell from 10,000 (run 7) to 4,000 (60 % fewer, threshold 50 %)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, tc.b.crossed(tc.f, tc.last))
			if atMost := tc.b.untagsCrossBelow(tc.f.untags); atMost > 0 && tc.f.state > atMost {
				// A changes-only plan's count of the state stops there.
				f := tc.f
				f.state = atMost
				require.Equal(t, tc.b.crossed(tc.f, tc.last), tc.b.crossed(f, tc.last), "state counted up to %d", atMost)
			}
			if !tc.b.weighsUntags(tc.f.untags) {
				// A changes-only plan does not count the state then: with
				// any state size the untags cross nothing.
				for _, state := range []int{0, 1, tc.f.untags, 1 << 30} {
					f := tc.f
					f.state = state
					require.Equal(t, tc.b.crossed(f, tc.last), tc.b.crossed(tc.f, tc.last), "state %d", state)
				}
			}
		})
	}
}

func TestHoldWaiting(t *testing.T) {
	require.False(t, Hold{}.Waiting())
	require.True(t, Hold{Reason: "held: x"}.Waiting())
	require.False(t, Hold{Reason: "held: x", Decision: DecisionApproved}.Waiting())
	require.True(t, StatusQueued.Executable())
	require.True(t, StatusRunning.Executable())
	require.False(t, StatusHeld.Executable())
	require.False(t, StatusHeld.Final())
}
