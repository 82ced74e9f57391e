// Package store defines segbridge's persistence: one Store interface with two
// engines (store/sqlite, the embedded default, and store/postgres), embedded
// migrations per engine, and the storetest conformance suite both must pass.
package store

import (
	"context"
	"errors"
	"time"

	"segbridge/internal/connection"
	"segbridge/internal/notify"
	"segbridge/internal/profile"
	"segbridge/internal/run"
	"segbridge/internal/segment"
)

// ErrNotFound is returned (wrapped) when a looked-up row does not exist.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned (wrapped) when a write would break a uniqueness rule.
var ErrConflict = errors.New("already exists")

// Store is everything segbridge keeps. Both engines implement it and pass
// storetest.
type Store interface {
	// Engine names the engine: "sqlite" or "postgres".
	Engine() string
	// Migrate applies the embedded migrations not yet applied.
	Migrate(ctx context.Context) error
	Close() error
	Profiles
	Segments
	Connections
	run.Store
	Exports
	Refreshes
	Sources
	Users
	Audit
	notify.Storage
	Readback
	PlanHistory
	ProfileSearch
}

// ListOptions pages through rows ordered by id.
type ListOptions struct {
	// After returns rows whose id sorts after this one ("" = from the start).
	After string
	// Limit caps the rows returned (1..1000; 0 means 100).
	Limit int
}

// Profiles stores unified customer profiles.
type Profiles interface {
	// UpsertProfiles writes a batch in one transaction: new ids are inserted,
	// ids whose attributes changed are updated (UpdatedAt = now), the rest are
	// left alone. Within a batch the last profile with an id wins.
	UpsertProfiles(ctx context.Context, batch []profile.Profile, now time.Time) (profile.UpsertResult, error)
	// UpsertEncoded is UpsertProfiles of a batch already encoded
	// (profile.EncodeBatch; an import encodes ahead of its writes).
	UpsertEncoded(ctx context.Context, batch []profile.Encoded, now time.Time) (profile.UpsertResult, error)
	// ChangedProfiles streams the ids of the profiles whose UpdatedAt is
	// at or after since (a changes-only plan; UpdatedAt moves when, and only
	// when, a profile's attributes change).
	ChangedProfiles(ctx context.Context, since time.Time, fn func(id string) error) error
	CountProfiles(ctx context.Context) (int, error)
	GetProfile(ctx context.Context, id string) (profile.Profile, error)
	ListProfiles(ctx context.Context, opts ListOptions) ([]profile.Profile, error)
	// ScanProfiles streams every profile's id and canonical attribute JSON in
	// storage order (the fastest; no particular id order). The attrs slice is
	// only valid during the call.
	ScanProfiles(ctx context.Context, fn func(id string, attrs []byte) error) error
	// Atomically runs fn with a sink whose upserts are one transaction:
	// committed when fn returns nil, rolled back otherwise (a strict
	// import). Other writes of the store wait meanwhile on SQLite.
	Atomically(ctx context.Context, fn func(tx profile.Sink) error) error
	// Bulk runs fn, an import writing through this store, and may set
	// costly indexes aside meanwhile, restoring them before it returns
	// (profile.BulkSink): both engines build their e-mail index once at
	// the end of an import into a small table.
	Bulk(ctx context.Context, fn func() error) error
	ProfileSchemas
}

// ProfileSchemas keeps the profile schema: how many profiles carry each
// attribute, per value type (profile.TypeOf), and the pinned types.
// UpsertProfiles keeps the counts current in its own transaction: +1 per
// attribute of a new profile, and for a changed one −1 per attribute it
// had and +1 per attribute it has (the stored attributes are read only for
// changed profiles). Concurrent imports of the same new ids on PostgreSQL
// can count a profile twice; RecountProfileSchema repairs that.
type ProfileSchemas interface {
	// ProfileSchema returns the schema of the stored profiles.
	ProfileSchema(ctx context.Context) (profile.Schema, error)
	// PinAttributeTypes records pinned types by attribute name (replacing
	// earlier pins of those names); imports type the attributes' values
	// accordingly.
	PinAttributeTypes(ctx context.Context, pins map[string]profile.Type, now time.Time) error
	// RecountProfileSchema counts the schema again from every stored
	// profile. Migrate runs it once when the counts are new.
	RecountProfileSchema(ctx context.Context) error
}

