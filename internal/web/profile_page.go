package web

import (
	"errors"
	"net/http"
	"sort"

	"segbridge/internal/service"
	"segbridge/internal/store"
)

// profileAttr is one attribute row of the profile page.
type profileAttr struct {
	Name   string
	Value  any
	Origin *service.AttributeOrigin
}

type profileView struct {
	ID               string
	Created, Updated string
	Attrs            []profileAttr
	Unified          bool
}

// profilePage shows one profile: every attribute with its value and,
// for a profile that sources made, its source and arrival time.
func (s *server) profilePage(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	p, err := s.app.Store.GetProfile(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return notFound("no profile with id %q", id)
	}
	if err != nil {
		return err
	}
	origins, err := s.app.Services.Sources.Origins(r.Context(), id)
	if err != nil {
		return err
	}
	v := profileView{ID: p.ID, Created: fmtTime(p.CreatedAt), Updated: fmtTime(p.UpdatedAt), Unified: origins != nil}
	for k, val := range p.Attrs {
		a := profileAttr{Name: k, Value: val}
		if o, ok := origins[k]; ok {
			a.Origin = &o
		}
		v.Attrs = append(v.Attrs, a)
	}
	sort.Slice(v.Attrs, func(i, j int) bool { return v.Attrs[i].Name < v.Attrs[j].Name })
	s.render(w, r, http.StatusOK, "profile", v)
	return nil
}
