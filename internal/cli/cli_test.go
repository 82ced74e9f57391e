package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"segbridge/internal/messagecheck"
	"segbridge/internal/store/postgres/pgtest"
)

// messages collects every error line the tests provoke: none may show
// internals (a driver's prefix, a Go identifier).
var messages = &messagecheck.Collector{}

func TestMain(m *testing.M) { os.Exit(messages.Main(m, os.Stderr)) }

// bundle is one isolated segbridge installation for a test.
type bundle struct {
	t   *testing.T
	dir string
	env map[string]string
	// memoryLimit is the Go runtime memory limit the last command set (0:
	// none); commands never set the test process's own.
	memoryLimit int64
}

// onEachEngine runs fn on SQLite and, when the test server is configured,
// on PostgreSQL.
func onEachEngine(t *testing.T, fn func(t *testing.T, b *bundle)) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) { fn(t, setup(t)) })
	t.Run("postgres", func(t *testing.T) {
		b := setup(t)
		b.env["SEGBRIDGE_DATABASE_URL"] = pgtest.URL(t)
		fn(t, b)
	})
}

func setup(t *testing.T) *bundle {
	t.Helper()
	t.Parallel()
	dir := t.TempDir()
	return &bundle{t: t, dir: dir, env: map[string]string{"SEGBRIDGE_DATA_DIR": filepath.Join(dir, "data")}}
}

// run executes segbridge with args and returns exit code, stdout, stderr.
func (b *bundle) run(args ...string) (int, string, string) {
	b.t.Helper()
	var out, errOut bytes.Buffer
	g := &globals{in: strings.NewReader(""), out: &out, errOut: &errOut, getenv: func(k string) string { return b.env[k] },
		setMemoryLimit: func(n int64) { b.memoryLimit = n }}
	root := newRoot(g)
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&errOut)
	code := 0
	if err := root.ExecuteContext(context.Background()); err != nil {
		errOut.WriteString("segbridge: error: " + oneLine(err) + "\n")
		messages.Add("segbridge "+strings.Join(args, " "), oneLine(err))
		code = 1
	}
	return code, out.String(), errOut.String()
}

// ok runs and requires success, returning stdout.
func (b *bundle) ok(args ...string) string {
	b.t.Helper()
	code, out, errOut := b.run(args...)
	require.Equal(b.t, 0, code, "segbridge %v failed: %s", args, errOut)
	return out
}

// fails runs and requires exactly one error line, returning it.
func (b *bundle) fails(args ...string) string {
	b.t.Helper()
	code, _, errOut := b.run(args...)
	require.NotEqual(b.t, 0, code, "segbridge %v should fail", args)
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	last := lines[len(lines)-1]
	require.True(b.t, strings.HasPrefix(last, "segbridge: error: "), "error line: %q", errOut)
	return last
}

func (b *bundle) file(name, content string) string {
	b.t.Helper()
	p := filepath.Join(b.dir, name)
	require.NoError(b.t, os.WriteFile(p, []byte(content), 0o600))
	return p
}

const customersCSV = "\uFEFFid;email;country_code;orders;vip\n" +
	"c1;a@example.com;CZ;5;true\n" +
	"c2;b@example.com;DE;1;false\n" +
	"c3;\"c;semi@example.com\";CZ;2;\n"

func TestImportAndUpsert(t *testing.T) { onEachEngine(t, testImportAndUpsert) }

func testImportAndUpsert(t *testing.T, b *bundle) {
	f := b.file("c.csv", customersCSV)
	require.Equal(t, "imported 3, updated 0, unchanged 0, rejected 0\n", b.ok("import", "profiles", f, "--id", "id"))
	require.Equal(t, "3\n", b.ok("profiles", "count"))

	f2 := b.file("c2.csv", "id,email,country_code,orders\nc1,a@example.com,CZ,6\nc2,b@example.com,DE,1\nc4,d@example.com,FR,0\n")
	require.Equal(t, "imported 1, updated 2, unchanged 0, rejected 0\n", b.ok("import", "profiles", f2, "--id", "id"))
	require.Equal(t, "4\n", b.ok("profiles", "count"))

	var p profileJSON
	require.NoError(t, json.Unmarshal([]byte(b.ok("profiles", "show", "c1", "--output", "json")), &p))
	require.Equal(t, "CZ", p.Attrs["country_code"])
	require.EqualValues(t, 6, p.Attrs["orders"])
	_, hasVIP := p.Attrs["vip"]
	require.False(t, hasVIP, "an upsert replaces the attributes with the new row's")

	var list []profileJSON
	require.NoError(t, json.Unmarshal([]byte(b.ok("profiles", "list", "--limit", "2", "--output", "json")), &list))
	require.Len(t, list, 2)
	require.Equal(t, "c1", list[0].ID)
	require.Contains(t, b.ok("profiles", "list", "--after", "c2"), "c3")
}

