package user_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"segbridge/internal/store"
	"segbridge/internal/store/postgres"
	"segbridge/internal/store/postgres/pgtest"
	"segbridge/internal/store/sqlite"
	"segbridge/internal/user"
)

const pw = "correct horse battery"

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

type bundle struct {
	ctx   context.Context
	dir   string
	pgURL string // set on PostgreSQL
	st    store.Store
	svc   *user.Service
	clock *clock
}

// onEachEngine runs fn on SQLite and, when the test server is configured,
// on PostgreSQL.
func onEachEngine(t *testing.T, fn func(t *testing.T, b *bundle)) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) { fn(t, setup(t, "sqlite")) })
	t.Run("postgres", func(t *testing.T) { fn(t, setup(t, "postgres")) })
}

func setup(t *testing.T, engine string) *bundle {
	t.Helper()
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	b := &bundle{ctx: ctx, dir: dir, clock: &clock{t: time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)}}
	if engine == "postgres" {
		b.pgURL = pgtest.URL(t)
		st, err := postgres.Open(ctx, b.pgURL)
		require.NoError(t, err)
		b.st = st
	} else {
		st, err := sqlite.Open(ctx, filepath.Join(dir, "test.db"))
		require.NoError(t, err)
		b.st = st
	}
	t.Cleanup(func() { b.st.Close() })
	require.NoError(t, b.st.Migrate(ctx))
	svc, err := user.NewService(user.Config{Store: b.st, Now: b.clock.Now, PasswordCost: bcrypt.MinCost})
	require.NoError(t, err)
	b.svc = svc
	return b
}

func (b *bundle) add(t *testing.T, email string, role user.Role) user.User {
	t.Helper()
	u, err := b.svc.Add(b.ctx, email, pw, role)
	require.NoError(t, err)
	return u
}

func TestConfigValidate(t *testing.T) {
	b := setup(t, "sqlite")
	_, err := user.NewService(user.Config{})
	require.ErrorContains(t, err, "Store")
	_, err = user.NewService(user.Config{Store: b.st, PasswordCost: 99})
	require.ErrorContains(t, err, "PasswordCost")
	_, err = user.NewService(user.Config{Store: b.st, LoginBurst: -1})
	require.ErrorContains(t, err, "LoginBurst")
}

func TestAddValidatesAndHashes(t *testing.T) { onEachEngine(t, testAddValidatesAndHashes) }

func testAddValidatesAndHashes(t *testing.T, b *bundle) {
	ann, err := b.svc.Add(b.ctx, " ann@example.com ", pw, user.RoleAdmin)
	require.NoError(t, err)
	require.Equal(t, "ann@example.com", ann.Email)
	require.Equal(t, user.RoleAdmin, ann.Role)

	c, ok, err := b.st.UserCredentials(b.ctx, "ann@example.com")
	require.NoError(t, err)
	require.True(t, ok)
	require.NotEqual(t, pw, c.PasswordHash)
	require.NotContains(t, c.PasswordHash, pw)
	require.True(t, strings.HasPrefix(c.PasswordHash, "$2"), "a bcrypt hash: %q", c.PasswordHash)

	_, err = b.svc.Add(b.ctx, "ANN@example.com", pw, user.RoleViewer)
	require.ErrorIs(t, err, store.ErrConflict)
	_, err = b.svc.Add(b.ctx, "not an e-mail", pw, user.RoleViewer)
	require.ErrorContains(t, err, "e-mail")
	_, err = b.svc.Add(b.ctx, "Ann <x@example.com>", pw, user.RoleViewer)
	require.ErrorContains(t, err, "plain address")
	_, err = b.svc.Add(b.ctx, "x@example.com", "short", user.RoleViewer)
	require.ErrorContains(t, err, "at least 12")
	_, err = b.svc.Add(b.ctx, "x@example.com", strings.Repeat("p", 73), user.RoleViewer)
	require.ErrorContains(t, err, "at most 72")
	_, err = b.svc.Add(b.ctx, "x@example.com", pw, user.Role("owner"))
	require.ErrorContains(t, err, `role "owner"`)

	_, err = b.svc.Login(b.ctx, "ann@example.com", pw+"!", "")
	require.ErrorIs(t, err, user.ErrBadCredentials, "a wrong password is refused")
	_, err = b.svc.Login(b.ctx, "nobody@example.com", pw, "")
	require.ErrorIs(t, err, user.ErrBadCredentials, "an unknown e-mail looks the same")
	s, err := b.svc.Login(b.ctx, "Ann@Example.com", pw, "")
	require.NoError(t, err, "e-mails match regardless of case")
	require.Equal(t, ann.ID, s.UserID)
}

