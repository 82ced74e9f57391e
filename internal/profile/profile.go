// Package profile holds unified customer profiles: the model, typed attribute
// values, and readers that turn CSV and JSON Lines files into profiles.
package profile

import (
	"crypto/sha256"
	"fmt"
	"time"
)

// Attrs are a profile's typed attributes. A value is one of string, int64,
// float64 or bool; an absent attribute has no key (empty cells are absent).
type Attrs map[string]any

// Profile is one unified customer profile, identified by ID.
type Profile struct {
	ID        string
	Attrs     Attrs
	CreatedAt time.Time
	UpdatedAt time.Time
}

// EncodeAttrs returns the canonical JSON form of attrs (keys sorted), used
// for storage and change detection.
func EncodeAttrs(a Attrs) ([]byte, error) {
	var e Encoder
	b, _, err := e.Encode(a)
	if err != nil {
		return nil, fmt.Errorf("encode attributes: %w", err)
	}
	return b, nil
}

// Encoded is a profile ready to write: its canonical attribute JSON, the
// JSON's hash and its shape (for the schema counts).
type Encoded struct {
	ID    string
	Attrs []byte
	Hash  string
	Shape Shape
}

// EncodeBatch encodes a batch for writing. When an id repeats, the last
// profile wins and keeps the position of the first.
func EncodeBatch(batch []Profile) ([]Encoded, error) {
	out := make([]Encoded, 0, len(batch))
	pos := make(map[string]int, len(batch))
	var enc Encoder
	for _, p := range batch {
		if p.ID == "" {
			return nil, fmt.Errorf("profile with empty id")
		}
		b, shape, err := enc.Encode(p.Attrs)
		if err != nil {
			return nil, fmt.Errorf("profile %q: encode attributes: %w", p.ID, err)
		}
		e := Encoded{ID: p.ID, Attrs: b, Hash: Hash(b), Shape: shape}
		if i, ok := pos[p.ID]; ok {
			out[i] = e
			continue
		}
		pos[p.ID] = len(out)
		out = append(out, e)
	}
	return out, nil
}

// Hash returns a short digest of canonical attribute JSON, used to tell
// whether a re-imported profile changed.
func Hash(encoded []byte) string {
	sum := sha256.Sum256(encoded)
	return fmt.Sprintf("%x", sum[:12])
}

// UpsertResult counts what writing a batch of profiles did.
type UpsertResult struct {
	Inserted  int
	Updated   int
	Unchanged int
}

// Add accumulates o into r.
func (r *UpsertResult) Add(o UpsertResult) {
	r.Inserted += o.Inserted
	r.Updated += o.Updated
	r.Unchanged += o.Unchanged
}
