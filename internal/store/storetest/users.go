package storetest

import (
	"crypto/sha256"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/audit"
	"segbridge/internal/store"
	"segbridge/internal/user"
)

// runUsers is the users, sessions, API tokens and audit log part of the
// suite.
func runUsers(t *testing.T, newStore NewStore) {
	t.Run("CreateGetList", func(t *testing.T) { testUsersCRUD(t, newStore) })
	t.Run("LastAdmin", func(t *testing.T) { testLastAdmin(t, newStore) })
	t.Run("LastAdminConcurrent", func(t *testing.T) { testLastAdminConcurrent(t, newStore) })
	t.Run("Sessions", func(t *testing.T) { testSessions(t, newStore) })
	t.Run("APITokens", func(t *testing.T) { testAPITokens(t, newStore) })
	t.Run("DeleteUserCascades", func(t *testing.T) { testDeleteUserCascades(t, newStore) })
	t.Run("Audit", func(t *testing.T) { testAudit(t, newStore) })
}

func hashOf(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

func (b bundle) addUser(t *testing.T, email string, role user.Role) user.User {
	t.Helper()
	u, err := b.st.CreateUser(b.ctx, user.User{Email: email, Role: role, CreatedAt: b.now, UpdatedAt: b.now}, "hash-of-"+email)
	require.NoError(t, err)
	return u
}

func testUsersCRUD(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	n, err := b.st.CountUsers(b.ctx)
	require.NoError(t, err)
	require.Zero(t, n)

	zed := b.addUser(t, "Zed@Example.com", user.RoleViewer)
	require.NotZero(t, zed.ID)
	require.Equal(t, "Zed@Example.com", zed.Email)
	require.Equal(t, user.RoleViewer, zed.Role)
	require.True(t, zed.CreatedAt.Equal(b.now), "created_at: %v", zed.CreatedAt)
	ann := b.addUser(t, "ann@example.com", user.RoleAdmin)

	_, err = b.st.CreateUser(b.ctx, user.User{Email: "ZED@example.COM", Role: user.RoleAdmin, CreatedAt: b.now, UpdatedAt: b.now}, "x")
	require.ErrorIs(t, err, store.ErrConflict, "e-mails are unique regardless of case")

	got, err := b.st.GetUser(b.ctx, "zed@EXAMPLE.com")
	require.NoError(t, err)
	require.Equal(t, zed, got)
	got, err = b.st.GetUser(b.ctx, strconv.FormatInt(ann.ID, 10))
	require.NoError(t, err)
	require.Equal(t, ann, got)
	_, err = b.st.GetUser(b.ctx, "nobody@example.com")
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = b.st.GetUser(b.ctx, "999")
	require.ErrorIs(t, err, store.ErrNotFound)

	all, err := b.st.ListUsers(b.ctx)
	require.NoError(t, err)
	require.Equal(t, []user.User{ann, zed}, all, "ordered by e-mail, case-insensitively")
	n, err = b.st.CountUsers(b.ctx)
	require.NoError(t, err)
	require.Equal(t, 2, n)

	c, ok, err := b.st.UserCredentials(b.ctx, "ZED@example.com")
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, user.Credentials{User: zed, PasswordHash: "hash-of-Zed@Example.com"}, c)
	_, ok, err = b.st.UserCredentials(b.ctx, "nobody@example.com")
	require.NoError(t, err)
	require.False(t, ok)

	later := b.now.Add(time.Hour)
	zed, err = b.st.SetUserRole(b.ctx, zed.ID, user.RoleContributor, later)
	require.NoError(t, err)
	require.Equal(t, user.RoleContributor, zed.Role)
	require.True(t, zed.UpdatedAt.Equal(later))
	require.NoError(t, b.st.SetUserPassword(b.ctx, zed.ID, "new-hash", later))
	c, _, err = b.st.UserCredentials(b.ctx, zed.Email)
	require.NoError(t, err)
	require.Equal(t, "new-hash", c.PasswordHash)

	_, err = b.st.SetUserRole(b.ctx, 999, user.RoleViewer, later)
	require.ErrorIs(t, err, store.ErrNotFound)
	require.ErrorIs(t, b.st.SetUserPassword(b.ctx, 999, "x", later), store.ErrNotFound)
	require.ErrorIs(t, b.st.DeleteUser(b.ctx, 999), store.ErrNotFound)
}