func TestGetListSetPassword(t *testing.T) { onEachEngine(t, testGetListSetPassword) }

func testGetListSetPassword(t *testing.T, b *bundle) {
	ann := b.add(t, "ann@example.com", user.RoleAdmin)
	b.add(t, "bob@example.com", user.RoleViewer)
	got, err := b.svc.Get(b.ctx, "1")
	require.NoError(t, err)
	require.Equal(t, ann, got)
	_, err = b.svc.Get(b.ctx, "nobody@example.com")
	require.ErrorIs(t, err, store.ErrNotFound)
	all, err := b.svc.List(b.ctx)
	require.NoError(t, err)
	require.Len(t, all, 2)

	s, err := b.svc.Login(b.ctx, "bob@example.com", pw, "")
	require.NoError(t, err)
	require.NoError(t, b.svc.SetPassword(b.ctx, "bob@example.com", "a brand new password"))
	_, err = b.svc.SessionPrincipal(b.ctx, s.Token)
	require.ErrorIs(t, err, user.ErrUnauthenticated, "a new password signs the user out")
	_, err = b.svc.Login(b.ctx, "bob@example.com", pw, "")
	require.ErrorIs(t, err, user.ErrBadCredentials)
	_, err = b.svc.Login(b.ctx, "bob@example.com", "a brand new password", "")
	require.NoError(t, err)
	require.ErrorContains(t, b.svc.SetPassword(b.ctx, "bob@example.com", "short"), "at least 12")
}

func TestLastAdmin(t *testing.T) { onEachEngine(t, testLastAdmin) }

func testLastAdmin(t *testing.T, b *bundle) {
	b.add(t, "ann@example.com", user.RoleAdmin)
	b.add(t, "bob@example.com", user.RoleContributor)
	require.ErrorIs(t, b.svc.Remove(b.ctx, "ann@example.com"), user.ErrLastAdmin)
	_, err := b.svc.SetRole(b.ctx, "ann@example.com", user.RoleViewer)
	require.ErrorIs(t, err, user.ErrLastAdmin)
	_, err = b.svc.SetRole(b.ctx, "bob@example.com", "boss")
	require.ErrorContains(t, err, `role "boss"`)

	bob, err := b.svc.SetRole(b.ctx, "bob@example.com", user.RoleAdmin)
	require.NoError(t, err)
	require.Equal(t, user.RoleAdmin, bob.Role)
	require.NoError(t, b.svc.Remove(b.ctx, "ann@example.com"))
	require.ErrorIs(t, b.svc.Remove(b.ctx, "bob@example.com"), user.ErrLastAdmin)
	require.ErrorIs(t, b.svc.Remove(b.ctx, "ann@example.com"), store.ErrNotFound)
}

func TestSessionExpiryAndLogout(t *testing.T) { onEachEngine(t, testSessionExpiryAndLogout) }

func testSessionExpiryAndLogout(t *testing.T, b *bundle) {
	ann := b.add(t, "ann@example.com", user.RoleContributor)
	s, err := b.svc.Login(b.ctx, "ann@example.com", pw, "192.0.2.1")
	require.NoError(t, err)
	require.Len(t, s.Token, 43, "32 random bytes, base64")
	b.requireStoredHashedOnly(t, s.Token)
	require.Equal(t, b.clock.Now().Add(12*time.Hour), s.ExpiresAt, "default TTL 12h")

	p, err := b.svc.SessionPrincipal(b.ctx, s.Token)
	require.NoError(t, err)
	require.Equal(t, user.Principal{UserID: ann.ID, Email: ann.Email, Role: user.RoleContributor, Via: "session"}, p)

	_, err = b.svc.SetRole(b.ctx, "ann@example.com", user.RoleViewer)
	require.NoError(t, err)
	p, err = b.svc.SessionPrincipal(b.ctx, s.Token)
	require.NoError(t, err)
	require.Equal(t, user.RoleViewer, p.Role, "a role change applies to the next request")

	b.clock.Add(12*time.Hour - time.Second)
	_, err = b.svc.SessionPrincipal(b.ctx, s.Token)
	require.NoError(t, err)
	b.clock.Add(time.Second)
	_, err = b.svc.SessionPrincipal(b.ctx, s.Token)
	require.ErrorIs(t, err, user.ErrUnauthenticated, "expired")

	s2, err := b.svc.Login(b.ctx, "ann@example.com", pw, "")
	require.NoError(t, err)
	require.NoError(t, b.svc.Logout(b.ctx, s2.Token))
	_, err = b.svc.SessionPrincipal(b.ctx, s2.Token)
	require.ErrorIs(t, err, user.ErrUnauthenticated, "logged out")
	require.NoError(t, b.svc.Logout(b.ctx, s2.Token), "logging out twice is fine")
	_, err = b.svc.SessionPrincipal(b.ctx, "")
	require.ErrorIs(t, err, user.ErrUnauthenticated)
	_, err = b.svc.SessionPrincipal(b.ctx, "garbage")
	require.ErrorIs(t, err, user.ErrUnauthenticated)
}

