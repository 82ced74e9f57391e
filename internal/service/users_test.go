package service_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/service"
	"segbridge/internal/user"
)

const newPassword = "a brand new password 42"

func TestUsersOnlyAdminsManageUsers(t *testing.T) {
	onBothEngines(t, func(t *testing.T, b *connBundle) {
		us := b.svc.Users
		for _, p := range []user.Principal{b.contrib, b.viewer, {}} {
			_, err := us.Add(b.ctx, p, "new@example.com", newPassword, user.RoleViewer)
			requireKind(t, err, service.KindForbidden, "")
			_, err = us.Remove(b.ctx, p, "vera@example.com")
			requireKind(t, err, service.KindForbidden, "")
			_, _, err = us.SetRole(b.ctx, p, "vera@example.com", user.RoleAdmin)
			requireKind(t, err, service.KindForbidden, "")
			_, err = us.SetPassword(b.ctx, p, "ann@example.com", newPassword)
			requireKind(t, err, service.KindForbidden, "")
			_, err = us.SetPassword(b.ctx, p, "nobody@example.com", newPassword)
			requireKind(t, err, service.KindForbidden, "") // not "not found": who is a user does not leak
		}
		_, _, err := us.SetRole(b.ctx, b.contrib, "carl@example.com", user.RoleAdmin)
		require.EqualError(t, err, "only admins may change the role of users; you (carl@example.com) are a contributor")
		_, err = us.SetPassword(b.ctx, b.contrib, "ann@example.com", newPassword)
		require.EqualError(t, err, "only admins may set the password of another user")
		require.Empty(t, b.entries(t), "a refusal records nothing")
	})
}

func TestUsersOneAuditEntryEach(t *testing.T) {
	onBothEngines(t, func(t *testing.T, b *connBundle) {
		us := b.svc.Users
		u, err := us.Add(b.ctx, b.cli, " new@example.com ", newPassword, user.RoleViewer)
		require.NoError(t, err)
		require.Equal(t, "new@example.com", u.Email)
		u, was, err := us.SetRole(b.ctx, b.admin, "NEW@example.com", user.RoleContributor)
		require.NoError(t, err)
		require.Equal(t, user.RoleViewer, was)
		require.Equal(t, user.RoleContributor, u.Role)
		_, _, err = us.SetRole(b.ctx, b.admin, "new@example.com", user.RoleContributor)
		require.NoError(t, err, "no change, nothing recorded")
		_, err = us.SetPassword(b.ctx, b.admin, fmt.Sprint(u.ID), newPassword)
		require.NoError(t, err)
		_, err = us.SetPassword(b.ctx, b.viewer, "vera@example.com", newPassword)
		require.NoError(t, err, "everyone sets their own password")
		_, err = b.users.Login(b.ctx, "vera@example.com", newPassword, "")
		require.NoError(t, err)
		_, err = us.Remove(b.ctx, b.admin, "new@example.com")
		require.NoError(t, err)
		require.Equal(t, []string{
			"ann@example.com user.remove new@example.com",
			"vera@example.com user.set_password vera@example.com",
			"ann@example.com user.set_password new@example.com",
			"ann@example.com user.set_role new@example.com",
			"cli:tester@host user.add new@example.com",
		}, b.entries(t))
	})
}

