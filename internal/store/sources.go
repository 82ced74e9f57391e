package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"segbridge/internal/profile"
	"segbridge/internal/source"
)

// Sources stores sources, their rows as last read and the unified profiles
// made of them. A source's secret is stored only sealed; a Source carries
// none.
type Sources interface {
	// CreateSource inserts s (its ID is ignored) and, when seal is not nil,
	// in the same transaction the sealed secret it returns for the new id.
	// A taken name (case-insensitively) is ErrConflict.
	CreateSource(ctx context.Context, s source.Source, seal func(id int64) ([]byte, error)) (source.Source, error)
	// GetSource finds a source by name (case-insensitively) or, if
	// nameOrID is a number that no name equals, by id.
	GetSource(ctx context.Context, nameOrID string) (source.Source, error)
	// ListSources returns every source ordered by name.
	ListSources(ctx context.Context) ([]source.Source, error)
	// UpdateSource stores s's name and settings (UpdatedAt too; the state
	// is kept) and, when seal is not nil, the sealed secret it returns
	// (seal returning nil removes the secret). A changed priority or
	// match marks the source's keys for unification.
	UpdateSource(ctx context.Context, s source.Source, seal func(id int64) ([]byte, error)) (source.Source, error)
	// DeleteSource removes source id, its secret and its rows (their keys
	// are marked for unification).
	DeleteSource(ctx context.Context, id int64) error
	// SourceSecret returns the sealed secret of source id (nil: none).
	SourceSecret(ctx context.Context, id int64) ([]byte, error)
	// SaveSourceState stores what the source remembers between reads.
	SaveSourceState(ctx context.Context, id int64, st source.State) error
	// StageRows writes a batch of the rows that read gen of src returned:
	// new and changed rows are stored (ChangedAt = now) and their keys,
	// old and new, marked for unification; unchanged rows only take gen.
	// Within a batch the last row with an id wins.
	StageRows(ctx context.Context, src source.Source, gen int64, rows []source.Row, now time.Time) (StageResult, error)
	// DropUnseenRows removes the rows of source id that no read since gen
	// returned, marking their keys for unification, and says how many.
	DropUnseenRows(ctx context.Context, id, gen int64) (int, error)
	// CountSourceRows counts the rows stored for source id.
	CountSourceRows(ctx context.Context, id int64) (int, error)
	// PendingKeys returns up to limit keys marked for unification, in
	// order, after the key after.
	PendingKeys(ctx context.Context, after string, limit int) ([]string, error)
	// AdoptProfiles makes the profiles imported by hand whose ids are
	// among keys, and that no unification made, a row of source 0 (so that
	// unification keeps their attributes below every source's).
	AdoptProfiles(ctx context.Context, keys []string) error
	// StagedRows returns the stored rows of keys ordered by key, then
	// priority (highest first; source 0 last), then source id.
	StagedRows(ctx context.Context, keys []string) ([]source.Staged, error)
	// ApplyUnified writes a unification batch in one transaction: its
	// profiles are upserted (as UpsertProfiles) with their origins, the
	// unified profiles among Keys that have no profile in the batch are
	// removed (with their segment memberships), and Keys are no longer
	// pending.
	ApplyUnified(ctx context.Context, b UnifiedBatch, now time.Time) (UnifyResult, error)
	// GetProfileOrigins returns the attribute origins of a unified profile
	// (ErrNotFound for one that no unification made).
	GetProfileOrigins(ctx context.Context, id string) (source.Origins, error)
}