func TestTokens(t *testing.T) { onEachEngine(t, testTokens) }

func testTokens(t *testing.T, b *bundle) {
	ann := b.add(t, "ann@example.com", user.RoleAdmin)
	bob := b.add(t, "bob@example.com", user.RoleViewer)
	annP := user.Principal{UserID: ann.ID, Email: ann.Email, Role: ann.Role, Via: "session"}
	bobP := user.Principal{UserID: bob.ID, Email: bob.Email, Role: bob.Role, Via: "session"}

	tok, plain, err := b.svc.CreateToken(b.ctx, annP, "  CI pipeline ", 0)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(plain, "sbt_"), plain)
	require.Len(t, plain, 4+43)
	require.Equal(t, plain[len(plain)-4:], tok.Last4)
	require.Equal(t, "CI pipeline", tok.Name)
	require.Equal(t, ann.ID, tok.OwnerID)
	require.Equal(t, ann.Email, tok.OwnerEmail)
	require.True(t, tok.ExpiresAt.IsZero(), "no expiry unless asked")

	_, _, err = b.svc.CreateToken(b.ctx, annP, " ", 0)
	require.ErrorContains(t, err, "token name")
	_, _, err = b.svc.CreateToken(b.ctx, user.Principal{Via: "cli"}, "x", 0)
	require.ErrorIs(t, err, user.ErrUnauthenticated, "a token needs a user to own it")
	_, _, err = b.svc.CreateToken(b.ctx, annP, "x", time.Minute)
	require.ErrorContains(t, err, "token expiry: want 0 (never) or from 1h0m0s")

	p, err := b.svc.TokenPrincipal(b.ctx, plain)
	require.NoError(t, err)
	require.Equal(t, user.Principal{UserID: ann.ID, Email: ann.Email, Role: user.RoleAdmin, Via: "token"}, p)
	list, err := b.svc.ListTokens(b.ctx, annP)
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.Equal(t, b.clock.Now(), list[0].LastUsedAt, "use recorded")
	list, err = b.svc.ListTokens(b.ctx, bobP)
	require.NoError(t, err)
	require.Empty(t, list)

	b.requireStoredHashedOnly(t, plain)

	_, err = b.svc.RevokeToken(b.ctx, tok.ID+100)
	require.ErrorIs(t, err, store.ErrNotFound, "a token that does not exist")
	_, err = b.svc.TokenPrincipal(b.ctx, plain)
	require.NoError(t, err, "still valid")
	revoked, err := b.svc.RevokeToken(b.ctx, tok.ID)
	require.NoError(t, err)
	require.Equal(t, tok.ID, revoked.ID)
	_, err = b.svc.TokenPrincipal(b.ctx, plain)
	require.ErrorIs(t, err, user.ErrUnauthenticated, "a revoked token is refused")
	_, err = b.svc.TokenPrincipal(b.ctx, "sbt_nope")
	require.ErrorIs(t, err, user.ErrUnauthenticated)
	_, err = b.svc.TokenPrincipal(b.ctx, "")
	require.ErrorIs(t, err, user.ErrUnauthenticated)
}

func TestTokenExpiry(t *testing.T) { onEachEngine(t, testTokenExpiry) }