func testLastAdmin(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	ann := b.addUser(t, "ann@example.com", user.RoleAdmin)
	bob := b.addUser(t, "bob@example.com", user.RoleViewer)

	require.ErrorIs(t, b.st.DeleteUser(b.ctx, ann.ID), user.ErrLastAdmin)
	_, err := b.st.SetUserRole(b.ctx, ann.ID, user.RoleContributor, b.now)
	require.ErrorIs(t, err, user.ErrLastAdmin)
	_, err = b.st.SetUserRole(b.ctx, ann.ID, user.RoleAdmin, b.now)
	require.NoError(t, err, "an admin staying admin is fine")

	_, err = b.st.SetUserRole(b.ctx, bob.ID, user.RoleAdmin, b.now)
	require.NoError(t, err)
	_, err = b.st.SetUserRole(b.ctx, ann.ID, user.RoleViewer, b.now)
	require.NoError(t, err, "with two admins one may be demoted")
	require.ErrorIs(t, b.st.DeleteUser(b.ctx, bob.ID), user.ErrLastAdmin)
	require.NoError(t, b.st.DeleteUser(b.ctx, ann.ID), "a non-admin may always go")
}

func testLastAdminConcurrent(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	ids := []int64{
		b.addUser(t, "a1@example.com", user.RoleAdmin).ID,
		b.addUser(t, "a2@example.com", user.RoleAdmin).ID,
	}
	errs := make([]error, len(ids))
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Go(func() {
			if i == 0 {
				errs[i] = b.st.DeleteUser(b.ctx, id)
			} else {
				_, errs[i] = b.st.SetUserRole(b.ctx, id, user.RoleViewer, b.now)
			}
		})
	}
	wg.Wait()
	failed := 0
	for _, err := range errs {
		if err != nil {
			require.ErrorIs(t, err, user.ErrLastAdmin)
			failed++
		}
	}
	require.Equal(t, 1, failed, "exactly one of two concurrent changes to the last two admins fails: %v", errs)
}

func testSessions(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	ann := b.addUser(t, "ann@example.com", user.RoleAdmin)
	exp := b.now.Add(time.Hour)
	require.NoError(t, b.st.CreateSession(b.ctx, hashOf("s1"), ann.ID, exp, b.now))
	require.NoError(t, b.st.CreateSession(b.ctx, hashOf("s2"), ann.ID, b.now.Add(time.Minute), b.now))
	require.ErrorIs(t, b.st.CreateSession(b.ctx, hashOf("s3"), 999, exp, b.now), store.ErrNotFound)

	u, ok, err := b.st.SessionUser(b.ctx, hashOf("s1"), b.now.Add(59*time.Minute))
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, ann, u)
	_, ok, err = b.st.SessionUser(b.ctx, hashOf("s1"), exp)
	require.NoError(t, err)
	require.False(t, ok, "a session is over at its expiry")
	_, ok, err = b.st.SessionUser(b.ctx, hashOf("nope"), b.now)
	require.NoError(t, err)
	require.False(t, ok)

	n, err := b.st.DeleteExpiredSessions(b.ctx, b.now.Add(30*time.Minute))
	require.NoError(t, err)
	require.Equal(t, int64(1), n, "s2 expired")
	_, ok, err = b.st.SessionUser(b.ctx, hashOf("s1"), b.now)
	require.NoError(t, err)
	require.True(t, ok, "s1 kept")

	require.NoError(t, b.st.DeleteSession(b.ctx, hashOf("s1")))
	require.NoError(t, b.st.DeleteSession(b.ctx, hashOf("s1")), "deleting twice is fine")
	_, ok, err = b.st.SessionUser(b.ctx, hashOf("s1"), b.now)
	require.NoError(t, err)
	require.False(t, ok)

	require.NoError(t, b.st.CreateSession(b.ctx, hashOf("s4"), ann.ID, exp, b.now))
	require.NoError(t, b.st.SetUserPassword(b.ctx, ann.ID, "other", b.now))
	_, ok, err = b.st.SessionUser(b.ctx, hashOf("s4"), b.now)
	require.NoError(t, err)
	require.False(t, ok, "a new password ends the user's sessions")
}

