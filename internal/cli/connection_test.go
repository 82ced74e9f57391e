package cli

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"segbridge/internal/app"
	"segbridge/internal/audit"
	"segbridge/internal/connection"
	"segbridge/internal/omnisend/sandbox"
)

const (
	cliGoodKey = "cli-good-0123456789abcdef0123456789abcdef-k9q7"
	cliROKey   = "cli-ro-0123456789abcdef0123456789abcdef-r0r0"
)

// sandboxURL starts a sandbox Omnisend with a good and a read-only key.
func sandboxURL(t *testing.T) string {
	t.Helper()
	sb, err := sandbox.New(sandbox.Config{Keys: []sandbox.Key{
		{Key: cliGoodKey, BrandID: "brand-cli", BrandName: "CLI Shop"},
		{Key: cliROKey, BrandID: "brand-cli", BrandName: "CLI Shop", ReadOnly: true},
	}})
	require.NoError(t, err)
	srv := httptest.NewServer(sb)
	t.Cleanup(func() { srv.Close(); sb.Close() })
	return srv.URL
}

// exportAdmin adds admin@example.com, the export user of createArgs: a
// connection's export user must be an admin.
func (b *bundle) exportAdmin() {
	b.t.Helper()
	b.ok("user", "add", "admin@example.com", "--role", "admin")
}

// createArgs are the arguments of a complete `connection create` (its
// export user: see exportAdmin).
func createArgs(name, url string, extra ...string) []string {
	return append([]string{"connection", "create", name, "--base-url", url,
		"--export-user", "admin@example.com", "--consent-by", "alice", "--agree-to-notice"}, extra...)
}

func TestConnectionLifecycle(t *testing.T) { onEachEngine(t, testConnectionLifecycle) }

func testConnectionLifecycle(t *testing.T, b *bundle) {
	url := sandboxURL(t)
	b.exportAdmin()
	keyFile := b.file("omnisend.key", cliGoodKey+"\n")
	out := b.ok(createArgs("Main shop", url, "--api-key-file", keyFile)...)
	require.Contains(t, out, "connected to Omnisend brand CLI Shop (brand-cli)")
	require.Contains(t, out, "key …k9q7, admins only")

	b.env["OMNISEND_KEY"] = cliGoodKey
	b.ok(createArgs("Helpers", url, "--api-key-env", "OMNISEND_KEY", "--access", "contributors")...)
	require.Contains(t, b.fails(createArgs("MAIN SHOP", url, "--api-key-env", "OMNISEND_KEY")...), "already exists")

	list := b.ok("connection", "list")
	require.Contains(t, list, "NAME")
	require.Contains(t, list, "Main shop")
	require.Contains(t, list, "…k9q7")
	require.Contains(t, list, "contributors")
	var conns []connection.Connection
	require.NoError(t, json.Unmarshal([]byte(b.ok("connection", "list", "-o", "json")), &conns))
	require.Len(t, conns, 2)
	require.Equal(t, "Helpers", conns[0].Name)
	require.Equal(t, "k9q7", conns[1].KeyLast4)
	require.Equal(t, "alice", conns[1].Consent.By)
	require.Equal(t, connection.NoticeVersion, conns[1].Consent.NoticeVersion)

	show := b.ok("connection", "show", "main shop")
	require.Contains(t, show, "alice agreed to notice "+connection.NoticeVersion)
	require.Contains(t, show, "admin@example.com")
	require.Contains(t, b.ok("connection", "check", "Main shop"), `connection "Main shop" works: Omnisend brand CLI Shop (brand-cli)`)

	for _, args := range [][]string{{"connection", "list"}, {"connection", "list", "-o", "json"}, {"connection", "show", "Main shop"},
		{"connection", "show", "Main shop", "-o", "json"}} {
		require.NotContains(t, b.ok(args...), cliGoodKey[:len(cliGoodKey)-4], "segbridge %v", args)
	}

	require.Contains(t, b.fails("connection", "remove", "Main shop"), "pass --yes")
	require.Contains(t, b.ok("connection", "remove", "Main shop", "--yes"), `removed connection "Main shop"`)
	require.NotContains(t, b.ok("connection", "list"), "Main shop")
	require.Contains(t, b.fails("connection", "show", "Main shop"), `no connection named "Main shop"`)
	require.Contains(t, b.fails("connection", "remove", "Main shop", "--yes"), `no connection named "Main shop"`)

	b.withApp(func(a *app.App) {
		entries, err := a.Audit.List(t.Context(), audit.ListOptions{})
		require.NoError(t, err)
		var got []string
		for _, e := range entries {
			require.True(t, strings.HasPrefix(e.Actor, "cli:"), "the local operator: %s", e.Actor)
			got = append(got, e.Action+" "+e.Target)
		}
		require.Equal(t, []string{"connection.remove Main shop", "connection.check Main shop", "connection.create Helpers",
			"connection.create Main shop", "user.add admin@example.com"}, got, "one entry per change, none for a refused one")
	})
}

