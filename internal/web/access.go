package web

import (
	"context"
	"net/http"
	"strconv"

	"segbridge/internal/connection"
	"segbridge/internal/export"
	"segbridge/internal/user"
)

// principal is the signed-in user of r (the access check ran before).
func principal(r *http.Request) user.Principal {
	p, _ := user.FromContext(r.Context())
	return p
}

// canUse reports whether p may see and build exports on c.
func canUse(p user.Principal, c connection.Connection) bool {
	return p.CanUseConnection(c.Access == connection.AccessContributors)
}

// pathID reads the numeric path value name.
func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, notFound("no such %s: %q is not a number", name, r.PathValue(name))
	}
	return id, nil
}

// connectionsByID returns every connection by id.
func (s *server) connectionsByID(ctx context.Context) (map[int64]connection.Connection, error) {
	all, err := s.app.Store.ListConnections(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]connection.Connection, len(all))
	for _, c := range all {
		out[c.ID] = c
	}
	return out, nil
}

// usableConnections are the connections p may build exports on.
func (s *server) usableConnections(ctx context.Context, p user.Principal) ([]connection.Connection, error) {
	all, err := s.app.Store.ListConnections(ctx)
	if err != nil {
		return nil, err
	}
	var out []connection.Connection
	for _, c := range all {
		if canUse(p, c) {
			out = append(out, c)
		}
	}
	return out, nil
}

// exportVisible reports whether p may see export e: its connection is one
// p may use; a detached export only admins see.
func exportVisible(p user.Principal, e export.Export, conns map[int64]connection.Connection) bool {
	c, ok := conns[e.ConnectionID]
	if !ok {
		return p.IsAdmin()
	}
	return canUse(p, c)
}

// pathExport is the export the request's {id} names, if its principal may
// see it.
func (s *server) pathExport(r *http.Request) (export.Export, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return export.Export{}, err
	}
	return s.visibleExport(r.Context(), principal(r), id)
}

// visibleExport loads export id if p may see it; otherwise it is not found
// (an export on an admin-only connection does not exist for others).
func (s *server) visibleExport(ctx context.Context, p user.Principal, id int64) (export.Export, error) {
	e, err := s.app.Store.GetExport(ctx, strconv.FormatInt(id, 10))
	if err != nil {
		return e, err
	}
	conns, err := s.connectionsByID(ctx)
	if err != nil {
		return e, err
	}
	if e.ID != id || !exportVisible(p, e, conns) {
		return export.Export{}, notFound("no export %d", id)
	}
	return e, nil
}
