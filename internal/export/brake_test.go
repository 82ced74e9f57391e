package export

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestBrakeValidateAndPatch(t *testing.T) {
	require.NoError(t, DefaultBrake().Validate())
	require.NoError(t, Brake{UntagPercent: BrakeOff, SkipPercent: 0, DropPercent: BrakeOff}.Validate())
	err := Brake{UntagPercent: 10, SkipPercent: 101, DropPercent: 50}.Validate()
	require.EqualError(t, err, "brake.skip_percent: 101: want a percentage from 0 to 100 (100 turns it off)")
	require.EqualError(t, Brake{UntagPercent: 10, UntagMin: -1, SkipPercent: 5, DropPercent: 5}.Validate(),
		"brake.untag_min: -1: want a number of contacts from 0 to 100000000")

	e := Export{}.WithDefaults()
	require.Equal(t, DefaultBrake(), e.Brake, "an export without a brake gets the defaults")
	twenty := 20
	p := BrakePatch{UntagPercent: &twenty}
	require.False(t, p.IsZero())
	require.True(t, BrakePatch{}.IsZero())
	want := DefaultBrake()
	want.UntagPercent = 20
	require.Equal(t, want, p.Apply(DefaultBrake()))
	require.Equal(t, "untags over 10 % and over 100 contacts; skipped members over 50 %; members falling by over 50 %", DefaultBrake().String())
	require.Equal(t, "untags: off; skipped members: off; members falling: off", Brake{UntagPercent: 100, SkipPercent: 100, DropPercent: 100}.String())
	require.Equal(t, "10,040", Count(10040))
	require.Equal(t, "1,000,000", Count(1_000_000))
}
