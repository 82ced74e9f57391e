package store

import (
	"fmt"

	"segbridge/internal/profile"
)

// SchemaDelta is how writing rows changes the schema counts: +1 for each
// attribute of a written row and, for a row that replaces a stored
// profile, -1 for each attribute of old[id] (its canonical JSON).
func SchemaDelta(write []profile.Encoded, old map[string][]byte) (profile.TypeCounts, error) {
	delta := profile.TypeCounts{}
	for _, r := range write {
		delta.CountShape(r.Shape, 1)
		if b, ok := old[r.ID]; ok {
			a, err := profile.DecodeAttrs(b)
			if err != nil {
				return profile.TypeCounts{}, fmt.Errorf("profile %q: %w", r.ID, err)
			}
			delta.Count(a, -1)
		}
	}
	return delta, nil
}

// UpdatedIDs returns the ids of the rows in write that replace a stored
// profile (their id has a stored hash).
func UpdatedIDs(write []profile.Encoded, stored map[string]string) []string {
	var ids []string
	for _, r := range write {
		if _, ok := stored[r.ID]; ok {
			ids = append(ids, r.ID)
		}
	}
	return ids
}

// SchemaCounter counts the schema of stored profiles fed to it one by one
// (a recount).
type SchemaCounter struct {
	Counts profile.TypeCounts
}

// Add counts one stored profile's canonical attribute JSON.
func (c *SchemaCounter) Add(id string, attrs []byte) error {
	a, err := profile.DecodeAttrs(attrs)
	if err != nil {
		return fmt.Errorf("profile %q: %w", id, err)
	}
	c.Counts.Count(a, 1)
	return nil
}
