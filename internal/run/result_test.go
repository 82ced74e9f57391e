package run

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestResult(t *testing.T) {
	op := Op{Seq: 7, Kind: OpUpsert, New: true, Email: "=cmd@example.com", ProfileID: "p7", Status: OpFailed,
		Reason: ReasonRejected, Message: "-bad phone", BatchID: "b1"}
	r := op.Result()
	require.Equal(t, "add", r.Action)
	require.Equal(t, len(ResultCSVHeader), len(r.CSVRecord()))
	require.Equal(t, []string{"7", "add", "'=cmd@example.com", "p7", "failed", "rejected", "'-bad phone", "b1"}, r.CSVRecord(),
		"cells a spreadsheet would read as formulas are quoted")
	require.Equal(t, "update", Op{Kind: OpUpsert}.Action())
	require.Equal(t, "untag", Op{Kind: OpUntag}.Action())
	require.Equal(t, "skip", Op{Kind: OpSkip}.Action())
}