func TestConnectionExportUserMustBeAdmin(t *testing.T) {
	b := setup(t)
	url := sandboxURL(t)
	b.env["K"] = cliGoodKey
	require.Contains(t, b.fails(createArgs("Shop", url, "--api-key-env", "K")...),
		"export_user: admin@example.com is not an admin of segbridge (see: segbridge user list)")
	b.ok("user", "add", "admin@example.com", "--role", "contributor")
	require.Contains(t, b.fails(createArgs("Shop", url, "--api-key-env", "K")...),
		"admin@example.com is not an admin of segbridge but a contributor")
	require.Contains(t, b.fails(append(createArgs("Shop", url, "--api-key-env", "K"), "--as", "admin@example.com")...),
		"only admins may create connections; you (admin@example.com) are a contributor")
	b.ok("user", "set-role", "admin@example.com", "admin")
	require.Contains(t, b.ok(createArgs("Shop", url, "--api-key-env", "K")...), "export user admin@example.com")
	require.Contains(t, b.fails(createArgs("Other", "ftp://example.com", "--api-key-env", "K")...), "base_url: ")
}

func TestConnectionBadKeysSaveNothing(t *testing.T) {
	onEachEngine(t, testConnectionBadKeysSaveNothing)
}

func testConnectionBadKeysSaveNothing(t *testing.T, b *bundle) {
	url := sandboxURL(t)
	b.exportAdmin()
	b.env["WRONG"], b.env["RO"] = "cli-wrong-key-0123456789", cliROKey
	require.Contains(t, b.fails(createArgs("Shop", url, "--api-key-env", "WRONG")...), "Omnisend rejected the API key (HTTP 401)")
	line := b.fails(createArgs("Shop", url, "--api-key-env", "RO")...)
	require.Contains(t, line, "the API key is read-only")
	require.NotContains(t, line, cliROKey)
	require.Contains(t, b.fails(createArgs("Shop", url, "--api-key-env", "UNSET")...), "UNSET is empty or not set")
	require.Equal(t, "[]\n", b.ok("connection", "list", "-o", "json"), "nothing saved")
}

func TestConnectionNeedsConsent(t *testing.T) {
	b := setup(t)
	b.env["K"] = cliGoodKey
	code, _, errOut := b.run("connection", "create", "Shop", "--api-key-env", "K", "--export-user", "admin@example.com")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "Privacy and compliance notice (version "+connection.NoticeVersion+")")
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	require.Contains(t, lines[len(lines)-1], "consent to the privacy and compliance notice is required")
	require.Contains(t, lines[len(lines)-1], "--agree-to-notice")
}

func TestConnectionFlagErrors(t *testing.T) {
	b := setup(t)
	b.env["K"] = cliGoodKey
	url := "http://127.0.0.1:1"
	require.Contains(t, b.fails("connection", "create", "Shop", "--export-user", "a@example.com", "--agree-to-notice"), "api-key")
	require.Contains(t, b.fails(createArgs("Shop", url, "--api-key-env", "K", "--api-key-stdin")...), "none of the others can be")
	require.Contains(t, b.fails(createArgs("Shop", url, "--api-key-env", "K", "--access", "all")...), `--access: access "all"`)
	require.Contains(t, b.fails(createArgs("Shop", url, "--api-key-env", "K", "--dialect", "v5")...), `dialect "v5"`)
	require.Contains(t, b.fails(createArgs("Shop", "api.omnisend.com", "--api-key-env", "K")...), "absolute http(s) URL")
	require.Contains(t, b.fails(createArgs("Shop", url, "--api-key-stdin")...), "no API key")
	require.Contains(t, b.fails(createArgs("Shop", url, "--api-key-file", filepath.Join(b.dir, "none"))...), "no such file")
	noUser := []string{"connection", "create", "Shop", "--api-key-env", "K", "--agree-to-notice", "--base-url", url}
	require.Contains(t, b.fails(noUser...), "--consent-by: say who agrees")
	b.env["USER"] = "bob"
	require.Contains(t, b.fails(noUser...), "export user is required", "$USER is the default --consent-by")
	b.exportAdmin()
	require.Contains(t, b.fails(createArgs("Shop", url, "--api-key-env", "K")...), "cannot reach Omnisend at "+url)
	require.Contains(t, b.ok("connection", "create", "--help"), "--api-key-file")
}

func TestConnectionMasterKey(t *testing.T) {
	b := setup(t)
	url := sandboxURL(t)
	b.env["K"] = cliGoodKey
	b.exportAdmin()
	b.ok(createArgs("Shop", url, "--api-key-env", "K")...)
	keyFile := filepath.Join(b.dir, "data", "master.key")
	fi, err := os.Stat(keyFile)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	require.NoError(t, os.Chmod(keyFile, 0o644))
	require.Contains(t, b.fails("connection", "list"), "chmod 600 "+keyFile)
	require.NoError(t, os.Chmod(keyFile, 0o600))

	b.env["SEGBRIDGE_MASTER_KEY"] = "bm90LWEta2V5"
	require.Contains(t, b.fails("connection", "list"), "SEGBRIDGE_MASTER_KEY decodes to 9 bytes, want 32")
	b.env["SEGBRIDGE_MASTER_KEY"] = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
	require.Contains(t, b.fails("connection", "check", "Shop"), "same master key", "another master key cannot open the stored key")
}