func testAPITokens(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	ann := b.addUser(t, "ann@example.com", user.RoleAdmin)
	bob := b.addUser(t, "bob@example.com", user.RoleViewer)
	t1, err := b.st.CreateAPIToken(b.ctx, user.Token{Name: "ci", OwnerID: ann.ID, Last4: "abcd", CreatedAt: b.now}, hashOf("t1"))
	require.NoError(t, err)
	require.NotZero(t, t1.ID)
	require.Equal(t, user.Token{ID: t1.ID, Name: "ci", OwnerID: ann.ID, OwnerEmail: ann.Email, Last4: "abcd", CreatedAt: b.now}, t1)
	expires := b.now.Add(30 * 24 * time.Hour)
	t2, err := b.st.CreateAPIToken(b.ctx, user.Token{Name: "laptop", OwnerID: ann.ID, Last4: "wxyz", CreatedAt: b.now, ExpiresAt: expires}, hashOf("t2"))
	require.NoError(t, err)
	require.True(t, t2.ExpiresAt.Equal(expires), "expires at: %v", t2.ExpiresAt)
	t4, err := b.st.CreateAPIToken(b.ctx, user.Token{Name: "bob's", OwnerID: bob.ID, Last4: "bbbb", CreatedAt: b.now}, hashOf("t4"))
	require.NoError(t, err)
	require.Equal(t, bob.Email, t4.OwnerEmail)
	_, err = b.st.CreateAPIToken(b.ctx, user.Token{Name: "ghost", OwnerID: 999, Last4: "0000", CreatedAt: b.now}, hashOf("t3"))
	require.ErrorIs(t, err, store.ErrNotFound)

	list, err := b.st.ListAPITokens(b.ctx, ann.ID)
	require.NoError(t, err)
	require.Equal(t, []user.Token{t1, t2}, list)
	list, err = b.st.ListAPITokens(b.ctx, bob.ID)
	require.NoError(t, err)
	require.Equal(t, []user.Token{t4}, list)
	list, err = b.st.ListAllAPITokens(b.ctx)
	require.NoError(t, err)
	require.Equal(t, []user.Token{t1, t2, t4}, list, "every user's tokens, by id")
	got, err := b.st.GetAPIToken(b.ctx, t2.ID)
	require.NoError(t, err)
	require.Equal(t, t2, got)
	_, err = b.st.GetAPIToken(b.ctx, 999_999)
	require.ErrorIs(t, err, store.ErrNotFound)
	_, got, _, err = b.st.APITokenUser(b.ctx, hashOf("t2"))
	require.NoError(t, err)
	require.True(t, got.ExpiresAt.Equal(expires), "the expiry is read back: %v", got.ExpiresAt)

	u, got, ok, err := b.st.APITokenUser(b.ctx, hashOf("t1"))
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, ann, u)
	require.Equal(t, t1, got)
	require.True(t, got.LastUsedAt.IsZero())
	used := b.now.Add(time.Minute)
	require.NoError(t, b.st.TouchAPIToken(b.ctx, t1.ID, used))
	_, got, _, err = b.st.APITokenUser(b.ctx, hashOf("t1"))
	require.NoError(t, err)
	require.True(t, got.LastUsedAt.Equal(used), "last used: %v", got.LastUsedAt)
	_, _, ok, err = b.st.APITokenUser(b.ctx, hashOf("nope"))
	require.NoError(t, err)
	require.False(t, ok)

	require.ErrorIs(t, b.st.DeleteAPIToken(b.ctx, bob.ID, t1.ID), store.ErrNotFound, "only the owner may delete a token")
	require.NoError(t, b.st.DeleteAPIToken(b.ctx, ann.ID, t1.ID))
	require.ErrorIs(t, b.st.DeleteAPIToken(b.ctx, ann.ID, t1.ID), store.ErrNotFound)
	_, _, ok, err = b.st.APITokenUser(b.ctx, hashOf("t1"))
	require.NoError(t, err)
	require.False(t, ok, "a deleted token is gone")

	require.NoError(t, b.st.SetUserPassword(b.ctx, ann.ID, "new-hash", b.now))
	_, _, ok, err = b.st.APITokenUser(b.ctx, hashOf("t2"))
	require.NoError(t, err)
	require.False(t, ok, "a new password revokes the user's tokens")
	list, err = b.st.ListAllAPITokens(b.ctx)
	require.NoError(t, err)
	require.Equal(t, []user.Token{t4}, list, "other users' tokens stay")
}

