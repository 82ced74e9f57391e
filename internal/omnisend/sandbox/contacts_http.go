package sandbox

import (
	"fmt"
	"net/http"
	"time"
)

// createContact is POST /contacts: upsert by e-mail. 2026-03-15 answers 201
// with the full contact when created, 200 when updated; v3 answers 200 with
// {email, contactID}.
func createContact(s *Server, q *request) (*response, error) {
	in, aerr := s.v.contactRequest(q.body, q.d, true)
	if aerr != nil {
		return nil, aerr
	}
	return s.upsertResponse(q.brand, in, q.d, q.now)
}

// upsertResponse applies in and renders the single-call answer; batches
// reuse it for their items.
func (s *Server) upsertResponse(b *brandState, in *contactInput, d dialect, now time.Time) (*response, error) {
	c, created, aerr := b.upsert(in, now, s.rules)
	if aerr != nil {
		return nil, aerr
	}
	if d == dialectV3 {
		return &response{http.StatusOK, contactRefV3(c)}, nil
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return &response{status, b.contact2026(c)}, nil
}

func getContact(s *Server, q *request) (*response, error) {
	c, aerr := findByID(q)
	if aerr != nil {
		return nil, aerr
	}
	return &response{http.StatusOK, q.brand.renderContact(c, q.d)}, nil
}

func patchContactByID(s *Server, q *request) (*response, error) {
	c, aerr := findByID(q)
	if aerr != nil {
		return nil, aerr
	}
	return s.patch(q, c)
}

// patchContactByEmail is PATCH /contacts?email=…, email required.
func patchContactByEmail(s *Server, q *request) (*response, error) {
	raw := q.r.URL.Query().Get("email")
	if raw == "" {
		return nil, errValidation(fieldError{fieldPath{"email"}, "required", "Query parameter email is required"})
	}
	email, _ := validEmail(raw)
	c := q.brand.byEmail[email]
	if c == nil {
		return nil, errNotFound(fmt.Sprintf("Contact with email %q not found.", raw))
	}
	return s.patch(q, c)
}

// patch updates c with the supplied fields only. 2026-03-15: an identifier
// owned by another contact is a 409. v3: the e-mail cannot be changed and a
// phone owned by another contact is ignored.
func (s *Server) patch(q *request, c *contact) (*response, error) {
	in, aerr := s.v.contactRequest(q.body, q.d, false)
	if aerr != nil {
		return nil, aerr
	}
	policy := conflictReject
	if q.d == dialectV3 {
		policy = conflictIgnore
		if in.Email != nil && c.Email != "" && in.Email.ID != c.Email {
			in.Email = nil
		}
	}
	if aerr := q.brand.update(c, in, q.now, policy, s.rules); aerr != nil {
		return nil, aerr
	}
	if q.d == dialectV3 {
		return &response{http.StatusOK, contactRefV3(c)}, nil
	}
	return &response{http.StatusOK, q.brand.contact2026(c)}, nil
}

func findByID(q *request) (*contact, *apiError) {
	id := q.r.PathValue("id")
	c := q.brand.contacts[id]
	if c == nil {
		return nil, errNotFound(fmt.Sprintf("Contact '%s' not found.", id))
	}
	return c, nil
}
