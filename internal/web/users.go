package web

import (
	"fmt"
	"net/http"
	"strconv"

	"segbridge/internal/httpauth"
	"segbridge/internal/service"
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
	return s.renderUsers(w, r, http.StatusOK, usersView{Role: string(user.RoleViewer)}, "", nil)
}

func (s *server) renderUsers(w http.ResponseWriter, r *http.Request, status int, v usersView, msg string, ps []fieldProblem) error {
	us, err := s.app.Users.List(r.Context())
	if err != nil {
		return err
	}
	v.Users, v.Roles = us, roles
	s.renderPage(w, r, status, "users", v, msg, ps)
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
		general, ps := splitProblems(err, msg, formFields{"email": {"email", "E-mail"}, "password": {"password", "Initial password"}, "role": {"role", "Role"}})
		return s.renderUsers(w, r, cat.status(), v, general, ps)
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
// A bad role or password of a user's row shows beside that row's field
// (fields).
func (s *server) userChangeFailed(w http.ResponseWriter, r *http.Request, err error, fields formFields) error {
	cat, msg := classify(err)
	if general, ps := splitProblems(err, msg, fields); cat == catBadInput && len(ps) > 0 {
		return s.renderUsers(w, r, cat.status(), usersView{Role: string(user.RoleViewer)}, general, ps)
	}
	if cat == catBadInput || cat == catConflict {
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
		return s.userChangeFailed(w, r, err, formFields{"role": {"role-" + ref, "Role of " + s.userName(r, ref)}})
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
		return s.userChangeFailed(w, r, err, nil)
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
		return s.userChangeFailed(w, r, err, formFields{"password": {"password-" + ref, "New password for " + s.userName(r, ref)}})
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
		return s.renderInvalid(w, r, "account", nil, service.Invalid("repeat", "differs from the new password; type the same password twice"), accountFields)
	}
	_, err := s.app.Services.Users.ChangeOwnPassword(ctx, p, r.PostFormValue("current"), pw, httpauth.RemoteIP(r))
	if err != nil {
		return s.renderInvalid(w, r, "account", nil, err, accountFields)
	}
	s.redirect(w, r, "/login", "Your password is changed; you were signed out everywhere and your API tokens are revoked. Sign in with the new password.", false)
	return nil
}

// userName is the e-mail of user id ref, for a label ("user ID" if it
// cannot be read).
func (s *server) userName(r *http.Request, ref string) string {
	us, err := s.app.Users.List(r.Context())
	if err == nil {
		for _, u := range us {
			if strconv.FormatInt(u.ID, 10) == ref {
				return u.Email
			}
		}
	}
	return "user " + ref
}

// accountFields are where My account's password form shows each field's
// problem.
var accountFields = formFields{"current": {"current", "Current password"}, "password": {"new-password", "New password"}, "repeat": {"repeat", "New password again"}}
