package cli

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestOutOfRangeCountsInPlainWords: a count out of range names the flag
// and the range, not the generator's option.
func TestOutOfRangeCountsInPlainWords(t *testing.T) {
	b := setup(t)
	require.Equal(t, "segbridge: error: --profiles -5: want 0 to 50000000 profiles", b.fails("demo-data", "--profiles", "-5", "--out", b.file("x.csv", "")))
	require.Equal(t, "segbridge: error: --profiles 0: want 1 to 50000000 profiles", b.fails("demo", "--profiles", "0"))
	require.Equal(t, `segbridge: error: "abc" for "--time-scale": want a number, such as 1.5`, b.fails("sandbox", "--time-scale", "abc"))
}
