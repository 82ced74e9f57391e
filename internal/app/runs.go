package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"segbridge/internal/connection"
	"segbridge/internal/export"
	"segbridge/internal/omnisend"
	"segbridge/internal/profile"
	"segbridge/internal/run"
	"segbridge/internal/segment"
	"segbridge/internal/service"
	"segbridge/internal/store"
	"segbridge/internal/user"
)

// resolver resolves an export's run target from the store: it refreshes the
// export's segments, and builds the mapping and the connection's client.
type resolver struct {
	a *App
}

var _ run.Resolver = resolver{}

// Resolve implements run.Resolver.
func (rv resolver) Resolve(ctx context.Context, r run.Run) (run.Target, error) {
	a := rv.a
	ex, err := a.Store.GetExport(ctx, strconv.FormatInt(r.ExportID, 10))
	if err != nil {
		return run.Target{}, fmt.Errorf("export %d: %w", r.ExportID, err)
	}
	if ex.Detached() {
		return run.Target{}, fmt.Errorf("export %q has no connection: %s", ex.Name, ex.DetachedText())
	}
	refreshed := a.Now()
	segs, err := rv.refreshSegments(ctx, ex, refreshed)
	if err != nil {
		return run.Target{}, err
	}
	if err := rv.checkDefinition(ctx, ex, segs); err != nil {
		return run.Target{}, err
	}
	client, conn, err := rv.client(ctx, ex)
	if err != nil {
		return run.Target{}, err
	}
	// Checked on save; checked again here in case the row was edited.
	if err := connection.ValidateTagging(conn.Tagging, conn.Dialect); err != nil {
		return run.Target{}, fmt.Errorf("connection %q: %w", conn.Name, err)
	}
	from, err := rv.membersFrom(ex, segs)
	if err != nil {
		return run.Target{}, err
	}
	members, err := rv.members(ex, segs)
	if err != nil {
		return run.Target{}, err
	}
	t := rv.target(ex, conn, members, client)
	t.Check = rv.stillAllowed(ex, r)
	t.Signature = signature(ex, segs, conn)
	t.Changes = runChanges{rv: rv, ex: ex, members: from}
	t.Refreshed = refreshed
	return t, nil
}

// target is ex's run target on conn: how members map to contacts, how
// they are tagged, its cap. A run and a preview build it alike.
func (rv resolver) target(ex export.Export, conn connection.Connection, members func(context.Context, func(profile.Profile, []string) error) error, client *omnisend.Client) run.Target {
	endpoints := conn.Tagging == connection.TaggingEndpoints
	return run.Target{
		Members:      members,
		Map:          mapper(ex.Mapping, endpoints, ex.ConsentOf(rv.a.Now())),
		TagEndpoints: endpoints,
		BaseTags:     []string{export.SourceTag},
		KeepLeavers:  ex.Leave == export.LeaveKeep,
		Brake:        run.Brake(ex.Brake),
		Cap:          ex.ProfileCap,
		Client:       client,
	}
}

// refreshSegments re-evaluates the export's segments (their joins and
// leaves recorded at now) and returns them by id.
func (rv resolver) refreshSegments(ctx context.Context, ex export.Export, now time.Time) (map[int64]segment.Segment, error) {
	all, err := rv.a.Store.ListSegments(ctx)
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]segment.Segment, len(all))
	for _, s := range all {
		byID[s.ID] = s
	}
	out := make(map[int64]segment.Segment, len(ex.Segments))
	for _, id := range ex.Segments {
		seg, ok := byID[id]
		if !ok {
			return nil, fmt.Errorf("export %q: segment %d no longer exists; edit the export's segments", ex.Name, id)
		}
		if _, err := segment.Refresh(ctx, rv.a.Store, seg, now); err != nil {
			return nil, err
		}
		out[id] = seg
	}
	return out, nil
}

// members streams the export's members with their segment tags. A rule
// segment's membership is decided again on the very attributes read for
// the contact (the stored membership only says whom to read), so that a
// re-import running meanwhile can never give a contact tags from one
// import and fields from another: a member the new data takes out of
// every segment is not sent (and is untagged if Omnisend has it).
func (rv resolver) members(ex export.Export, segs map[int64]segment.Segment) (func(context.Context, func(profile.Profile, []string) error) error, error) {
	from, err := rv.membersFrom(ex, segs)
	if err != nil {
		return nil, err
	}
	return from(func(ctx context.Context, fn func(string, []byte, []int64) error) error {
		return rv.a.Store.ScanMemberProfiles(ctx, ex.Segments, fn)
	}), nil
}

