package cli

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/notify"
)

const cliHookSecret = "cli-hook-secret-0123456789abcdef"

// TestNotifyCommands drives notify channel create|list|remove, test,
// rule create|list|remove and deliveries against a local receiver.
func TestNotifyCommands(t *testing.T) { onEachEngine(t, testNotifyCommands) }

func testNotifyCommands(t *testing.T, b *bundle) {
	var mu sync.Mutex
	var got []*http.Request
	var bodies [][]byte
	status := http.StatusOK
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		got, bodies = append(got, r), append(bodies, body)
		st := status
		mu.Unlock()
		w.WriteHeader(st)
	}))
	t.Cleanup(rc.Close)
	b.env["SEGBRIDGE_PUBLIC_URL"] = "https://segbridge.example.com"
	secret := b.file("hook.secret", cliHookSecret+"\n")

	out := b.ok("notify", "channel", "create", "ops", "--webhook", rc.URL+"/hook?token=t0k3n", "--secret-file", secret)
	require.Contains(t, out, `saved webhook channel "ops" to `+rc.URL+"/hook (query hidden) (events: alerts)")
	b.ok("notify", "channel", "create", "Team chat", "--slack", rc.URL+"/services/T1/B2/secretpath", "--events", "alerts,lifecycle")
	require.Contains(t, b.fails("notify", "channel", "create", "ops", "--slack", rc.URL), `a channel named "ops" already exists`)
	require.Contains(t, b.fails("notify", "channel", "create", "x", "--webhook", rc.URL), "secret-file")
	require.Contains(t, b.fails("notify", "channel", "create", "x", "--webhook", rc.URL, "--secret-file", b.file("short", "abc")),
		"--secret-file: want a signing secret of 16 to 4096 characters")
	require.Contains(t, b.fails("notify", "channel", "create", "x", "--smtp", "smtp.example.com:587", "--from", "a@example.com",
		"--to", "b@example.com", "--smtp-user", "u", "--smtp-password-file", b.file("pw", "pw")),
		"--starttls: a password is only sent over STARTTLS")
	b.ok("notify", "channel", "create", "mail", "--smtp", "smtp.example.com:2525", "--starttls", "--from", "a@example.com",
		"--to", "b@example.com,c@example.com")

	list := b.ok("notify", "channel", "list")
	require.Contains(t, list, "ops")
	require.Contains(t, list, "smtp.example.com:2525 → b@example.com, c@example.com")
	require.NotContains(t, list, "secretpath")
	require.NotContains(t, list, "t0k3n")
	var chans []channelJSON
	require.NoError(t, json.Unmarshal([]byte(b.ok("notify", "channel", "list", "-o", "json")), &chans))
	require.Len(t, chans, 3)
	require.Equal(t, "new", chans[2].Status)

	out = b.ok("notify", "test", "ops")
	require.Contains(t, out, `delivered to "ops": answer 200`)
	mu.Lock()
	require.Len(t, got, 1)
	require.NoError(t, notify.Verify([]byte(cliHookSecret), got[0].Header.Get(notify.SignatureHeader), bodies[0], time.Now()))
	var n notify.Notification
	require.NoError(t, json.Unmarshal(bodies[0], &n))
	require.Equal(t, "https://segbridge.example.com/settings/notifications", n.URL, "links use SEGBRIDGE_PUBLIC_URL")
	status = http.StatusInternalServerError
	mu.Unlock()
	require.Contains(t, b.fails("notify", "test", "Team chat"), `test of channel "Team chat" failed: 127.0.0.1`)
	require.Contains(t, b.fails("notify", "test", "nope"), `no notification channel named "nope"`)

	rules := b.ok("notify", "rule", "list")
	for _, want := range []string{"run failed, on every export → every channel", "run held", "Omnisend key rejected"} {
		require.Contains(t, rules, want)
	}
	out = b.ok("notify", "rule", "create", "contacts_rejected", "--percent", "5", "--count", "500", "--channel", "ops")
	require.Contains(t, out, `saved rule 4: contacts rejected or failed above 5 % or more than 500 contacts, on every export → channel "ops"`)
	require.Contains(t, b.fails("notify", "rule", "create", "run_slow"), "--duration: run_slow wants a duration")
	require.Contains(t, b.fails("notify", "rule", "create", "run_failed", "--export", "Nope"), "export")
	b.ok("notify", "rule", "create", "run_slow", "--duration", "45m")
	var rs []ruleJSON
	require.NoError(t, json.Unmarshal([]byte(b.ok("notify", "rule", "list", "--output", "json")), &rs))
	require.Len(t, rs, 5)
	require.Equal(t, "ops", rs[3].Channel)
	require.Equal(t, float64(45*60), rs[4].DurationSeconds)
	b.ok("notify", "rule", "remove", "5")
	require.Contains(t, b.fails("notify", "rule", "remove", "5"), "no rule 5")

	hist := b.ok("notify", "deliveries")
	require.Contains(t, hist, "delivered")
	require.Contains(t, hist, "failed")
	require.Contains(t, hist, "answered HTTP 500")
	var ds []deliveryJSON
	require.NoError(t, json.Unmarshal([]byte(b.ok("notify", "deliveries", "ops", "-o", "json")), &ds))
	require.Len(t, ds, 1)
	require.Equal(t, "test", ds[0].Event)
	require.Equal(t, 200, ds[0].History[0].Code)

	require.Contains(t, b.fails("notify", "channel", "remove", "ops"), "pass --yes")
	b.ok("notify", "channel", "remove", "ops", "--yes")
	require.NotContains(t, b.ok("notify", "channel", "list"), "ops ")
	require.Contains(t, b.fails("serve", "--public-url", "segbridge.example.com"), `--public-url "segbridge.example.com": want the web UI's address`)
	all := strings.Join([]string{list, hist, b.ok("notify", "deliveries", "-o", "json")}, "\n")
	require.NotContains(t, all, cliHookSecret)
}
