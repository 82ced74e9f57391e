package cli

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestConnectionUpdate changes every setting the API's PATCH changes from
// the command line: the name, access, export user and tagging; the
// dialect and base URL (checked against Omnisend first: a refusal saves
// nothing); and the key, read from a file.
func TestConnectionUpdate(t *testing.T) { onEachEngine(t, testConnectionUpdate) }

func testConnectionUpdate(t *testing.T, b *bundle) {
	url, other := sandboxURL(t), sandboxURL(t)
	b.exportAdmin()
	b.ok("user", "add", "second@example.com", "--role", "admin")
	b.env["K"] = cliGoodKey
	b.ok(createArgs("Main shop", url, "--api-key-env", "K")...)

	out := b.ok("connection", "update", "Main shop", "--name", "Shop", "--access", "contributors", "--export-user", "second@example.com",
		"--tagging", "endpoints")
	require.Contains(t, out, `saved connection "Shop"`)
	require.Contains(t, out, "admins and contributors may use it, export user second@example.com")
	require.Contains(t, out, "tagging endpoints")

	require.Contains(t, b.fails("connection", "update", "Shop", "--dialect", "v5", "--base-url", "ftp://x"), `dialect: dialect "v5"`)
	require.Contains(t, b.fails("connection", "update", "Shop", "--base-url", "http://127.0.0.1:1"), "cannot reach Omnisend at http://127.0.0.1:1")
	require.Contains(t, b.fails("connection", "update", "Shop", "--dialect", "v3"), "tagging",
		"endpoints tagging needs the 2026-03-15 dialect")
	require.Contains(t, b.ok("connection", "show", "Shop"), url, "refusals changed nothing")

	out = b.ok("connection", "update", "Shop", "--tagging", "upsert", "--dialect", "v3", "--base-url", other)
	require.Contains(t, out, "dialect v3, base URL "+other)
	out = b.ok("connection", "update", "Shop", "--api-key-file", b.file("new.key", cliGoodKey+"\n"))
	require.Contains(t, out, "key …k9q7")
	require.Contains(t, b.fails("connection", "update", "Shop"), "nothing to change")
	require.Contains(t, b.ok("connection", "update", "--help"), "--base-url")
}
