// Package cli holds segbridge's cobra commands. Commands parse flags, call
// into internal/app and the domain packages, and render results; they hold
// no business logic of their own.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"segbridge/internal/user"
)

// globals are the flags and streams every command shares.
type globals struct {
	in       io.Reader
	out      io.Writer
	errOut   io.Writer
	getenv   func(string) string
	dbURL    string
	dataDir  string
	logLevel string
	// outageLimit is --outage-limit as given: how long runs wait out an
	// Omnisend outage ("": the environment's, else the default).
	outageLimit string
	// as is --as: the user the command acts as ("": the local operator).
	as string
	// actor is who the command acts as, set when the application opens.
	actor user.Principal
	// setMemoryLimit sets the Go runtime's soft memory limit (nil:
	// debug.SetMemoryLimit; tests record it instead).
	setMemoryLimit func(bytes int64)
}

// Execute runs the segbridge command line with args and returns the process
// exit code. Errors are printed as one line on errOut.
func Execute(ctx context.Context, args []string, in io.Reader, out, errOut io.Writer) int {
	g := &globals{in: in, out: out, errOut: errOut, getenv: os.Getenv}
	root := newRoot(g)
	root.SetArgs(args)
	root.SetIn(in)
	root.SetOut(out)
	root.SetErr(errOut)
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintf(errOut, "segbridge: error: %s\n", oneLine(err))
		var ec exitCoder
		if errors.As(err, &ec) {
			return ec.ExitCode()
		}
		return 1
	}
	return 0
}

type exitCoder interface{ ExitCode() int }

func newRoot(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:   "segbridge",
		Short: "Keep customer segments alive in Omnisend",
		Long: `segbridge keeps segments of unified customer profiles alive in Omnisend:
it imports profiles, evaluates segments (CEL rules or static lists) and exports
their members as tagged Omnisend contacts.

Storage is SQLite in --data-dir by default (nothing to install), or PostgreSQL
with --db postgres://...

Environment:
  SEGBRIDGE_DATABASE_URL     same as --db
  SEGBRIDGE_DATA_DIR         same as --data-dir
  SEGBRIDGE_MASTER_KEY       base64 of 32 bytes sealing API keys at rest (default:
                             master.key, mode 0600, created in the data directory)
  SEGBRIDGE_OMNISEND_WINDOW  Omnisend's rate-limit window (default 1m); set 1s to
                             match a sandbox started with --time-scale 60
  SEGBRIDGE_OMNISEND_BUDGET  requests per brand and window segbridge allows itself
                             (default 360 of Omnisend's 400; tag routes the same
                             fraction of their 60); shared by every process on
                             one PostgreSQL database
  SEGBRIDGE_OUTAGE_LIMIT     same as --outage-limit
  SEGBRIDGE_MEMORY_LIMIT     soft memory limit of the Go runtime, such as 512MiB,
                             or off (default: 224MiB for "import profiles",
                             raised past 10 million rows; none for other
                             commands; GOMEMLIMIT, when set, wins)
  SEGBRIDGE_RUN_LEASE        how long a run's process holds it between renewals
                             (default 30s): a killed process's run can be taken
                             over that long after
  SEGBRIDGE_ADMIN_EMAIL      serve: the first admin, created when there are no
  SEGBRIDGE_ADMIN_PASSWORD   users (without a password, one is generated and
                             printed once)

Start with: segbridge demo`,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetFlagErrorFunc(flagError)
	pf := root.PersistentFlags()
	pf.StringVar(&g.dbURL, "db", "", "database URL: sqlite:///path/file.db or postgres://... (env SEGBRIDGE_DATABASE_URL; default: SQLite in --data-dir)")
	pf.StringVar(&g.dataDir, "data-dir", "", "directory for the embedded SQLite database and local files (env SEGBRIDGE_DATA_DIR; default ./segbridge-data)")
	pf.StringVar(&g.logLevel, "log-level", "warn", "log level: debug, info, warn or error")
	pf.StringVar(&g.as, "as", "", "act as this user (e-mail), with their role, instead of as the local operator (an admin, \"cli:<os user>@<host>\" in the audit log)")
	pf.StringVar(&g.outageLimit, "outage-limit", "", "how long a run waits out an Omnisend outage (refused connections, timeouts, 5xx, 429) before it fails with the cause; the export's next run continues it (env SEGBRIDGE_OUTAGE_LIMIT; default 30m)")
	root.AddCommand(
		newMigrateCmd(g),
		newImportCmd(g),
		newProfilesCmd(g),
		newSegmentCmd(g),
		newConnectionCmd(g),
		newExportCmd(g),
		newDemoDataCmd(g),
		newSandboxCmd(g),
		newDemoCmd(g),
		newWorkerCmd(g),
		newServeCmd(g),
		newUserCmd(g),
		newTokenCmd(g),
		newExplainCmd(g),
		newNotifyCmd(g),
		newSourceCmd(g),
		newRefreshCmd(g),
		newSystemCmd(g),
	)
	return root
}

// flagError words a flag the parser refused in plain words: the flag, the
// value and what it wants, without the parser's internals
// ("strconv.ParseFloat: parsing …: invalid syntax").
func flagError(_ *cobra.Command, err error) error {
	msg := err.Error()
	head, detail, ok := strings.Cut(msg, " flag: ")
	if !ok || !strings.HasPrefix(head, "invalid argument ") {
		return err
	}
	want := ""
	switch {
	case strings.Contains(detail, "ParseFloat"):
		want = "want a number, such as 1.5"
	case strings.Contains(detail, "ParseInt"), strings.Contains(detail, "ParseUint"):
		want = "want a whole number"
	case strings.Contains(detail, "ParseBool"):
		want = "want true or false"
	case strings.Contains(detail, "time: "):
		want = "want a duration with its unit, such as 30s or 5m"
	default:
		return err
	}
	if strings.Contains(detail, "value out of range") {
		want = "the number is out of range"
	}
	return fmt.Errorf("%s: %s", strings.TrimPrefix(head, "invalid argument "), want)
}