func testTokenExpiry(t *testing.T, b *bundle) {
	ann := b.add(t, "ann@example.com", user.RoleContributor)
	annP := user.Principal{UserID: ann.ID, Email: ann.Email, Role: ann.Role}
	tok, plain, err := b.svc.CreateToken(b.ctx, annP, "a month", 720*time.Hour)
	require.NoError(t, err)
	require.Equal(t, b.clock.Now().Add(720*time.Hour), tok.ExpiresAt)

	b.clock.Add(720*time.Hour - time.Second)
	_, err = b.svc.TokenPrincipal(b.ctx, plain)
	require.NoError(t, err, "valid until its expiry")
	b.clock.Add(time.Second)
	_, err = b.svc.TokenPrincipal(b.ctx, plain)
	require.ErrorIs(t, err, user.ErrUnauthenticated, "expired")
	list, err := b.svc.ListTokens(b.ctx, annP)
	require.NoError(t, err)
	require.Len(t, list, 1, "an expired token is still listed, to be revoked")
	require.True(t, list[0].Expired(b.clock.Now()))
}

func TestPasswordChangeRevokesTokens(t *testing.T) { onEachEngine(t, testPasswordChangeRevokesTokens) }

func testPasswordChangeRevokesTokens(t *testing.T, b *bundle) {
	ann := b.add(t, "ann@example.com", user.RoleAdmin)
	bob := b.add(t, "bob@example.com", user.RoleContributor)
	_, annTok, err := b.svc.CreateToken(b.ctx, user.Principal{UserID: ann.ID}, "ann's", 0)
	require.NoError(t, err)
	_, bobTok, err := b.svc.CreateToken(b.ctx, user.Principal{UserID: bob.ID}, "bob's", 0)
	require.NoError(t, err)

	require.NoError(t, b.svc.SetPassword(b.ctx, "bob@example.com", "a brand new password"))
	_, err = b.svc.TokenPrincipal(b.ctx, bobTok)
	require.ErrorIs(t, err, user.ErrUnauthenticated, "a new password revokes the owner's tokens")
	list, err := b.svc.ListTokens(b.ctx, user.Principal{UserID: bob.ID})
	require.NoError(t, err)
	require.Empty(t, list)
	_, err = b.svc.TokenPrincipal(b.ctx, annTok)
	require.NoError(t, err, "other users' tokens keep working")
}

func TestAllTokens(t *testing.T) { onEachEngine(t, testAllTokens) }

func testAllTokens(t *testing.T, b *bundle) {
	b.add(t, "ann@example.com", user.RoleAdmin)
	bob := b.add(t, "bob@example.com", user.RoleContributor)
	cat := b.add(t, "cat@example.com", user.RoleContributor)
	bobP := user.Principal{UserID: bob.ID, Email: bob.Email, Role: bob.Role}
	catP := user.Principal{UserID: cat.ID, Email: cat.Email, Role: cat.Role}
	bobTok, bobPlain, err := b.svc.CreateToken(b.ctx, bobP, "bob's script", 0)
	require.NoError(t, err)
	catTok, _, err := b.svc.CreateToken(b.ctx, catP, "cat's script", 0)
	require.NoError(t, err)

	all, err := b.svc.ListAllTokens(b.ctx)
	require.NoError(t, err)
	require.Len(t, all, 2)
	require.Equal(t, []string{"bob@example.com", "cat@example.com"}, []string{all[0].OwnerEmail, all[1].OwnerEmail})

	// Who may revoke whose token is internal/service's permission table's
	// (TestUsersTokens there).
	revoked, err := b.svc.RevokeToken(b.ctx, bobTok.ID)
	require.NoError(t, err)
	require.Equal(t, "bob@example.com", revoked.OwnerEmail)
	_, err = b.svc.TokenPrincipal(b.ctx, bobPlain)
	require.ErrorIs(t, err, user.ErrUnauthenticated)
	_, err = b.svc.RevokeToken(b.ctx, catTok.ID)
	require.NoError(t, err)
	all, err = b.svc.ListAllTokens(b.ctx)
	require.NoError(t, err)
	require.Empty(t, all)
}

func TestRemovedUserRefused(t *testing.T) { onEachEngine(t, testRemovedUserRefused) }