func TestImportJSONL(t *testing.T) { onEachEngine(t, testImportJSONL) }

func testImportJSONL(t *testing.T, b *bundle) {
	f := b.file("p.jsonl", `{"id": 7, "email": "x@example.com", "ltv": 12.5}`+"\n"+`{"id": "8", "tags": ["a"]}`+"\n")
	_, out, errOut := b.run("import", "profiles", f, "--id", "id")
	require.Equal(t, "imported 1, updated 0, unchanged 0, rejected 1\n", out)
	require.Contains(t, errOut, "line 2")
	require.Contains(t, b.ok("profiles", "show", "7"), "12.5")
}

func TestImportRejectsRowsWithLineNumbers(t *testing.T) {
	onEachEngine(t, testImportRejectsRowsWithLineNumbers)
}

func testImportRejectsRowsWithLineNumbers(t *testing.T, b *bundle) {
	f := b.file("bad.csv", "id,email\nc1,a@example.com\n,nobody@example.com\nc3,c@example.com,extra\nc4,d@example.com\n")
	code, out, errOut := b.run("import", "profiles", f, "--id", "id")
	require.Equal(t, 0, code)
	require.Equal(t, "imported 2, updated 0, unchanged 0, rejected 2\n", out)
	require.Contains(t, errOut, "line 3")
	require.Contains(t, errOut, "line 4")
}

func TestImportStrictWritesNothing(t *testing.T) { onEachEngine(t, testImportStrictWritesNothing) }

func testImportStrictWritesNothing(t *testing.T, b *bundle) {
	f := b.file("bad.csv", "id,email\nc1,a@example.com\n,nobody@example.com\n")
	line := b.fails("import", "profiles", f, "--id", "id", "--strict")
	require.Contains(t, line, "nothing written")
	require.Equal(t, "0\n", b.ok("profiles", "count"))
	good := b.file("good.csv", "id,email\nc1,a@example.com\n")
	require.Equal(t, "imported 1, updated 0, unchanged 0, rejected 0\n", b.ok("import", "profiles", good, "--id", "id", "--strict"))
}

func TestBadInputGivesOneErrorLine(t *testing.T) {
	b := setup(t)
	f := b.file("c.csv", customersCSV)
	require.Contains(t, b.fails("import", "profiles", filepath.Join(b.dir, "missing.csv"), "--id", "id"), "no such file")
	require.Contains(t, b.fails("import", "profiles", b.dir, "--id", "id"), "directory")
	require.Contains(t, b.fails("import", "profiles", f, "--id", "customer_id"), `"customer_id"`)
	require.Contains(t, b.fails("import", "profiles", f), `"id" not set`)
	require.Contains(t, b.fails("import", "profiles", f, "--id", "id", "--format", "xml"), "xml")
	require.Contains(t, b.fails("segment", "create", "X", "--rule", "nosuch(p.email)"), "undeclared reference to 'nosuch'")
	require.Contains(t, b.fails("segment", "create", "X", "--rule", "p.email.frobnicate()"), "frobnicate")
	require.Contains(t, b.fails("segment", "create", "X", "--rule", "p.orders >"), "line 1")
	require.Contains(t, b.fails("segment", "refresh", "nope"), `no segment named "nope"`)
	require.Contains(t, b.fails("profiles", "show", "nope"), `no profile with id "nope"`)
	require.Contains(t, b.fails("--db", "mysql://x", "profiles", "count"), "want sqlite")
	require.Contains(t, b.fails("profiles", "list", "--output", "yaml"), "yaml")
	require.Contains(t, b.fails("nosuchcommand"), "unknown command")
	require.Contains(t, b.fails("--outage-limit", "5", "profiles", "count"), `--outage-limit "5": want a duration from 1s to 168h0m0s with its unit`)
	require.Contains(t, b.fails("--outage-limit", "0s", "profiles", "count"), "--outage-limit")
}

func TestRuleSegmentRefresh(t *testing.T) { onEachEngine(t, testRuleSegmentRefresh) }

