package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestImportShortRowKeepsProfile: a row with fewer fields than the header
// is rejected with its line number, and the stored profile keeps its
// attributes.
func TestImportShortRowKeepsProfile(t *testing.T) { onEachEngine(t, testImportShortRowKeepsProfile) }

func testImportShortRowKeepsProfile(t *testing.T, b *bundle) {
	b.ok("import", "profiles", b.file("a.csv", "id,email,city\nc1,a@example.com,Brno\nc2,b@example.com,Praha\n"), "--id", "id")
	code, out, errOut := b.run("import", "profiles", b.file("b.csv", "id,email,city\nc1,new@example.com\nc2,b@example.com,Ostrava\n"), "--id", "id")
	require.Equal(t, 0, code, errOut)
	require.Equal(t, "imported 0, updated 1, unchanged 0, rejected 1\n", out)
	require.Contains(t, errOut, "b.csv: rejected line 2: has 2 fields, header has 3")
	show := b.ok("profiles", "show", "c1")
	require.Contains(t, show, "a@example.com")
	require.Contains(t, show, "Brno")
}

// TestImportDuplicateIDs: rows repeating an id of the file are reported
// as duplicate_id with their line numbers; the first is kept.
func TestImportDuplicateIDs(t *testing.T) { onEachEngine(t, testImportDuplicateIDs) }

func testImportDuplicateIDs(t *testing.T, b *bundle) {
	code, out, errOut := b.run("import", "profiles", b.file("d.csv", "id,email\nc1,a@example.com\nc2,b@example.com\nc1,other@example.com\n"), "--id", "id")
	require.Equal(t, 0, code, errOut)
	require.Equal(t, "imported 2, updated 0, unchanged 0, rejected 1\n", out)
	require.Contains(t, errOut, `rejected line 4: duplicate_id: id "c1" is also on line 2 (the first one is kept)`)
	require.Contains(t, b.ok("profiles", "show", "c1"), "a@example.com")
	require.Contains(t, b.fails("import", "profiles", b.file("d2.csv", "id,email\nc9,a@example.com\nc9,b@example.com\n"), "--id", "id", "--strict"),
		"nothing written")
	require.Equal(t, "2\n", b.ok("profiles", "count"))
}

// TestImportAllRejectedFails: an import that rejects every row exits
// non-zero; for invalid UTF-8 it says how to convert the file.
func TestImportAllRejectedFails(t *testing.T) { onEachEngine(t, testImportAllRejectedFails) }

func testImportAllRejectedFails(t *testing.T, b *bundle) {
	f := b.file("latin1.csv", "id,name\nc1,Jos\xe9\nc2,Ren\xe9e\n")
	line := b.fails("import", "profiles", f, "--id", "id")
	require.Equal(t, "segbridge: error: "+f+": every row was rejected (2 of 2): nothing was imported; 2 rows are not valid UTF-8: "+
		"convert the file to UTF-8 first, e.g. iconv -f latin1 -t utf-8 "+f+" > "+strings.TrimSuffix(f, ".csv")+".utf8.csv", line)
	_, _, errOut := b.run("import", "profiles", b.file("some.csv", "id,name\nc1,Jos\xe9\nc2,Ann\n"), "--id", "id")
	require.Contains(t, errOut, "1 rows are not valid UTF-8: convert the file to UTF-8 first")
	require.Contains(t, b.fails("import", "profiles", b.file("empty-ids.csv", "id,name\n,x\n"), "--id", "id"), "every row was rejected (1 of 1)")
}

// TestImportStrictLargeIsAtomic: a strict import of several batches with
// one bad row at the end writes nothing.
func TestImportStrictLargeIsAtomic(t *testing.T) { onEachEngine(t, testImportStrictLargeIsAtomic) }

func testImportStrictLargeIsAtomic(t *testing.T, b *bundle) {
	var csv strings.Builder
	csv.WriteString("id,email\n")
	for i := range 3500 {
		fmt.Fprintf(&csv, "c%d,c%d@example.com\n", i, i)
	}
	csv.WriteString("c0,again@example.com\n")
	require.Contains(t, b.fails("import", "profiles", b.file("big.csv", csv.String()), "--id", "id", "--strict"), "nothing written")
	require.Equal(t, "0\n", b.ok("profiles", "count"))
	require.Contains(t, b.ok("profiles", "schema"), "0 attributes over 0 profiles")
}