func testDeleteUserCascades(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	b.addUser(t, "ann@example.com", user.RoleAdmin)
	bob := b.addUser(t, "bob@example.com", user.RoleContributor)
	require.NoError(t, b.st.CreateSession(b.ctx, hashOf("s"), bob.ID, b.now.Add(time.Hour), b.now))
	_, err := b.st.CreateAPIToken(b.ctx, user.Token{Name: "t", OwnerID: bob.ID, Last4: "1234", CreatedAt: b.now}, hashOf("t"))
	require.NoError(t, err)

	require.NoError(t, b.st.DeleteUser(b.ctx, bob.ID))
	_, ok, err := b.st.SessionUser(b.ctx, hashOf("s"), b.now)
	require.NoError(t, err)
	require.False(t, ok, "a removed user's session is gone")
	_, _, ok, err = b.st.APITokenUser(b.ctx, hashOf("t"))
	require.NoError(t, err)
	require.False(t, ok, "a removed user's token is gone")
	list, err := b.st.ListAPITokens(b.ctx, bob.ID)
	require.NoError(t, err)
	require.Empty(t, list)
	_, err = b.st.GetUser(b.ctx, "bob@example.com")
	require.ErrorIs(t, err, store.ErrNotFound)
}

func testAudit(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	list, err := b.st.ListAudit(b.ctx, audit.ListOptions{})
	require.NoError(t, err)
	require.Empty(t, list)
	var ids []int64
	for i := range 5 {
		e, err := b.st.AppendAudit(b.ctx, audit.Entry{
			At: b.now.Add(time.Duration(i) * time.Second), Actor: "ann@example.com",
			Action: "export.run", Target: "Export " + strconv.Itoa(i), Detail: "run " + strconv.Itoa(i),
		})
		require.NoError(t, err)
		require.NotZero(t, e.ID)
		ids = append(ids, e.ID)
	}
	list, err = b.st.ListAudit(b.ctx, audit.ListOptions{Limit: 2})
	require.NoError(t, err)
	require.Len(t, list, 2)
	require.Equal(t, audit.Entry{ID: ids[4], At: b.now.Add(4 * time.Second), Actor: "ann@example.com",
		Action: "export.run", Target: "Export 4", Detail: "run 4"}, list[0], "newest first")
	require.Equal(t, ids[3], list[1].ID)
	list, err = b.st.ListAudit(b.ctx, audit.ListOptions{Before: list[1].ID, Limit: 10})
	require.NoError(t, err)
	require.Len(t, list, 3)
	require.Equal(t, []int64{ids[2], ids[1], ids[0]}, []int64{list[0].ID, list[1].ID, list[2].ID})
}