// StageResult counts what staging a batch of rows did.
type StageResult struct {
	Inserted  int `json:"inserted"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
}

// Add accumulates o into r.
func (r *StageResult) Add(o StageResult) {
	r.Inserted += o.Inserted
	r.Updated += o.Updated
	r.Unchanged += o.Unchanged
}

// UnifiedBatch is a page of unification.
type UnifiedBatch struct {
	// Keys are the pending keys the batch settles.
	Keys []string
	// Profiles are the unified profiles of the keys that have rows.
	Profiles []profile.Profile
	// Origins holds each profile's encoded origins by id.
	Origins map[string][]byte
}

// UnifyResult counts what unification did.
type UnifyResult struct {
	profile.UpsertResult
	// Removed counts the unified profiles removed: no source returns
	// their rows any more.
	Removed int `json:"removed"`
}

// Add accumulates o into r.
func (r *UnifyResult) Add(o UnifyResult) {
	r.UpsertResult.Add(o.UpsertResult)
	r.Removed += o.Removed
}

// StagedHash is the hash a staged row is compared by: its attributes and
// its key.
func StagedHash(attrs []byte, key string) string {
	return profile.Hash(append(append([]byte(key), 0), attrs...))
}

// EncodedRow is a staged row ready to store.
type EncodedRow struct {
	RowID string
	Key   string
	Attrs []byte
	Hash  string
}

// EncodeRows encodes a batch of src's rows; the last row with an id wins.
func EncodeRows(src source.Source, rows []source.Row) ([]EncodedRow, error) {
	out := make([]EncodedRow, 0, len(rows))
	at := make(map[string]int, len(rows))
	var e profile.Encoder
	for _, r := range rows {
		b, _, err := e.Encode(r.Attrs)
		if err != nil {
			return nil, fmt.Errorf("row %q: %w", r.ID, err)
		}
		key := source.Key(src.Match, r.ID, r.Email)
		er := EncodedRow{RowID: r.ID, Key: key, Attrs: bytes.Clone(b), Hash: StagedHash(b, key)}
		if i, ok := at[r.ID]; ok {
			out[i] = er
			continue
		}
		at[r.ID] = len(out)
		out = append(out, er)
	}
	return out, nil
}

// StoredRow is what the store holds of a staged row, to compare with.
type StoredRow struct {
	Key  string
	Hash string
}

// ClassifyRows splits rows into those to write (new or changed) and the
// ids of the unchanged ones, and gives the keys to mark for unification
// (the new key of every written row and the old key of a row whose key
// changed).
func ClassifyRows(rows []EncodedRow, stored map[string]StoredRow) (write []EncodedRow, unchanged []string, keys []string, res StageResult) {
	seen := map[string]bool{}
	mark := func(k string) {
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	for _, r := range rows {
		old, ok := stored[r.RowID]
		switch {
		case !ok:
			res.Inserted++
		case old.Hash == r.Hash:
			res.Unchanged++
			unchanged = append(unchanged, r.RowID)
			continue
		default:
			res.Updated++
			if old.Key != r.Key {
				mark(old.Key)
			}
		}
		write = append(write, r)
		mark(r.Key)
	}
	return write, unchanged, keys, res
}

// EncodeSourceSettings is the stored form of a source's settings (its
// id, name, kind, secret, state and times are stored apart).
func EncodeSourceSettings(s source.Source) (string, error) {
	s.ID, s.Name, s.Kind, s.HasSecret, s.State = 0, "", "", false, source.State{}
	s.CreatedAt, s.UpdatedAt = time.Time{}, time.Time{}
	b, err := json.Marshal(s)
	if err != nil {
		return "", fmt.Errorf("encode source settings: %w", err)
	}
	return string(b), nil
}

// DecodeSource reads a stored source's columns.
func DecodeSource(id int64, name, kind, settings, state string, hasSecret bool, created, updated time.Time) (source.Source, error) {
	var s source.Source
	if err := json.Unmarshal([]byte(settings), &s); err != nil {
		return s, fmt.Errorf("source %q: read settings: %w", name, err)
	}
	if err := json.Unmarshal([]byte(state), &s.State); err != nil {
		return s, fmt.Errorf("source %q: read state: %w", name, err)
	}
	s.ID, s.Name, s.Kind, s.HasSecret, s.CreatedAt, s.UpdatedAt = id, name, source.Kind(kind), hasSecret, created, updated
	if s.Match == "" {
		s.Match = source.MatchEmail
	}
	return s, nil
}

// EncodeSourceState is the stored form of a source's state.
func EncodeSourceState(st source.State) (string, error) {
	b, err := json.Marshal(st)
	if err != nil {
		return "", fmt.Errorf("encode source state: %w", err)
	}
	return string(b), nil
}

// HandPriority is the priority of source 0, the profiles imported by hand
// that sources' rows joined: below every source.
const HandPriority = -1_000_000