// TestImportInterrupted: an interrupted import says exactly how many rows
// were committed, and that many are stored; a strict one leaves nothing.
// The file's first 5000 rows arrive at once: five full batches, each
// written as soon as it is read; the import is interrupted while it waits
// for more.
func TestImportInterrupted(t *testing.T) {
	t.Parallel()
	for _, strict := range []bool{false, true} {
		t.Run(fmt.Sprint("strict=", strict), func(t *testing.T) {
			b := setup(t)
			fifo := filepath.Join(b.dir, "pipe.csv")
			require.NoError(t, syscall.Mkfifo(fifo, 0o600))
			more, wrote, done := make(chan struct{}), make(chan struct{}), make(chan struct{})
			go func() { // the writing end: 5000 rows, then one more when told
				defer close(done)
				w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
				if err != nil {
					return
				}
				defer w.Close()
				var rows bytes.Buffer
				rows.WriteString("id,email\n")
				for i := range 5000 {
					fmt.Fprintf(&rows, "c%05d,c%d@example.com\n", i, i)
				}
				_, _ = w.Write(rows.Bytes())
				close(wrote) // all but what the pipe holds (64 KiB) is read
				<-more
				_, _ = w.Write([]byte("c99999,last@example.com\n"))
			}()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			type result struct {
				code   int
				errOut string
			}
			res := make(chan result, 1)
			go func() {
				code, _, errOut := b.runCtx(ctx, "import", "profiles", fifo, "--id", "id", "--strict="+fmt.Sprint(strict))
				res <- result{code, errOut}
			}()
			if !strict {
				require.Eventually(t, func() bool { return b.ok("profiles", "count") == "5000\n" }, 30*time.Second, 20*time.Millisecond)
			} else {
				select { // most rows are read and written in the transaction
				case <-wrote:
				case r := <-res:
					t.Fatalf("the import ended before it read the rows: %d %s", r.code, r.errOut)
				case <-time.After(time.Minute):
					t.Fatal("the import did not read the rows in a minute")
				}
			}
			cancel()
			close(more)
			r := <-res
			// Should the import have stopped before opening the pipe, open
			// its reading end here, so that the writer is not left waiting.
			go func() {
				select {
				case <-done:
					return
				default:
				}
				if rd, err := os.Open(fifo); err == nil { // pairs with the writer's open
					_, _ = io.Copy(io.Discard, rd)
					_ = rd.Close()
				}
			}()
			<-done
			require.Equal(t, 1, r.code, r.errOut)
			if strict {
				require.Contains(t, r.errOut, "import interrupted: nothing was imported (a strict import is all or nothing)")
				require.Equal(t, "0\n", b.ok("profiles", "count"))
				return
			}
			require.Contains(t, r.errOut, "import interrupted: 5000 rows were committed, the rows after them were not")
			require.Contains(t, r.errOut, "imported 5000, updated 0, unchanged 0, rejected 0")
			require.Equal(t, "5000\n", b.ok("profiles", "count"))
		})
	}
}

// runCtx is run with a context.
func (b *bundle) runCtx(ctx context.Context, args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	g := &globals{in: strings.NewReader(""), out: &out, errOut: &errOut, getenv: func(k string) string { return b.env[k] },
		setMemoryLimit: func(int64) {}}
	root := newRoot(g)
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&errOut)
	if err := root.ExecuteContext(ctx); err != nil {
		errOut.WriteString("segbridge: error: " + oneLine(err) + "\n")
		return 1, out.String(), errOut.String()
	}
	return 0, out.String(), errOut.String()
}

// TestUnwritableDataDirIsOneLine: a data directory that cannot be
// written is one plain line (a path under a regular file fails for root
// too).
func TestUnwritableDataDirIsOneLine(t *testing.T) {
	b := setup(t)
	file := b.file("plain-file", "x")
	_, _, errOut := b.run("--data-dir", filepath.Join(file, "data"), "profiles", "count")
	require.Equal(t, "segbridge: error: cannot write the data directory "+filepath.Join(file, "data")+": "+file+" is a file, not a directory\n", errOut)
	b.env["SEGBRIDGE_DATA_DIR"] = file
	_, _, errOut = b.run("import", "profiles", b.file("c.csv", customersCSV), "--id", "id")
	require.Equal(t, "segbridge: error: cannot write the data directory "+file+": "+file+" is a file, not a directory\n", errOut)
}
