package source

import (
	"encoding/json"
	"fmt"
	"time"

	"segbridge/internal/profile"
)

// Staged is one source's row of a unified profile, as the store keeps it.
type Staged struct {
	Key      string
	SourceID int64
	Priority int
	RowID    string
	// Attrs is the row's canonical attribute JSON.
	Attrs []byte
	// ChangedAt is when the row last arrived changed.
	ChangedAt time.Time
}

// Origin is where an attribute of a unified profile came from: the source
// (0: imported by hand) and when its row arrived.
type Origin struct {
	Source int64     `json:"s"`
	At     time.Time `json:"at"`
}

// Origins are a unified profile's attribute origins by name.
type Origins map[string]Origin

// Encode is the origins' stored form.
func (o Origins) Encode() ([]byte, error) { return json.Marshal(o) }

// DecodeOrigins reads origins' stored form.
func DecodeOrigins(b []byte) (Origins, error) {
	o := Origins{}
	if len(b) == 0 {
		return o, nil
	}
	if err := json.Unmarshal(b, &o); err != nil {
		return nil, fmt.Errorf("read attribute origins: %w", err)
	}
	return o, nil
}

// Merge unifies the rows of one key, ordered by priority (highest first,
// then the older source): each attribute comes from the first row that
// has it.
func Merge(rows []Staged) (profile.Attrs, Origins, error) {
	attrs, origins := profile.Attrs{}, Origins{}
	for _, r := range rows {
		a, err := profile.DecodeAttrs(r.Attrs)
		if err != nil {
			return nil, nil, fmt.Errorf("source %d row %q: %w", r.SourceID, r.RowID, err)
		}
		for k, v := range a {
			if _, ok := attrs[k]; ok {
				continue
			}
			attrs[k] = v
			origins[k] = Origin{Source: r.SourceID, At: r.ChangedAt.UTC().Truncate(time.Second)}
		}
	}
	return attrs, origins, nil
}
