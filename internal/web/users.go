package web

import (
	"fmt"
	"net/http"
	"strconv"

	"segbridge/internal/httpauth"
	"segbridge/internal/user"
)

type usersView struct {
	Users []user.User
	Roles []user.Role
	// Form is the Add user form as filled in after an error.
	Email string
	Role  string
}

var roles = []user.Role{user.RoleAdmin, user.RoleContributor, user.RoleViewer}

func (s *server) usersPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderUsers(w, r, http.StatusOK, usersView{Role: string(user.RoleViewer)}, "")
}

func (s *server) renderUsers(w http.ResponseWriter, r *http.Request, status int, v usersView, msg string) error {
	us, err := s.app.Users.List(r.Context())
	if err != nil {
		return err
	}
	v.Users, v.Roles = us, roles
	s.renderForm(w, r, status, "users", v, msg)
	return nil
}

// addUser creates a user with the password the admin gives them.
func (s *server) addUser(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return badInput("unreadable form: %v", err)
	}
	v := usersView{Email: r.PostFormValue("email"), Role: r.PostFormValue("role")}
	u, err := s.app.Services.Users.Add(r.Context(), principal(r), v.Email, r.PostFormValue("password"), user.Role(v.Role))
	if err != nil {
		cat, msg := classify(err)
		if cat == catInternal || cat == catForbidden {
			return err
		}
		return s.renderUsers(w, r, cat.status(), v, msg)
	}
	s.redirect(w, r, "/admin/users", fmt.Sprintf("User %s added as %s.", u.Email, u.Role), false)
	return nil
}

// userRef is the {id} of a user's path, as the services take it.
func userRef(r *http.Request) (string, error) {
	id, err := pathID(r, "id")
	return strconv.FormatInt(id, 10), err
}

// userChangeFailed shows a refused change to a user: a bad role or the
// last admin as a message on the users page, anything else as an error.
func (s *server) userChangeFailed(w http.ResponseWriter, r *http.Request, err error) error {
	if cat, msg := classify(err); cat == catBadInput || cat == catConflict {
		s.redirect(w, r, "/admin/users", msg, true)
		return nil
	}
	return err
}

func (s *server) setUserRole(w http.ResponseWriter, r *http.Request) error {
	ref, err := userRef(r)
	if err != nil {
		return err
	}
	u, _, err := s.app.Services.Users.SetRole(r.Context(), principal(r), ref, user.Role(r.PostFormValue("role")))
	if err != nil {
		return s.userChangeFailed(w, r, err)
	}
	s.redirect(w, r, "/admin/users", fmt.Sprintf("%s is now %s.", u.Email, u.Role), false)
	return nil
}

func (s *server) removeUser(w http.ResponseWriter, r *http.Request) error {
	ref, err := userRef(r)
	if err != nil {
		return err
	}
	u, err := s.app.Services.Users.Remove(r.Context(), principal(r), ref)
	if err != nil {
		return s.userChangeFailed(w, r, err)
	}
	s.redirect(w, r, "/admin/users", fmt.Sprintf("User %s removed.", u.Email), false)
	return nil
}

// setUserPassword is an admin setting another user's password (they are
// signed out everywhere and their tokens revoked).
func (s *server) setUserPassword(w http.ResponseWriter, r *http.Request) error {
	ref, err := userRef(r)
	if err != nil {
		return err
	}
	u, err := s.app.Services.Users.SetPassword(r.Context(), principal(r), ref, r.PostFormValue("password"))
	if err != nil {
		return s.userChangeFailed(w, r, err)
	}
	s.redirect(w, r, "/admin/users", fmt.Sprintf("The password of %s is set; they are signed out everywhere and their API tokens are revoked.", u.Email), false)
	return nil
}

// accountPage is My account: who one is, and the form to change one's
// own password.
func (s *server) accountPage(w http.ResponseWriter, r *http.Request) error {
	s.render(w, r, http.StatusOK, "account", nil)
	return nil
}

// changeOwnPassword changes the signed-in user's password, checking the
// current one; every session ends, this one too, so the next page is the
// sign-in page.
func (s *server) changeOwnPassword(w http.ResponseWriter, r *http.Request) error {
	ctx, p := r.Context(), principal(r)
	pw := r.PostFormValue("password")
	if pw != r.PostFormValue("repeat") {
		s.renderForm(w, r, http.StatusBadRequest, "account", nil, "the new password and its repetition differ")
		return nil
	}
	_, err := s.app.Services.Users.ChangeOwnPassword(ctx, p, r.PostFormValue("current"), pw, httpauth.RemoteIP(r))
	if err != nil {
		cat, msg := classify(err)
		if cat == catInternal {
			return err
		}
		s.renderForm(w, r, cat.status(), "account", nil, msg)
		return nil
	}
	s.redirect(w, r, "/login", "Your password is changed; you were signed out everywhere and your API tokens are revoked. Sign in with the new password.", false)
	return nil
}
