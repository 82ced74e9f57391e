package cli

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestVerifyExplainAndUnsubscribesCLI(t *testing.T) { onEachEngine(t, testVerifyExplainCLI) }

func testVerifyExplainCLI(t *testing.T, b *bundle) {
	url := sandboxURL(t)
	b.ok("import", "profiles", b.file("c.csv", customersCSV), "--id", "id")
	b.ok("segment", "create", "VIP buyers", "--rule", "p.orders > 3")
	b.exportAdmin()
	b.ok(createArgs("Main shop", url, "--api-key-file", b.file("k", cliGoodKey))...)
	b.ok("export", "create", "VIPs", "--connection", "Main shop", "--segment", "VIP buyers", "--map", "email=email")
	b.ok("export", "run", "VIPs")

	out := b.ok("export", "verify", "VIPs")
	require.Contains(t, out, `Verifying "VIPs": 1 list requests to Omnisend (1 contacts tagged "segbridge: vip-buyers"), and up to 1 more`)
	require.Contains(t, out, "No drift among 1 contacts read from Omnisend; 1 requests.")

	// Deleted in Omnisend (the sandbox lets a test do what a merchant does
	// in Omnisend's app).
	req, err := http.NewRequest(http.MethodDelete, url+"/_sandbox/contacts?email=a@example.com", nil)
	require.NoError(t, err)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()

	out = b.ok("export", "verify", "VIPs")
	require.Regexp(t, `a@example.com\s+missing_contact\s+not in Omnisend`, out)
	require.Contains(t, out, "1 findings (1 missing_contact)")
	require.Contains(t, out, `Report only; to repair: segbridge export verify "VIPs" --repair all`)

	var got struct {
		Findings []struct{ Email, Kind string }
		Repaired int
		Estimate struct{ Requests int }
	}
	require.NoError(t, json.Unmarshal([]byte(b.ok("export", "verify", "vips", "--repair", "all", "-o", "json")), &got))
	require.Equal(t, 1, got.Repaired)
	require.Equal(t, "missing_contact", got.Findings[0].Kind)
	require.Equal(t, 1, got.Estimate.Requests)
	require.Contains(t, b.ok("export", "run", "VIPs"), "updated 1")
	require.Contains(t, b.ok("export", "verify", "VIPs"), "No drift")

	out = b.ok("explain", "A@example.com")
	require.Contains(t, out, `Export "VIPs" (connection Main shop): a@example.com: profile c1 is exported`)
	require.Contains(t, out, `in "VIP buyers" (rule, tag "segbridge: vip-buyers"): the rule matches.`)
	require.Contains(t, out, "rule: p.orders > 3")
	require.Contains(t, out, "orders = 5")
	require.Contains(t, out, "Decisions (newest first):")
	require.Regexp(t, `2\s+\S+ \S+\s+update\s+ok`, out)
	require.Contains(t, out, "Omnisend: contact ")
	out = b.ok("explain", "b@example.com", "--export", "VIPs")
	require.Contains(t, out, `out "VIP buyers"`)
	require.Contains(t, out, "orders = 1")
	require.Contains(t, out, "No decision in the last 10 runs.")
	require.Contains(t, out, "Omnisend: Omnisend has no contact with this e-mail.")
	var ex struct {
		Email   string
		Exports []struct{ Export string }
	}
	require.NoError(t, json.Unmarshal([]byte(b.ok("explain", "a@example.com", "-o", "json")), &ex))
	require.Equal(t, "VIPs", ex.Exports[0].Export)

	require.Contains(t, b.ok("connection", "sync-unsubscribes", "main shop"), `Read every unsubscribed contact of "Main shop": 0 statuses`)
	require.Contains(t, b.ok("connection", "sync-unsubscribes", "Main shop"), "Read contacts updated since")

	require.Contains(t, b.fails("export", "verify", "VIPs", "--repair", "some"), `--repair "some": want all or report`)
	require.Contains(t, b.fails("export", "verify", "nope"), `no export named "nope"`)
	require.Contains(t, b.fails("explain", "a@example.com", "--export", "nope"), `no export named "nope"`)
	require.Contains(t, b.fails("explain", " "), "give an e-mail address")
	require.Contains(t, b.fails("connection", "sync-unsubscribes", "nope"), `no connection named "nope"`)
}
