package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"segbridge/internal/app"
	"segbridge/internal/audit"
	"segbridge/internal/user"
)

// runIn is bundle.run with stdin.
func (b *bundle) runIn(stdin string, args ...string) (int, string, string) {
	b.t.Helper()
	var out, errOut bytes.Buffer
	g := &globals{in: strings.NewReader(stdin), out: &out, errOut: &errOut, getenv: func(k string) string { return b.env[k] }}
	root := newRoot(g)
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&errOut)
	code := 0
	if err := root.ExecuteContext(context.Background()); err != nil {
		errOut.WriteString("segbridge: error: " + oneLine(err) + "\n")
		code = 1
	}
	return code, out.String(), errOut.String()
}

// withApp opens the bundle's installation as the commands do.
func (b *bundle) withApp(fn func(a *app.App)) {
	b.t.Helper()
	g := &globals{getenv: func(k string) string { return b.env[k] }, errOut: &bytes.Buffer{}, logLevel: "warn"}
	require.NoError(b.t, g.withApp(context.Background(), func(a *app.App) error { fn(a); return nil }))
}

var generatedPassword = regexp.MustCompile(`(?m)^password: (\S{24})$`)

func TestUserCommands(t *testing.T) { onEachEngine(t, testUserCommands) }

func testUserCommands(t *testing.T, b *bundle) {
	out := b.ok("user", "add", "ann@example.com", "--role", "admin")
	require.Contains(t, out, "added user ann@example.com (admin)")
	m := generatedPassword.FindStringSubmatch(out)
	require.NotNil(t, m, "a generated password is printed once: %q", out)
	annPassword := m[1]

	code, out, errOut := b.runIn("bob's password 1\n", "user", "add", "bob@example.com", "--role", "viewer", "--password-stdin")
	require.Equal(t, 0, code, errOut)
	require.Equal(t, "added user bob@example.com (viewer)\n", out, "no password printed when it was given")

	list := b.ok("user", "list")
	require.Regexp(t, `ID\s+EMAIL\s+ROLE\s+CREATED`, list)
	require.Regexp(t, `1\s+ann@example.com\s+admin`, list)
	require.Regexp(t, `2\s+bob@example.com\s+viewer`, list)
	var users []user.User
	require.NoError(t, json.Unmarshal([]byte(b.ok("user", "list", "--output", "json")), &users))
	require.Len(t, users, 2)
	require.Equal(t, "bob@example.com", users[1].Email)
	require.Equal(t, user.RoleViewer, users[1].Role)
	require.NotContains(t, b.ok("user", "list", "-o", "json"), "hash", "no password hash is ever shown")

	require.Equal(t, "user bob@example.com is now contributor (was viewer)\n", b.ok("user", "set-role", "BOB@example.com", "contributor"))

	b.withApp(func(a *app.App) {
		ctx := context.Background()
		_, err := a.Users.Login(ctx, "ann@example.com", annPassword, "")
		require.NoError(t, err, "the printed password signs in")
		_, err = a.Users.Login(ctx, "bob@example.com", "bob's password 1", "")
		require.NoError(t, err, "the password from stdin signs in")
		entries, err := a.Audit.List(ctx, audit.ListOptions{})
		require.NoError(t, err)
		require.Len(t, entries, 3)
		require.Equal(t, "user.set_role", entries[0].Action)
		require.True(t, strings.HasPrefix(entries[0].Actor, "cli:"), "the local operator, cli:<os user>@<host>: %s", entries[0].Actor)
		require.Equal(t, "bob@example.com", entries[0].Target)
		require.Equal(t, "user.add", entries[2].Action)
	})

	require.Equal(t, "removed user bob@example.com\n", b.ok("user", "remove", "bob@example.com"))
	require.NotContains(t, b.ok("user", "list"), "bob@example.com")
}

func TestUserCommandErrors(t *testing.T) { onEachEngine(t, testUserCommandErrors) }

func testUserCommandErrors(t *testing.T, b *bundle) {
	b.ok("user", "add", "ann@example.com", "--role", "admin")

	require.Contains(t, b.fails("user", "add", "x@example.com", "--role", "boss"), `--role: role "boss": want "admin", "contributor" or "viewer"`)
	require.Contains(t, b.fails("user", "add", "x@example.com"), `required flag(s) "role" not set`)
	require.Contains(t, b.fails("user", "add", "ANN@example.com", "--role", "viewer"), `a user with e-mail "ANN@example.com" already exists`)
	require.Contains(t, b.fails("user", "add", "not-an-email", "--role", "viewer"), `e-mail "not-an-email": want a plain address`)
	require.Contains(t, b.fails("user", "add", "x@example.com", "--role", "viewer", "--password-stdin"), "standard input is empty")
	code, _, errOut := b.runIn("short\n", "user", "add", "x@example.com", "--role", "viewer", "--password-stdin")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "password: want at least 12 characters")

	require.Contains(t, b.fails("user", "remove", "ann@example.com"),
		"user ann@example.com: the last admin cannot be removed or demoted; make another user admin first")
	require.Contains(t, b.fails("user", "set-role", "ann@example.com", "viewer"), "the last admin cannot be removed or demoted")
	require.Contains(t, b.fails("user", "set-role", "ann@example.com", "boss"), `role "boss"`)
	require.Contains(t, b.fails("user", "remove", "nobody@example.com"), `no user "nobody@example.com"`)
	require.Contains(t, b.fails("user", "set-role", "nobody@example.com", "admin"), `no user "nobody@example.com"`)
	require.Contains(t, b.fails("user", "list", "--output", "yaml"), "yaml")

	b.ok("user", "add", "bob@example.com", "--role", "admin")
	require.Contains(t, b.ok("user", "set-role", "ann@example.com", "viewer"), "is now viewer (was admin)")
	require.Contains(t, b.fails("user", "remove", "bob@example.com"), "last admin")
	require.Equal(t, "removed user ann@example.com\n", b.ok("user", "remove", "ann@example.com"))
}

func TestUserSetPassword(t *testing.T) {
	b := setup(t)
	b.ok("user", "add", "ann@example.com", "--role", "admin")
	code, out, errOut := b.runIn("a new password 99\r\n", "user", "set-password", "ann@example.com", "--password-stdin")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "set a new password for ann@example.com")
	require.NotContains(t, out, "password: ")
	b.withApp(func(a *app.App) {
		_, err := a.Users.Login(context.Background(), "ann@example.com", "a new password 99", "")
		require.NoError(t, err)
	})
	out = b.ok("user", "set-password", "ann@example.com")
	require.Regexp(t, generatedPassword, out)
}
