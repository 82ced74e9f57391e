package store

import (
	"fmt"

	"segbridge/internal/profile"
)

// EncodedProfile is a profile ready to write: canonical attribute JSON and
// its hash.
type EncodedProfile struct {
	ID    string
	Attrs []byte
	Hash  string
	// Shape is the attribute names and value types, for the schema counts.
	Shape profile.Shape
}

// EncodeBatch encodes a batch for writing. When an id repeats, the last
// profile wins and keeps the position of the first.
func EncodeBatch(batch []profile.Profile) ([]EncodedProfile, error) {
	out := make([]EncodedProfile, 0, len(batch))
	pos := make(map[string]int, len(batch))
	var enc profile.Encoder
	for _, p := range batch {
		if p.ID == "" {
			return nil, fmt.Errorf("profile with empty id")
		}
		b, shape, err := enc.Encode(p.Attrs)
		if err != nil {
			return nil, fmt.Errorf("profile %q: encode attributes: %w", p.ID, err)
		}
		e := EncodedProfile{ID: p.ID, Attrs: b, Hash: profile.Hash(b), Shape: shape}
		if i, ok := pos[p.ID]; ok {
			out[i] = e
			continue
		}
		pos[p.ID] = len(out)
		out = append(out, e)
	}
	return out, nil
}

// Classify splits encoded profiles by what upserting them does, given the
// stored hashes of those that exist. It returns the ones to write.
func Classify(rows []EncodedProfile, stored map[string]string) ([]EncodedProfile, profile.UpsertResult) {
	var res profile.UpsertResult
	write := rows[:0:0]
	for _, r := range rows {
		h, ok := stored[r.ID]
		switch {
		case !ok:
			res.Inserted++
			write = append(write, r)
		case h != r.Hash:
			res.Updated++
			write = append(write, r)
		default:
			res.Unchanged++
		}
	}
	return write, res
}

// Chunks calls fn with consecutive sub-slices of at most size elements.
func Chunks[T any](s []T, size int, fn func([]T) error) error {
	for len(s) > 0 {
		n := min(size, len(s))
		if err := fn(s[:n]); err != nil {
			return err
		}
		s = s[n:]
	}
	return nil
}

// EffectiveLimit returns the page size opts asks for, within 1..1000.
func (o ListOptions) EffectiveLimit() int {
	switch {
	case o.Limit <= 0:
		return 100
	case o.Limit > 1000:
		return 1000
	}
	return o.Limit
}
