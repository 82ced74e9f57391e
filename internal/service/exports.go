package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"segbridge/internal/connection"
	"segbridge/internal/export"
	"segbridge/internal/segment"
	"segbridge/internal/store"
	"segbridge/internal/user"
)

// Exports creates, changes and removes export definitions. Saving an
// export never runs it (see Runs).
type Exports struct{ *core }

// ExportInput is an export's settings as an interface read them from its
// flags, JSON body or form. On Create, Name, Connection and Mapping are
// required and every unset field takes its default (export.WithDefaults);
// on Update only the fields set change.
type ExportInput struct {
	// Name names the export ("": unchanged).
	Name string
	// Connection is the name or id of the connection to send to (""
	// unchanged; set on a detached export, it re-attaches it).
	Connection string
	// Segments are segment names, slugs or ids, in the export's order
	// (nil: unchanged; otherwise they replace the list).
	Segments []string
	// Mapping replaces the whole mapping (nil: unchanged).
	Mapping *export.Mapping
	// TagPrefix starts the segment tags ("": unchanged, or the default).
	TagPrefix string
	// Leave is "untag" or "keep" ("": unchanged, or untag).
	Leave string
	// Schedule replaces the schedule (nil: unchanged, or refresh).
	Schedule *export.Schedule
	// ProfileCap is the most profiles a run may send (0: unchanged, or the
	// default).
	ProfileCap int
	// Active false pauses scheduled runs (nil: unchanged, or true).
	Active *bool
	// ConsentPolicy is keep, opt-ins or mirror ("": unchanged, or keep);
	// see export.ConsentPolicy.
	ConsentPolicy string
	// Brake changes the removal brake's thresholds that it sets (the
	// others: unchanged, or their defaults).
	Brake export.BrakePatch
}

// changed names the fields in sets, for the audit entry of an update.
func (in ExportInput) changed() string {
	var f []string
	for name, set := range map[string]bool{"name": in.Name != "", "connection": in.Connection != "", "segments": in.Segments != nil,
		"mapping": in.Mapping != nil, "tag_prefix": in.TagPrefix != "", "leave": in.Leave != "", "schedule": in.Schedule != nil,
		"profile_cap": in.ProfileCap != 0, "active": in.Active != nil,
		"consent_policy": in.ConsentPolicy != "", "brake": !in.Brake.IsZero()} {
		if set {
			f = append(f, name)
		}
	}
	if len(f) == 0 {
		return "nothing changed"
	}
	slices.Sort(f)
	return "changed " + strings.Join(f, ", ")
}

// Get finds the export nameOrID names, if p may see it: admins see every
// export, others those on a connection that allows contributors (an
// export p may not see is not found, like one that does not exist).
func (s *Exports) Get(ctx context.Context, p user.Principal, nameOrID string) (export.Export, error) {
	e, err := s.st.GetExport(ctx, nameOrID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return e, err
	}
	ok := err == nil
	if ok {
		if ok, err = s.visible(ctx, p, e); err != nil {
			return e, err
		}
	}
	if !ok {
		if p.IsAdmin() {
			return export.Export{}, NotFound("no export named %q", nameOrID)
		}
		return export.Export{}, NotFound("no export named %q that you may see", nameOrID)
	}
	return e, nil
}

// visible reports whether p may see e.
func (s *Exports) visible(ctx context.Context, p user.Principal, e export.Export) (bool, error) {
	if p.IsAdmin() {
		return true, nil
	}
	if e.Detached() {
		return false, nil
	}
	admins, err := s.adminOnlyConnections(ctx, e.ConnectionID)
	return len(admins) == 0, err
}

// writable finds an export p may see and checks that p may perform a on
// it.
func (s *Exports) writable(ctx context.Context, p user.Principal, a Action, nameOrID string) (export.Export, error) {
	if err := allow(p, a, Subject{}); err != nil {
		return export.Export{}, err
	}
	e, err := s.Get(ctx, p, nameOrID)
	if err != nil {
		return e, err
	}
	return e, s.allowOn(ctx, p, a, e)
}

// allowOn checks the permission table for a on export e as it is (or is
// about to be saved): p must be allowed to use its connection.
func (s *Exports) allowOn(ctx context.Context, p user.Principal, a Action, e export.Export) error {
	var ids []int64
	if e.ConnectionID != 0 {
		ids = append(ids, e.ConnectionID)
	}
	admins, err := s.adminOnlyConnections(ctx, ids...)
	if err != nil {
		return err
	}
	return allow(p, a, Subject{Name: fmt.Sprintf("export %q", e.Name), AdminOnly: admins})
}

