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
		n := strings.Count(q, "?")
		args := make([]any, n)
		for i := range args {
			args[i] = "x"
		}
		rs, err := st.db.Query(`EXPLAIN QUERY PLAN `+q, args...)
		require.NoError(t, err, name)
		var plan []string
		require.NoError(t, eachRow(rs, func() error {
			var id, parent, unused int
			var detail string
			err := rs.Scan(&id, &parent, &unused, &detail)
			plan = append(plan, detail)
			return err
		}))
		require.Contains(t, strings.Join(plan, "\n"), "USING INDEX run_ops_send", name)
	}
}
