package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"segbridge/internal/app"

	"segbridge/internal/profile"
)

func newImportCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "import",
		Short: "Import data into segbridge",
	}
	cmd.AddCommand(newImportProfilesCmd(g))
	return cmd
}

type importFlags struct {
	id, format, delimiter string
	strict                bool
	batch                 int
	types                 []string
}

func newImportProfilesCmd(g *globals) *cobra.Command {
	var f importFlags
	cmd := &cobra.Command{
		Use:   "profiles FILE",
		Short: "Import unified customer profiles from CSV or JSON Lines",
		Long: `Import unified customer profiles from a CSV file (header row; comma, semicolon
or tab separated; quoted fields; UTF-8 with or without BOM) or a JSON Lines
file (one object per line).

Re-importing upserts by id: new profiles are added, changed ones updated,
unchanged ones left alone. Values are typed: whole numbers, decimals, true/false
and strings; empty cells are absent. Number-looking text stays a string when it
has leading zeros (01234) or a leading +, and so do the numbers of columns whose
name says postal code or phone number (postal_code, zip, phone, mobile, …).
--type ATTRIBUTE=TYPE pins an attribute's type (string, integer, decimal,
boolean, date or timestamp) for this and later imports; a value that does not
fit is a bad row. segbridge profiles schema shows every attribute's type.

A bad row is reported with its line number: a row with fewer or more fields
than the header, a row repeating an earlier row's id (duplicate_id; the first
is kept), invalid UTF-8. The good rows are imported, unless --strict is given:
then the import is one transaction and nothing is written unless every row is
good (nor when it is interrupted). An interrupted import says how many rows
were committed; an import that rejects every row fails.`,
		Example: `  segbridge import profiles customers.csv --id customer_id
  segbridge import profiles customers.jsonl --id id --strict
  segbridge import profiles customers.csv --id id --type postal_code=string --type vip=boolean`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runImport(cmd, g, args[0], f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.id, "id", "", "column (CSV) or field (JSONL) that holds the profile id (required)")
	fl.StringVar(&f.format, "format", "", "csv or jsonl (default: from the file extension; .jsonl/.ndjson/.json are JSON Lines)")
	fl.StringVar(&f.delimiter, "delimiter", "", `CSV delimiter: ",", ";" or "\t" (default: detected from the header)`)
	fl.BoolVar(&f.strict, "strict", false, "write nothing if any row is rejected")
	fl.IntVar(&f.batch, "batch-size", 1000, "profiles written per transaction")
	fl.StringArrayVar(&f.types, "type", nil, "pin an attribute's type, ATTRIBUTE=TYPE (string, integer, decimal, boolean, date, timestamp; repeatable)")
	_ = cmd.MarkFlagRequired("id")
	return cmd
}

func (f importFlags) readOptions(path string) (profile.ReadOptions, error) {
	opts := profile.ReadOptions{IDColumn: f.id, Format: profile.FormatFromPath(path)}
	if f.format != "" {
		format, err := profile.ParseFormat(f.format)
		if err != nil {
			return opts, fmt.Errorf("--format: %w", err)
		}
		opts.Format = format
	}
	switch d := f.delimiter; {
	case d == "":
	case d == `\t` || d == "tab":
		opts.Delimiter = '\t'
	case utf8.RuneCountInString(d) == 1 && (d == "," || d == ";" || d == "\t"):
		opts.Delimiter, _ = utf8.DecodeRuneInString(d)
	default:
		return opts, fmt.Errorf(`--delimiter %q: want ",", ";" or "\t"`, d)
	}
	if f.batch < 1 || f.batch > 10000 {
		return opts, fmt.Errorf("--batch-size %d: want 1 to 10000", f.batch)
	}
	return opts, nil
}

// pins reads the --type flags.
func (f importFlags) pins() (map[string]profile.Type, error) {
	pins := map[string]profile.Type{}
	for _, v := range f.types {
		name, t, err := profile.ParsePin(v)
		if err != nil {
			return nil, fmt.Errorf("--type %w", err)
		}
		pins[name] = t
	}
	return pins, nil
}

func runImport(cmd *cobra.Command, g *globals, path string, f importFlags) error {
	ropts, err := f.readOptions(path)
	if err != nil {
		return err
	}
	pins, err := f.pins()
	if err != nil {
		return err
	}
	mem, err := g.limitMemory(defaultImportMemoryLimit)
	if err != nil {
		return err
	}
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("cannot read %s: %w", path, errors.Unwrap(err))
	}
	if st.IsDir() {
		return fmt.Errorf("cannot read %s: it is a directory", path)
	}
	return g.withApp(cmd.Context(), func(a *app.App) error {
		fh, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("cannot read %s: %w", path, errors.Unwrap(err))
		}
		defer fh.Close()
		bar := g.newProgress(st.Size(), "importing")
		counter := &countingReader{r: fh}
		opts := profile.ImportOptions{Read: ropts, Strict: f.strict, BatchSize: f.batch, Now: a.Now, Source: filepath.Base(path)}
		opts.Progress = func(rows int) {
			mem.followRows(rows)
			if bar != nil {
				_ = bar.Set64(counter.n)
			}
		}
		sum, err := a.Services.Profiles.Import(cmd.Context(), g.actor, counter, opts, pins)
		if bar != nil {
			_ = bar.Finish()
		}
		reportRejected(g, path, sum)
		return importResult(g, path, sum, err)
	})
}

// reportRejected prints the rejected rows kept, with the advice to
// convert the file when some are not UTF-8.
func reportRejected(g *globals, path string, sum profile.ImportSummary) {
	for _, re := range sum.Errors {
		fmt.Fprintf(g.errOut, "%s: rejected %s\n", path, re)
	}
	if sum.Rejected > len(sum.Errors) {
		fmt.Fprintf(g.errOut, "%s: … and %d more rejected rows\n", path, sum.Rejected-len(sum.Errors))
	}
	if sum.InvalidUTF8 > 0 && sum.InvalidUTF8 < sum.Rows {
		fmt.Fprintf(g.errOut, "%s: %d rows are not valid UTF-8: %s\n", path, sum.InvalidUTF8, profile.ConvertHint(path))
	}
}

// importResult prints the summary of an import that ran to its end, or
// turns its error into the one line the user sees.
func importResult(g *globals, path string, sum profile.ImportSummary, err error) error {
	var ae *profile.AllRejectedError
	switch {
	case err == nil:
		fmt.Fprintln(g.out, sum.String())
		return nil
	case errors.As(err, &ae):
		ae.Path = path
		return fmt.Errorf("%s: %w", path, ae)
	case errors.Is(err, profile.ErrStrictRejected):
		return fmt.Errorf("%s: %w (rerun without --strict to import the good rows)", path, err)
	}
	var ie *profile.InterruptedError
	if errors.As(err, &ie) && !ie.Strict {
		return fmt.Errorf("%s: %w; %s", path, err, sum.String())
	}
	return fmt.Errorf("%s: %w", path, err)
}

// countingReader counts the bytes read through it, for the progress bar.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