// membersFrom is members over the stored member profiles scan streams
// (all of them, or those a changes-only plan reads).
func (rv resolver) membersFrom(ex export.Export, segs map[int64]segment.Segment) (func(scan scanFunc) func(context.Context, func(profile.Profile, []string) error) error, error) {
	rules := make(map[int64]*segment.Rule, len(segs))
	want := ex.Mapping.Attributes()
	all := false
	for id, seg := range segs {
		if seg.Kind != segment.KindRule {
			continue
		}
		rule, err := segment.Compile(seg.Rule)
		if err != nil {
			return nil, fmt.Errorf("segment %q: %w", seg.Name, err)
		}
		rules[id] = rule
		names, ok := rule.Attributes()
		all = all || !ok
		want = append(want, names...)
	}
	return func(scan scanFunc) func(context.Context, func(profile.Profile, []string) error) error {
		return func(ctx context.Context, fn func(profile.Profile, []string) error) error {
			return scan(ctx, func(id string, raw []byte, in []int64) error {
				var attrs profile.Attrs
				var err error
				if all {
					attrs, err = profile.DecodeAttrs(raw)
				} else {
					attrs, err = profile.DecodeSelected(raw, want)
				}
				if err != nil {
					return fmt.Errorf("profile %q: %w", id, err)
				}
				tags := make([]string, 0, len(in))
				for _, sid := range ex.Segments { // the export's order
					if memberOf(sid, in, rules[sid], attrs) {
						tags = append(tags, export.SegmentTag(ex.TagPrefix, segs[sid].Slug))
					}
				}
				if len(tags) == 0 {
					return nil // no longer a member on the data read
				}
				return fn(profile.Profile{ID: id, Attrs: attrs}, tags)
			})
		}
	}, nil
}

// memberOf says whether a profile with attrs, stored as a member of the
// segments in, is a member of segment sid: by its rule on attrs when it
// has one (a rule that cannot be evaluated does not match), else by the
// stored membership.
func memberOf(sid int64, in []int64, rule *segment.Rule, attrs profile.Attrs) bool {
	if rule != nil {
		ok, err := rule.Match(attrs)
		return ok && err == nil
	}
	return slices.Contains(in, sid)
}

// checkDefinition runs the checks made when the export and its segments
// were saved again, against the profiles as they are now (a re-import can
// take an attribute away): a run whose mapping or rules no longer fit fails
// before it plans, sending and untagging nothing.
func (rv resolver) checkDefinition(ctx context.Context, ex export.Export, segs map[int64]segment.Segment) error {
	if err := rv.a.CheckMapping(ctx, ex.Mapping); err != nil {
		return fmt.Errorf("export %q: its mapping no longer fits the stored profiles, so nothing was sent or untagged: %w", ex.Name, err)
	}
	for _, id := range ex.Segments {
		seg := segs[id]
		if seg.Kind != segment.KindRule {
			continue
		}
		if err := rv.a.CheckRule(ctx, seg.Rule); err != nil {
			return fmt.Errorf("segment %q: its rule no longer fits the stored profiles, so nothing was sent or untagged: %w", seg.Name, err)
		}
	}
	return nil
}

// stillAttached is the run's Check: the export must still exist and be
// attached to the connection the run resolved, or the run stops at its next
// batch (removing a connection must not leave a run sending with its key).
func (rv resolver) stillAttached(ex export.Export) func(context.Context) error {
	return func(ctx context.Context) error {
		cur, err := rv.a.Store.GetExport(ctx, strconv.FormatInt(ex.ID, 10))
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("export %q was removed while the run worked", ex.Name)
		}
		if err != nil {
			return err
		}
		if cur.Detached() || cur.ConnectionID != ex.ConnectionID {
			return fmt.Errorf("export %q: its connection was removed or changed while the run worked (%s); what Omnisend confirmed is kept, and the export's next run continues",
				ex.Name, cur.DetachedText())
		}
		return nil
	}
}