// Create checks and stores a new export; saving never runs it.
func (s *Exports) Create(ctx context.Context, p user.Principal, in ExportInput) (export.Export, error) {
	e, err := s.prepareCreate(ctx, p, in)
	if err != nil {
		return export.Export{}, err
	}
	e.CreatedAt = s.now()
	e.UpdatedAt = e.CreatedAt
	saved, err := s.st.CreateExport(ctx, e)
	if err != nil {
		return saved, s.writeError(ctx, p, e, err)
	}
	s.record(ctx, p, ExportCreate, saved.Name, fmt.Sprintf("connection %q, %d segment(s), %s", saved.ConnectionName, len(saved.Segments), saved.Schedule))
	return saved, nil
}

// Check validates in as Create (nameOrID "") or Update of the export
// nameOrID names would, and saves nothing: a form that could not read
// some of its fields uses it to show every other invalid field as well.
func (s *Exports) Check(ctx context.Context, p user.Principal, nameOrID string, in ExportInput) error {
	if nameOrID == "" {
		_, err := s.prepareCreate(ctx, p, in)
		return err
	}
	_, err := s.prepareUpdate(ctx, p, nameOrID, in)
	return err
}

// prepareCreate is the export Create would save, checked.
func (s *Exports) prepareCreate(ctx context.Context, p user.Principal, in ExportInput) (export.Export, error) {
	if err := allow(p, ExportCreate, Subject{}); err != nil {
		return export.Export{}, err
	}
	var missing []FieldProblem
	if strings.TrimSpace(in.Name) == "" {
		missing = append(missing, FieldProblem{"name", "required"})
	}
	if strings.TrimSpace(in.Connection) == "" {
		missing = append(missing, FieldProblem{"connection", "required: the connection to send to"})
	}
	if in.Mapping == nil {
		missing = append(missing, FieldProblem{"mapping", `required: at least the e-mail mapping, such as {"email": "email"}`})
	}
	e := export.Export{Active: true, Brake: export.DefaultBrake()}
	if len(missing) > 0 {
		// Name every other invalid field too, at once.
		more := s.apply(ctx, p, in, &e)
		if more == nil {
			more = s.check(ctx, p, ExportCreate, e.WithDefaults())
		}
		return export.Export{}, InvalidFields(withOthers(missing, more)...)
	}
	if err := s.apply(ctx, p, in, &e); err != nil {
		return export.Export{}, err
	}
	e = e.WithDefaults()
	if err := s.check(ctx, p, ExportCreate, e); err != nil {
		return export.Export{}, err
	}
	return e, nil
}

// Update changes the fields in sets of the export nameOrID names; saving
// never runs it. Moving it to another connection needs p to be allowed to
// use both.
func (s *Exports) Update(ctx context.Context, p user.Principal, nameOrID string, in ExportInput) (export.Export, error) {
	e, err := s.prepareUpdate(ctx, p, nameOrID, in)
	if err != nil {
		return e, err
	}
	e.UpdatedAt = s.now()
	saved, err := s.st.UpdateExport(ctx, e)
	if err != nil {
		return saved, s.writeError(ctx, p, e, err)
	}
	s.record(ctx, p, ExportUpdate, saved.Name, in.changed())
	return saved, nil
}

// prepareUpdate is the export Update would save, checked.
func (s *Exports) prepareUpdate(ctx context.Context, p user.Principal, nameOrID string, in ExportInput) (export.Export, error) {
	e, err := s.writable(ctx, p, ExportUpdate, nameOrID)
	if err != nil {
		return e, err
	}
	if err := s.apply(ctx, p, in, &e); err != nil {
		return e, err
	}
	return e, s.check(ctx, p, ExportUpdate, e)
}

// Delete removes the export nameOrID names. Its contacts stay in Omnisend
// with their tags; nothing is sent.
func (s *Exports) Delete(ctx context.Context, p user.Principal, nameOrID string) (export.Export, error) {
	e, err := s.writable(ctx, p, ExportDelete, nameOrID)
	if err != nil {
		return e, err
	}
	err = s.st.DeleteExport(ctx, e.ID)
	if errors.Is(err, store.ErrNotFound) {
		return e, NotFound("export %q was removed meanwhile", e.Name).because(err)
	}
	if err != nil {
		return e, fmt.Errorf("delete export %q: %w", e.Name, err)
	}
	s.record(ctx, p, ExportDelete, e.Name, "")
	return e, nil
}

