package web

import (
	"net/http"
	"sort"

	"segbridge/internal/segment"
	"segbridge/internal/service"
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
	Segments         []segment.Segment
	Exports          []service.ProfileExport
}

// profilePage shows one profile: every attribute with its value and,
// for a profile that sources made, its source and arrival time; the
// segments it is in; and what each export last confirmed in Omnisend.
func (s *server) profilePage(w http.ResponseWriter, r *http.Request) error {
	d, err := s.app.Services.Profiles.Show(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	p, origins := d.Profile, d.Origins
	v := profileView{ID: p.ID, Created: fmtTime(p.CreatedAt), Updated: fmtTime(p.UpdatedAt), Unified: origins != nil,
		Segments: d.Segments, Exports: d.Exports}
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
