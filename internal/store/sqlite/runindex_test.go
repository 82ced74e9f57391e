package sqlite

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestConfirmingABatchUsesItsIndex: the statements that confirm one batch
// read its ops through run_ops_send (run, batch). SQLite, without
// statistics, took the results filter's run_ops_by_status (run, status)
// instead: every batch's confirmation walked every pending or confirmed op
// of the run, and a first run of 1,000,000 contacts did not finish its
// confirmations in an hour.
func TestConfirmingABatchUsesItsIndex(t *testing.T) {
	t.Parallel()
	st := openTemp(t)
	for name, q := range map[string]string{
		"mark":     resolveMarkSQL,
		"mark one": resolveMarkSQL + ` AND email = ?`,
		"fold":     foldSQL,
	} {
		args := make([]any, strings.Count(q, "?"))
		for i := range args {
			args[i] = "x"
		}
		require.Contains(t, plan(t, st, q, args), "USING INDEX run_ops_send", name)
	}
}