// apply sets the fields in sets on e, resolving the connection (one p
// may use) and the segments by name.
func (s *Exports) apply(ctx context.Context, p user.Principal, in ExportInput, e *export.Export) error {
	if in.Name != "" {
		e.Name = strings.TrimSpace(in.Name)
	}
	var bad []FieldProblem // the connection and the segments, both named at once
	if ref := strings.TrimSpace(in.Connection); ref != "" {
		c, err := s.usableConnection(ctx, p, ref)
		if se, ok := AsError(err); ok && len(se.Fields) > 0 {
			bad = append(bad, se.Fields...)
		} else if err != nil {
			return err
		}
		e.ConnectionID, e.ConnectionName, e.DetachedReason = c.ID, c.Name, ""
	}
	if in.Segments != nil {
		ids, err := s.segmentIDs(ctx, in.Segments)
		if se, ok := AsError(err); ok && len(se.Fields) > 0 {
			bad = append(bad, se.Fields...)
		} else if err != nil {
			return err
		}
		e.Segments = ids
	}
	if len(bad) > 0 {
		return InvalidFields(bad...)
	}
	if in.Mapping != nil {
		e.Mapping = in.Mapping.Clone()
	}
	if in.TagPrefix != "" {
		e.TagPrefix = in.TagPrefix
	}
	if in.Leave != "" {
		e.Leave = export.Leave(in.Leave)
	}
	if in.Schedule != nil {
		e.Schedule = in.Schedule.WithDefaults()
	}
	if in.ProfileCap != 0 {
		e.ProfileCap = in.ProfileCap
	}
	if in.Active != nil {
		e.Active = *in.Active
	}
	if in.ConsentPolicy != "" {
		e.ConsentPolicy = export.ConsentPolicy(in.ConsentPolicy)
	}
	e.Brake = in.Brake.Apply(e.Brake)
	return nil
}

// withOthers is the fields at fault, then those of err (a service error)
// that are not among them or inside one of them.
func withOthers(fields []FieldProblem, err error) []FieldProblem {
	se, ok := AsError(err)
	if !ok {
		return fields
	}
	out := slices.Clone(fields)
	for _, fp := range se.Fields {
		if !slices.ContainsFunc(fields, func(f FieldProblem) bool {
			return f.Field == fp.Field || strings.HasPrefix(fp.Field, f.Field+".")
		}) {
			out = append(out, fp)
		}
	}
	return out
}

// usableConnection finds the connection ref names (name or id) among
// those p may use: one p may not use reads as unknown.
func (s *Exports) usableConnection(ctx context.Context, p user.Principal, ref string) (connection.Connection, error) {
	c, err := s.st.GetConnection(ctx, ref)
	if errors.Is(err, store.ErrNotFound) || err == nil && !p.CanUseConnection(c.Access == connection.AccessContributors) {
		if p.IsAdmin() {
			return c, Invalid("connection", "no connection named %q", ref)
		}
		return c, Invalid("connection", "no connection named %q that you may use", ref)
	}
	return c, err
}

// segmentIDs resolves segment names, slugs or ids, in order.
func (s *Exports) segmentIDs(ctx context.Context, refs []string) ([]int64, error) {
	all, err := s.st.ListSegments(ctx)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, 0, len(refs))
	for _, ref := range refs {
		ref = strings.TrimSpace(ref)
		i := slices.IndexFunc(all, func(sg segment.Segment) bool { return strings.EqualFold(sg.Name, ref) || sg.Slug == ref })
		if i < 0 {
			if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
				i = slices.IndexFunc(all, func(sg segment.Segment) bool { return sg.ID == id })
			}
		}
		if i < 0 {
			return nil, Invalid("segments", "no segment named %q", ref)
		}
		ids = append(ids, all[i].ID)
	}
	return ids, nil
}