func testRuleSegmentRefresh(t *testing.T, b *bundle) {
	b.ok("import", "profiles", b.file("c.csv", customersCSV), "--id", "id")
	require.Contains(t, b.ok("segment", "create", "Czech buyers", "--rule", `p.country_code == "CZ" && p.orders > 1`), "czech-buyers")
	require.Contains(t, b.fails("segment", "create", "CZECH BUYERS", "--rule", "true"), "already exists")
	require.Contains(t, b.ok("segment", "list"), "never")
	require.Contains(t, b.ok("segment", "preview", "Czech buyers"), "2 of 3 profiles match")
	require.Contains(t, b.ok("segment", "preview", "--rule", "p.vip"), "1 of 3 profiles match")

	require.Contains(t, b.ok("segment", "refresh", "czech-buyers"), "2 members of 3 profiles (+2 joined, -0 left)")
	var segs []segmentJSON
	require.NoError(t, json.Unmarshal([]byte(b.ok("segment", "list", "-o", "json")), &segs))
	require.Len(t, segs, 1)
	require.Equal(t, 2, segs[0].Members)
	require.NotNil(t, segs[0].RefreshedAt)

	b.ok("import", "profiles", b.file("c2.csv", "id,country_code,orders\nc1,CZ,0\n"), "--id", "id")
	require.Contains(t, b.ok("segment", "refresh"), "1 members of 3 profiles (+0 joined, -1 left)")
}

func TestStaticSegment(t *testing.T) { onEachEngine(t, testStaticSegment) }

func testStaticSegment(t *testing.T, b *bundle) {
	b.ok("import", "profiles", b.file("c.csv", customersCSV), "--id", "id")
	ids := b.file("ids.txt", "# picked by hand\nc2\n\nc3\nc3\nghost\n")
	b.ok("segment", "create", "Hand picked", "--ids", ids)
	code, out, errOut := b.run("segment", "refresh", "Hand picked")
	require.Equal(t, 0, code)
	require.Contains(t, out, "2 members")
	require.Contains(t, errOut, "1 listed ids match no imported profile")
	require.Contains(t, b.ok("segment", "list"), "static list of 3 ids")
	require.Contains(t, b.fails("segment", "create", "Empty", "--ids", b.file("none.txt", "\n")), "at least one")
	b.ok("segment", "delete", "hand-picked")
	require.NotContains(t, b.ok("segment", "list"), "Hand picked")
}

func TestSegmentUpdate(t *testing.T) { onEachEngine(t, testSegmentUpdate) }

func testSegmentUpdate(t *testing.T, b *bundle) {
	b.ok("import", "profiles", b.file("c.csv", customersCSV), "--id", "id")
	b.ok("segment", "create", "Buyers", "--rule", "p.orders >= 1")
	before := b.ok("segment", "refresh", "Buyers")
	require.Contains(t, b.ok("segment", "update", "Buyers", "--rule", "p.orders >= 1000"), `updated the rule of segment "Buyers"`)
	require.Contains(t, b.ok("segment", "list"), "p.orders >= 1000")
	after := b.ok("segment", "refresh", "Buyers")
	require.NotEqual(t, before, after)
	require.Contains(t, after, "0 members")
	require.Contains(t, b.fails("segment", "update", "Buyers", "--rule", "p.orders >="), "rule error at line 1")
	require.Contains(t, b.fails("segment", "update", "Nobody", "--rule", "true"), "Nobody")
	b.ok("segment", "create", "Hand picked", "--ids", b.file("ids.txt", "c1\n"))
	require.Contains(t, b.fails("segment", "update", "Hand picked", "--rule", "true"), "static")
}

func TestHelpEverywhere(t *testing.T) {
	b := setup(t)
	for _, args := range [][]string{{}, {"import", "profiles"}, {"segment", "create"}, {"demo-data"}, {"profiles", "list"}, {"demo"}} {
		out := b.ok(append(args, "--help")...)
		require.Contains(t, out, "Usage:", "help for %v", args)
	}
}

func TestSandboxFlagErrors(t *testing.T) {
	b := setup(t)
	require.Contains(t, b.ok("sandbox", "--help"), "--time-scale")
	require.Contains(t, b.fails("sandbox", "--fault-5xx", "2"), "--fault-5xx")
	require.Contains(t, b.fails("sandbox", "--key", ""), "--key")
	require.Contains(t, b.fails("sandbox", "--time-scale", "abc"), "time-scale")
}