func testRemovedUserRefused(t *testing.T, b *bundle) {
	b.add(t, "ann@example.com", user.RoleAdmin)
	bob := b.add(t, "bob@example.com", user.RoleContributor)
	s, err := b.svc.Login(b.ctx, "bob@example.com", pw, "")
	require.NoError(t, err)
	_, plain, err := b.svc.CreateToken(b.ctx, user.Principal{UserID: bob.ID}, "script", 0)
	require.NoError(t, err)

	require.NoError(t, b.svc.Remove(b.ctx, "bob@example.com"))
	_, err = b.svc.SessionPrincipal(b.ctx, s.Token)
	require.ErrorIs(t, err, user.ErrUnauthenticated)
	_, err = b.svc.TokenPrincipal(b.ctx, plain)
	require.ErrorIs(t, err, user.ErrUnauthenticated)
	_, err = b.svc.Login(b.ctx, "bob@example.com", pw, "")
	require.ErrorIs(t, err, user.ErrBadCredentials)
}

func TestLoginRateLimit(t *testing.T) { onEachEngine(t, testLoginRateLimit) }

func testLoginRateLimit(t *testing.T, b *bundle) {
	b.add(t, "ann@example.com", user.RoleAdmin)
	for i := range 5 {
		_, err := b.svc.Login(b.ctx, "ann@example.com", "wrong password "+string(rune('a'+i)), "192.0.2.1")
		require.ErrorIs(t, err, user.ErrBadCredentials, "attempt %d", i+1)
	}
	_, err := b.svc.Login(b.ctx, "ann@example.com", pw, "192.0.2.1")
	require.ErrorIs(t, err, user.ErrTooManyAttempts, "6th attempt from that client within the window, right password")
	_, err = b.svc.Login(b.ctx, "ANN@example.com", pw, "192.0.2.1")
	require.ErrorIs(t, err, user.ErrTooManyAttempts, "the account's limit ignores case")

	b.clock.Add(10 * time.Second)
	_, err = b.svc.Login(b.ctx, "ann@example.com", pw, "192.0.2.1")
	require.NoError(t, err, "one attempt back after 10 s")
	_, err = b.svc.Login(b.ctx, "ann@example.com", pw, "192.0.2.1")
	require.NoError(t, err, "a successful login uses up nothing")
	_, err = b.svc.Login(b.ctx, "ann@example.com", "wrong again!!", "192.0.2.1")
	require.ErrorIs(t, err, user.ErrBadCredentials)
	_, err = b.svc.Login(b.ctx, "ann@example.com", pw, "192.0.2.1")
	require.ErrorIs(t, err, user.ErrTooManyAttempts)
}

// TestLoginLimitIsPerClient: wrong passwords from one client never lock
// the account for another client.
func TestLoginLimitIsPerClient(t *testing.T) { onEachEngine(t, testLoginLimitIsPerClient) }

func testLoginLimitIsPerClient(t *testing.T, b *bundle) {
	b.add(t, "ann@example.com", user.RoleAdmin)
	for i := range 7 {
		_, err := b.svc.Login(b.ctx, "ann@example.com", "wrong password "+string(rune('a'+i)), "198.51.100.66")
		if i < 5 {
			require.ErrorIs(t, err, user.ErrBadCredentials, "attempt %d", i+1)
		} else {
			require.ErrorIs(t, err, user.ErrTooManyAttempts, "attempt %d", i+1)
		}
	}
	s, err := b.svc.Login(b.ctx, "ann@example.com", pw, "192.0.2.10")
	require.NoError(t, err, "the right password from another client signs in")
	require.NotEmpty(t, s.Token)
	_, err = b.svc.Login(b.ctx, "ann@example.com", pw, "198.51.100.66")
	require.ErrorIs(t, err, user.ErrTooManyAttempts, "the guessing client is still limited")
}

func TestLoginRateLimitPerClient(t *testing.T) { onEachEngine(t, testLoginRateLimitPerClient) }

func testLoginRateLimitPerClient(t *testing.T, b *bundle) {
	b.add(t, "ann@example.com", user.RoleAdmin)
	for i := range 20 { // LoginClientBurst: 4 × LoginBurst
		_, err := b.svc.Login(b.ctx, fmt.Sprintf("u%d@example.com", i), pw, "192.0.2.7")
		require.ErrorIs(t, err, user.ErrBadCredentials, "attempt %d", i+1)
	}
	_, err := b.svc.Login(b.ctx, "ann@example.com", pw, "192.0.2.7")
	require.ErrorIs(t, err, user.ErrTooManyAttempts, "the client spent its attempts on other accounts")
	_, err = b.svc.Login(b.ctx, "ann@example.com", pw, "192.0.2.8")
	require.NoError(t, err, "another client may still sign in")

	for i := range 20 {
		_, err := b.svc.Login(b.ctx, fmt.Sprintf("u%d@example.com", i), pw, fmt.Sprintf("2001:db8:1:2::%x", i+1))
		require.ErrorIs(t, err, user.ErrBadCredentials, "attempt %d", i+1)
	}
	_, err = b.svc.Login(b.ctx, "ann@example.com", pw, "2001:db8:1:2:ffff::1")
	require.ErrorIs(t, err, user.ErrTooManyAttempts, "an IPv6 client is its /64")
	_, err = b.svc.Login(b.ctx, "ann@example.com", pw, "2001:db8:1:3::1")
	require.NoError(t, err, "another /64 is another client")
}