// check validates e as it is about to be saved by p: the permission table
// on its connection, its fields, its mapping against the stored profiles,
// its name, and its mapping against the other exports to the same brand.
func (s *Exports) check(ctx context.Context, p user.Principal, a Action, e export.Export) error {
	if err := s.allowOn(ctx, p, a, e); err != nil {
		return err
	}
	if err := e.Validate(); err != nil {
		return fieldError(err)
	}
	schema, err := s.st.ProfileSchema(ctx)
	if err != nil {
		return err
	}
	if err := export.CheckMapping(e.Mapping, schema); err != nil {
		return fieldError(err)
	}
	others, err := s.st.ListExports(ctx)
	if err != nil {
		return err
	}
	for _, o := range others {
		if o.ID != e.ID && strings.EqualFold(o.Name, e.Name) {
			return s.nameTaken(ctx, p, o, nil)
		}
	}
	return s.checkSameBrand(ctx, p, e, others)
}

// nameTaken is the conflict of a name another export o holds. An export p
// may not see is not described: its name just cannot be used.
func (s *Exports) nameTaken(ctx context.Context, p user.Principal, o export.Export, cause error) error {
	ok, err := s.visible(ctx, p, o)
	if err != nil {
		return err
	}
	if !ok {
		return Conflict("the name %q cannot be used; choose another name", o.Name).because(cause)
	}
	return Conflict("an export named %q already exists; choose another name", o.Name).because(cause)
}

// checkSameBrand refuses a mapping that gives a contact's field another
// source than an export to the same Omnisend brand does
// (export.CheckSameBrand). An export p may not see is not named.
func (s *Exports) checkSameBrand(ctx context.Context, p user.Principal, e export.Export, all []export.Export) error {
	if e.ConnectionID == 0 {
		return nil
	}
	conns, err := s.st.ListConnections(ctx)
	if err != nil {
		return err
	}
	byID := make(map[int64]connection.Connection, len(conns))
	for _, c := range conns {
		byID[c.ID] = c
	}
	mine := byID[e.ConnectionID]
	var seen, hidden []export.SameBrand
	for _, o := range all {
		c, ok := byID[o.ConnectionID]
		if o.ID == e.ID || !ok || c.ID != mine.ID && (c.BrandID == "" || c.BrandID != mine.BrandID) {
			continue
		}
		if p.CanUseConnection(c.Access == connection.AccessContributors) {
			seen = append(seen, export.SameBrand{Name: o.Name, Mapping: o.Mapping})
		} else {
			hidden = append(hidden, export.SameBrand{Name: o.Name, Mapping: o.Mapping})
		}
	}
	if err := export.CheckSameBrand(e.Mapping, seen); err != nil {
		return fieldError(err)
	}
	if err := export.CheckSameBrand(e.Mapping, hidden); err != nil {
		return hiddenSameBrand(err)
	}
	return nil
}

// hiddenSameBrand is export.CheckSameBrand's refusal without the other
// export's name and attributes.
func hiddenSameBrand(err error) error {
	var fe *export.FieldError
	if !errors.As(err, &fe) {
		return err
	}
	return Invalid(fe.Field, "another export on the same Omnisend brand fills this field from a different attribute: "+
		"a contact in both would get it from whichever ran last; leave it out of this mapping, or ask an admin").because(err)
}

// fieldError is a domain validation error (*export.FieldError) as an
// invalid field.
func fieldError(err error) error {
	fes := export.FieldErrors(err)
	switch len(fes) {
	case 0:
		return err
	case 1:
		return Invalid(fes[0].Field, "%s", fes[0].Msg).because(err)
	}
	ps := make([]FieldProblem, len(fes))
	for i, fe := range fes {
		ps[i] = FieldProblem{Field: fe.Field, Msg: fe.Msg}
	}
	return InvalidFields(ps...).because(err)
}

// writeError translates the store's refusal to save e.
func (s *Exports) writeError(ctx context.Context, p user.Principal, e export.Export, err error) error {
	var fe *export.FieldError
	switch {
	case errors.As(err, &fe) && p.IsAdmin():
		return fieldError(err)
	case errors.As(err, &fe):
		return hiddenSameBrand(err)
	case errors.Is(err, store.ErrConflict):
		o, gerr := s.st.GetExport(ctx, e.Name)
		if gerr != nil {
			o = export.Export{Name: e.Name} // gone again: described as hidden
		}
		return s.nameTaken(ctx, p, o, err)
	case errors.Is(err, store.ErrNotFound):
		return Conflict("export %q: its connection, one of its segments or the export itself was removed meanwhile; check them and save again", e.Name).because(err)
	}
	return fmt.Errorf("save export %q: %w", e.Name, err)
}