// Segments stores segment definitions and their refreshed membership.
type Segments interface {
	// CreateSegment stores a new segment; a taken name or slug is ErrConflict.
	CreateSegment(ctx context.Context, d segment.Draft, now time.Time) (segment.Segment, error)
	// GetSegment finds a segment by name or slug.
	GetSegment(ctx context.Context, nameOrSlug string) (segment.Segment, error)
	ListSegments(ctx context.Context) ([]segment.Segment, error)
	// UpdateSegmentRule replaces a rule segment's rule (UpdatedAt = now).
	// Its stored members stay until the next refresh; its name and slug,
	// which exports' tags are made of, never change. A static segment or
	// a missing one is ErrNotFound.
	UpdateSegmentRule(ctx context.Context, id int64, rule string, now time.Time) (segment.Segment, error)
	DeleteSegment(ctx context.Context, id int64) error
	// ScanStaticIDs streams a static segment's listed ids in order.
	ScanStaticIDs(ctx context.Context, segmentID int64, fn func(id string) error) error
	// ScanMembers streams a segment's stored member ids in order.
	ScanMembers(ctx context.Context, segmentID int64, fn func(id string) error) error
	// ApplyMembership applies a membership change atomically.
	ApplyMembership(ctx context.Context, c segment.MembershipChange) error
	// ScanMemberProfiles streams the profiles that are stored members of
	// any of segmentIDs, in id order, each with the ids of those segments
	// it belongs to. The attrs slice is only valid during the call.
	ScanMemberProfiles(ctx context.Context, segmentIDs []int64, fn func(id string, attrs []byte, segs []int64) error) error
	// ScanMemberProfilesOf is ScanMemberProfiles for those of ids (sorted)
	// that are stored members.
	ScanMemberProfilesOf(ctx context.Context, segmentIDs []int64, ids []string, fn func(id string, attrs []byte, segs []int64) error) error
	// CountMembers counts the profiles ScanMemberProfiles streams: of one
	// segment, its member count as its last refresh stored it (cheap); of
	// several, the distinct stored members that are profiles.
	CountMembers(ctx context.Context, segmentIDs []int64) (int, error)
	// MemberChanges streams the ids of the profiles that joined or left
	// any of segmentIDs after a time (ApplyMembership records every join
	// and leave at its RefreshedAt, and keeps them run.ChangesKept).
	MemberChanges(ctx context.Context, segmentIDs []int64, after time.Time, fn func(id string) error) error
}

// Connections stores Omnisend connections. The API key is stored only
// sealed; a Connection carries no key.
type Connections interface {
	// CreateConnection inserts c (its ID is ignored) and, in the same
	// transaction, stores the sealed key that seal returns for the new id.
	// A taken name (case-insensitively) is ErrConflict.
	CreateConnection(ctx context.Context, c connection.Connection, seal func(id int64) ([]byte, error)) (connection.Connection, error)
	// GetConnection finds a connection by name (case-insensitively) or, if
	// nameOrID is a number that no name equals, by id.
	GetConnection(ctx context.Context, nameOrID string) (connection.Connection, error)
	// ListConnections returns every connection ordered by name.
	ListConnections(ctx context.Context) ([]connection.Connection, error)
	// ConnectionKey returns the sealed API key of connection id.
	ConnectionKey(ctx context.Context, id int64) ([]byte, error)
	// UpdateConnectionCheck records a successful key check: the brand and
	// the time (also the new UpdatedAt).
	UpdateConnectionCheck(ctx context.Context, id int64, c connection.Check) error
	// UpdateConnection stores c's name, access, key_last4, brand, check
	// time, export user, tagging, dialect, base URL and UpdatedAt (the
	// rest is kept) and, when seal is
	// not nil, in the same transaction the sealed key it returns. A taken
	// name is ErrConflict; a missing connection ErrNotFound.
	UpdateConnection(ctx context.Context, c connection.Connection, seal func(id int64) ([]byte, error)) (connection.Connection, error)
	// DeleteConnection removes connection id and its sealed key.
	DeleteConnection(ctx context.Context, id int64) error
}

// TaggingOf is the tagging stored for c: connection.TaggingUpsert when
// unset.
func TaggingOf(c connection.Connection) string {
	if c.Tagging == "" {
		return string(connection.TaggingUpsert)
	}
	return string(c.Tagging)
}
