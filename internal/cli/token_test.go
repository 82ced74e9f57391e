package cli

import (
	"encoding/json"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/app"
	"segbridge/internal/user"
)

func TestTokenCommands(t *testing.T) { onEachEngine(t, testTokenCommands) }

func testTokenCommands(t *testing.T, b *bundle) {
	b.ok("user", "add", "ann@example.com", "--role", "admin")
	b.ok("user", "add", "bob@example.com", "--role", "contributor")

	code, out, errOut := b.run("token", "create", "nightly sync", "--user", "bob@example.com", "--expires", "720h")
	require.Equal(t, 0, code, errOut)
	secret := strings.TrimSpace(out)
	require.Regexp(t, `^sbt_\S{43}$`, secret, "only the secret on standard output")
	require.Contains(t, errOut, `created token 1 "nightly sync" for bob@example.com (contributor), expires: `)
	_, out, _ = b.run("token", "create", "forever", "--user", "ann@example.com")
	annSecret := strings.TrimSpace(out)

	list := b.ok("token", "list")
	require.Regexp(t, `ID\s+OWNER\s+NAME\s+TOKEN\s+CREATED\s+LAST USED\s+EXPIRES`, list)
	require.Regexp(t, `1\s+bob@example.com\s+nightly sync\s+…`+regexp.QuoteMeta(secret[len(secret)-4:]), list)
	require.Regexp(t, `2\s+ann@example.com\s+forever\s+.*never\n`, list)
	require.NotContains(t, list, secret, "secrets are never listed")
	var ts []user.Token
	require.NoError(t, json.Unmarshal([]byte(b.ok("token", "list", "--user", "bob@example.com", "--output", "json")), &ts))
	require.Len(t, ts, 1)
	require.WithinDuration(t, time.Now().Add(720*time.Hour), ts[0].ExpiresAt, time.Minute)
	// A non-admin sees only their own tokens; an admin anyone's.
	bobs := b.ok("token", "list", "--as", "bob@example.com")
	require.Contains(t, bobs, "nightly sync")
	require.NotContains(t, bobs, "forever")
	require.Contains(t, b.fails("token", "list", "--user", "ann@example.com", "--as", "bob@example.com"),
		"only admins may list other users' tokens; you (bob@example.com) are a contributor")
	require.Contains(t, b.ok("token", "list", "--as", "ann@example.com"), "nightly sync")

	require.Contains(t, b.fails("token", "create", "x", "--user", "bob@example.com", "--expires", "1m"), "--expires: token expiry: want 0 (never) or from 1h0m0s")
	require.Contains(t, b.fails("token", "create", "x", "--user", "nobody@example.com"), `no user "nobody@example.com"`)
	require.Contains(t, b.fails("token", "revoke", "abc"), `token id "abc": want the number`)
	require.Contains(t, b.fails("token", "revoke", "99"), "no token 99 (see: segbridge token list)")

	require.Equal(t, "revoked token 1 \"nightly sync\" of bob@example.com\n", b.ok("token", "revoke", "1"))
	b.withApp(func(a *app.App) {
		_, err := a.Users.TokenPrincipal(t.Context(), secret)
		require.ErrorIs(t, err, user.ErrUnauthenticated, "revoked")
		_, err = a.Users.TokenPrincipal(t.Context(), annSecret)
		require.NoError(t, err)
	})
	code, _, errOut = b.runIn("ann's new password\n", "user", "set-password", "ann@example.com", "--password-stdin")
	require.Equal(t, 0, code, errOut)
	b.withApp(func(a *app.App) {
		_, err := a.Users.TokenPrincipal(t.Context(), annSecret)
		require.ErrorIs(t, err, user.ErrUnauthenticated, "a new password revokes the tokens")
	})
	require.Contains(t, b.ok("token", "list"), "ID", "an empty list still has its header")
}

// TestServeAddressInUse: serve checks that it can listen before it creates
// the first admin, so a busy address leaves no admin behind and prints no
// one-time password.
func TestServeAddressInUse(t *testing.T) {
	b := setup(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	code, out, errOut := b.run("serve", "--addr", ln.Addr().String())
	require.Equal(t, 1, code)
	require.Empty(t, out)
	var said []string // what serve said, its info logs (migrations) aside
	for _, l := range strings.Split(strings.TrimSpace(errOut), "\n") {
		if !strings.HasPrefix(l, "time=") {
			said = append(said, l)
		}
	}
	require.Equal(t, []string{"segbridge: error: cannot listen on " + ln.Addr().String() + ": the address is already in use " +
		"(another segbridge serve, or another program, listens there; stop it or choose another --addr)"}, said,
		"one clear line, nothing else")
	require.NotContains(t, errOut, "one-time password")
	b.withApp(func(a *app.App) {
		n, err := a.Store.CountUsers(t.Context())
		require.NoError(t, err)
		require.Zero(t, n, "no admin was created")
	})
}
