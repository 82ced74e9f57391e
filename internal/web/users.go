package web

import (
	"fmt"
	"net/http"
	"strconv"

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
	role, err := user.ParseRole(v.Role)
	if err != nil {
		return s.renderUsers(w, r, http.StatusBadRequest, v, err.Error())
	}
	u, err := s.app.Users.Add(r.Context(), v.Email, r.PostFormValue("password"), role)
	if err != nil {
		cat, msg := classify(err)
		if cat == catInternal {
			cat, msg = catBadInput, err.Error() // the service's errors say what is wrong with the input
		}
		return s.renderUsers(w, r, cat.status(), v, msg)
	}
	s.record(r.Context(), principal(r), "user.add", u.Email, "role "+string(u.Role))
	s.redirect(w, r, "/admin/users", fmt.Sprintf("User %s added as %s.", u.Email, u.Role), false)
	return nil
}

func (s *server) userFromPath(r *http.Request) (user.User, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return user.User{}, err
	}
	u, err := s.app.Users.Get(r.Context(), strconv.FormatInt(id, 10))
	if err != nil || u.ID != id {
		return user.User{}, notFound("no user %d", id)
	}
	return u, nil
}

func (s *server) setUserRole(w http.ResponseWriter, r *http.Request) error {
	u, err := s.userFromPath(r)
	if err != nil {
		return err
	}
	role, err := user.ParseRole(r.PostFormValue("role"))
	if err != nil {
		return inputError(err)
	}
	if _, err := s.app.Users.SetRole(r.Context(), strconv.FormatInt(u.ID, 10), role); err != nil {
		if cat, msg := classify(err); cat != catInternal {
			s.redirect(w, r, "/admin/users", msg, true)
			return nil
		}
		return err
	}
	s.record(r.Context(), principal(r), "user.set_role", u.Email, fmt.Sprintf("%s → %s", u.Role, role))
	s.redirect(w, r, "/admin/users", fmt.Sprintf("%s is now %s.", u.Email, role), false)
	return nil
}

func (s *server) removeUser(w http.ResponseWriter, r *http.Request) error {
	u, err := s.userFromPath(r)
	if err != nil {
		return err
	}
	if err := s.app.Users.Remove(r.Context(), strconv.FormatInt(u.ID, 10)); err != nil {
		if cat, msg := classify(err); cat != catInternal {
			s.redirect(w, r, "/admin/users", msg, true)
			return nil
		}
		return err
	}
	s.record(r.Context(), principal(r), "user.remove", u.Email, "")
	s.redirect(w, r, "/admin/users", fmt.Sprintf("User %s removed.", u.Email), false)
	return nil
}
