package store

import (
	"segbridge/internal/profile"
)

// Classify splits encoded profiles by what upserting them does, given the
// stored hashes of those that exist. It returns the ones to write.
func Classify(rows []profile.Encoded, stored map[string]string) ([]profile.Encoded, profile.UpsertResult) {
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