// stillAllowed is the run's Check: the export must still be attached
// (stillAttached), and the user who started the run by hand, if one did,
// must still be allowed to run it — not removed, not made a viewer, and
// its connection not made admins-only under a contributor — or the run
// stops at its next batch.
func (rv resolver) stillAllowed(ex export.Export, r run.Run) func(context.Context) error {
	attached := rv.stillAttached(ex)
	return func(ctx context.Context) error {
		if err := attached(ctx); err != nil || r.StartedBy == 0 {
			return err
		}
		u, err := rv.a.Users.Get(ctx, strconv.FormatInt(r.StartedBy, 10))
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("export %q: the user who started run %d was removed while it worked; what Omnisend confirmed is kept, and the export's next run continues", ex.Name, r.ID)
		}
		if err != nil {
			return err
		}
		conn, err := rv.a.Store.GetConnection(ctx, strconv.FormatInt(ex.ConnectionID, 10))
		if err != nil {
			return err
		}
		p := user.Principal{UserID: u.ID, Email: u.Email, Role: u.Role}
		if err := service.MayRun(p, conn.Access != connection.AccessContributors, conn.Name); err != nil {
			return fmt.Errorf("export %q: %s, who started run %d, may no longer run it (%s is now %s, and connection %q is for %s); what Omnisend confirmed is kept, and the export's next run continues",
				ex.Name, u.Email, r.ID, u.Email, u.Role, conn.Name, accessText(conn.Access))
		}
		return nil
	}
}

func accessText(a connection.Access) string {
	if a == connection.AccessContributors {
		return "admins and contributors"
	}
	return "admins only"
}

// mapper turns a member into its desired contact with the export's
// mapping. With endpoints (tags through the tag endpoints) the contact is
// sent without tags, but its hash still covers them: a contact whose tags
// change is planned as changed, and switching a connection's tagging does
// not make every contact look changed. cs decides the e-mail statuses (its
// clock is the run's start: a status dated later is held back).
func mapper(m export.Mapping, endpoints bool, cs export.Consent) func(profile.Profile, []string) (run.Desired, string) {
	return func(p profile.Profile, segTags []string) (run.Desired, string) {
		tags := append([]string{export.SourceTag}, segTags...)
		c, res := m.Contact(p, tags, cs)
		if res.Skipped() {
			email, _ := p.Attrs[m.Email].(string)
			return run.Desired{Email: email, ProfileID: p.ID}, string(res.Skip)
		}
		hash := export.Hash(c)
		if endpoints {
			c.Tags = nil
		}
		b, err := json.Marshal(c)
		if err != nil {
			return run.Desired{Email: c.Email, ProfileID: p.ID}, "unencodable"
		}
		return run.Desired{Email: c.Email, ProfileID: p.ID, Contact: b, Hash: hash, Tags: segTags, Dropped: res.Dropped.Fields()}, ""
	}
}

// client builds the Omnisend client of the export's connection. Every
// client shares one rate budget, which keeps one sliding window per brand;
// each export is a share of it, so exports to one brand divide its budget
// fairly. (The executor counts a run's requests as they are sent.)
func (rv resolver) client(ctx context.Context, ex export.Export) (*omnisend.Client, connection.Connection, error) {
	a := rv.a
	conn, err := a.Store.GetConnection(ctx, strconv.FormatInt(ex.ConnectionID, 10))
	if errors.Is(err, store.ErrNotFound) {
		return nil, conn, fmt.Errorf("export %q: its connection was removed", ex.Name)
	}
	if err != nil {
		return nil, conn, err
	}
	key, err := a.Connections.Key(ctx, conn)
	if err != nil {
		return nil, conn, fmt.Errorf("connection %q: %w", conn.Name, err)
	}
	c, err := omnisend.New(omnisend.Config{
		BaseURL: conn.BaseURL, Dialect: conn.Dialect, APIKey: key, BrandID: conn.BrandID,
		Budget: a.Metrics.Budget(a.budget()), Share: "export-" + strconv.FormatInt(ex.ID, 10), Logger: a.Logger,
		HTTPClient: &http.Client{Transport: a.Metrics.Transport(a.transport())},
		Retry:      omnisend.RetryConfig{OutageLimit: a.Omnisend.OutageLimit},
		Clock:      a.Omnisend.Clock, Timeout: a.Omnisend.Timeout,
	})
	if err != nil {
		return nil, conn, fmt.Errorf("connection %q: %w", conn.Name, err)
	}
	return c, conn, nil
}

// queueRun queues run id's job (resume: and releases the job of an
// interrupted run) for the services (service.Config.Queue).
func (a *App) queueRun(ctx context.Context, id int64, resume bool) (int64, error) {
	enqueue := a.Jobs.Enqueue
	if resume {
		enqueue = a.Jobs.Resume
	}
	job, err := enqueue(ctx, id)
	if err != nil {
		return 0, err
	}
	return job.ID, nil
}