func TestUsersErrors(t *testing.T) {
	onBothEngines(t, func(t *testing.T, b *connBundle) {
		us := b.svc.Users
		_, err := us.Add(b.ctx, b.admin, "not-an-email", "short", "boss")
		e := requireKind(t, err, service.KindInvalid, "email")
		require.Len(t, e.Fields, 3, "e-mail, role and password at once: %v", e)
		_, err = us.Add(b.ctx, b.admin, "ANN@example.com", newPassword, user.RoleViewer)
		e = requireKind(t, err, service.KindConflict, "")
		require.Equal(t, `a user with e-mail "ANN@example.com" already exists (see: segbridge user list)`, e.Msg)
		_, err = us.Remove(b.ctx, b.admin, "nobody@example.com")
		e = requireKind(t, err, service.KindNotFound, "")
		require.Equal(t, `no user "nobody@example.com" (see: segbridge user list)`, e.Msg)
		_, err = us.Remove(b.ctx, b.admin, "ann@example.com")
		e = requireKind(t, err, service.KindConflict, "")
		require.ErrorIs(t, err, user.ErrLastAdmin)
		require.Equal(t, "user ann@example.com: the last admin cannot be removed or demoted; make another user admin first", e.Msg)
		_, _, err = us.SetRole(b.ctx, b.cli, "ann@example.com", user.RoleViewer)
		requireKind(t, err, service.KindConflict, "")
		_, _, err = us.SetRole(b.ctx, b.admin, "ann@example.com", "boss")
		requireKind(t, err, service.KindInvalid, "role")
		_, err = us.SetPassword(b.ctx, b.viewer, "vera@example.com", "short")
		requireKind(t, err, service.KindInvalid, "password")
		require.Empty(t, b.entries(t))
	})
}

func TestUsersTokens(t *testing.T) {
	onBothEngines(t, func(t *testing.T, b *connBundle) {
		us := b.svc.Users
		own, plain, err := us.CreateToken(b.ctx, b.viewer, service.TokenInput{Name: "script", TTL: 720 * time.Hour})
		require.NoError(t, err, "everyone creates their own")
		require.Equal(t, b.viewer.UserID, own.OwnerID)
		p, err := b.users.TokenPrincipal(b.ctx, plain)
		require.NoError(t, err)
		require.Equal(t, "vera@example.com", p.Email)

		_, _, err = us.CreateToken(b.ctx, b.contrib, service.TokenInput{Owner: "vera@example.com", Name: "theirs"})
		require.EqualError(t, err, "only admins may create tokens of another user")
		forVera, _, err := us.CreateToken(b.ctx, b.cli, service.TokenInput{Owner: "vera@example.com", Name: "by an admin"})
		require.NoError(t, err, "an admin creates anyone's")
		require.Equal(t, b.viewer.UserID, forVera.OwnerID)
		_, _, err = us.CreateToken(b.ctx, b.cli, service.TokenInput{Name: "mine"})
		requireKind(t, err, service.KindInvalid, "owner") // the local operator is not a user
		_, _, err = us.CreateToken(b.ctx, b.viewer, service.TokenInput{Name: " ", TTL: time.Minute})
		e := requireKind(t, err, service.KindInvalid, "name")
		require.Equal(t, []service.FieldProblem{{Field: "name", Msg: "say what the token is for"},
			{Field: "expires_in", Msg: "token expiry: want 0 (never) or from 1h0m0s to 87840h0m0s, got 1m0s"}}, e.Fields)

		_, err = us.RevokeToken(b.ctx, b.contrib, own.ID)
		e = requireKind(t, err, service.KindNotFound, "")
		require.Equal(t, fmt.Sprintf("no token %d of yours (see: segbridge token list)", own.ID), e.Msg, "another's token reads as none")
		_, err = b.users.TokenPrincipal(b.ctx, plain)
		require.NoError(t, err, "still valid")
		_, err = us.RevokeToken(b.ctx, b.viewer, own.ID)
		require.NoError(t, err, "everyone revokes their own")
		_, err = us.RevokeToken(b.ctx, b.admin, forVera.ID)
		require.NoError(t, err, "an admin revokes anyone's")
		_, err = us.RevokeToken(b.ctx, b.admin, forVera.ID)
		requireKind(t, err, service.KindNotFound, "")

		require.Equal(t, []string{
			fmt.Sprintf("ann@example.com token.revoke token %d", forVera.ID),
			fmt.Sprintf("vera@example.com token.revoke token %d", own.ID),
			fmt.Sprintf("cli:tester@host token.create token %d", forVera.ID),
			fmt.Sprintf("vera@example.com token.create token %d", own.ID),
		}, b.entries(t))
	})
}
