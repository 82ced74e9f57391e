package messagecheck

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestInternals(t *testing.T) {
	t.Parallel()
	for msg, want := range map[string]string{
		`sqlite: create segment: segment "Germany": already exists`:   "sqlite: ",
		`plan: postgres: scan member profiles`:                        "postgres: ",
		`pq: duplicate key`:                                           "pq: ",
		`sql: no rows in result set`:                                  "sql: ",
		`demodata: Options.Profiles must be positive`:                 "Options.Profiles",
		`unexpected *export.FieldError`:                               "export.FieldError",
		`open segbridge/internal/store: x`:                            "segbridge/internal/",
		`a segment named "Germany" already exists`:                    "",
		`want sqlite:///path/file.db or postgres://user@host/db`:      "",
		`cannot read customers.CSV`:                                   "",
		`no profile has the attribute "e_mail" (did you mean email?)`: "",
		`Omnisend did not answer for 1m0s (since 12:00): EOF`:         "",
	} {
		require.Equal(t, want, Internals(msg), msg)
	}
}