func TestBootstrap(t *testing.T) {
	t.Run("generated", func(t *testing.T) { onEachEngine(t, testBootstrapGenerated) })
	t.Run("given", func(t *testing.T) { onEachEngine(t, testBootstrapGiven) })
	t.Run("bad password", func(t *testing.T) {
		b := setup(t, "sqlite")
		_, _, err := b.svc.Bootstrap(b.ctx, "root@example.com", "short")
		require.ErrorContains(t, err, "at least 12")
	})
	t.Run("users exist", func(t *testing.T) { onEachEngine(t, testBootstrapUsersExist) })
}

func testBootstrapGenerated(t *testing.T, b *bundle) {
	u, generated, err := b.svc.Bootstrap(b.ctx, "", "")
	require.NoError(t, err)
	require.Equal(t, "admin@localhost", u.Email)
	require.Equal(t, user.RoleAdmin, u.Role)
	require.Len(t, generated, 24)
	_, err = b.svc.Login(b.ctx, "admin@localhost", generated, "")
	require.NoError(t, err)

	u, again, err := b.svc.Bootstrap(b.ctx, "", "")
	require.NoError(t, err)
	require.Zero(t, u, "no-op once a user exists")
	require.Empty(t, again)
}

func testBootstrapGiven(t *testing.T, b *bundle) {
	u, generated, err := b.svc.Bootstrap(b.ctx, "root@example.com", "given password 1")
	require.NoError(t, err)
	require.Equal(t, "root@example.com", u.Email)
	require.Empty(t, generated)
	_, err = b.svc.Login(b.ctx, "root@example.com", "given password 1", "")
	require.NoError(t, err)
}

func testBootstrapUsersExist(t *testing.T, b *bundle) {
	b.add(t, "bob@example.com", user.RoleViewer)
	u, generated, err := b.svc.Bootstrap(b.ctx, "root@example.com", "given password 1")
	require.NoError(t, err)
	require.Zero(t, u)
	require.Empty(t, generated)
}

// requireStoredHashedOnly checks that the database holds token's SHA-256
// and nowhere its plaintext (nor the random part after the prefix): in
// SQLite's files byte for byte, in PostgreSQL in every row of every table.
func (b *bundle) requireStoredHashedOnly(t *testing.T, token string) {
	t.Helper()
	sum := sha256.Sum256([]byte(token))
	var dump []byte
	if b.pgURL == "" {
		files, err := filepath.Glob(filepath.Join(b.dir, "test.db*"))
		require.NoError(t, err)
		for _, f := range files {
			data, err := os.ReadFile(f)
			require.NoError(t, err)
			dump = append(dump, data...)
		}
		require.True(t, bytes.Contains(dump, sum[:]), "the scan reads what the store wrote (the hash is there)")
	} else {
		conn, err := pgx.Connect(b.ctx, b.pgURL)
		require.NoError(t, err)
		defer conn.Close(b.ctx)
		rows, err := conn.Query(b.ctx, `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`)
		require.NoError(t, err)
		tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
		require.NoError(t, err)
		require.Contains(t, tables, "api_tokens")
		for _, tbl := range tables {
			var text *string
			require.NoError(t, conn.QueryRow(b.ctx, `SELECT string_agg(row_to_json(x)::text, E'\n') FROM `+pgx.Identifier{tbl}.Sanitize()+` x`).Scan(&text))
			if text != nil {
				dump = append(dump, *text...)
			}
		}
		require.Contains(t, string(dump), hex.EncodeToString(sum[:]), "the scan reads what the store wrote (the hash is there)")
	}
	require.False(t, bytes.Contains(dump, []byte(token)), "plaintext token in the database")
	require.False(t, bytes.Contains(dump, []byte(strings.TrimPrefix(token, user.TokenPrefix))), "token secret in the database")
}
