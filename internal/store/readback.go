package store

import (
	"context"
	"fmt"
	"time"

	"segbridge/internal/profile"
	"segbridge/internal/run"
)

// Readback is what reading Omnisend back needs beyond the pipeline's
// store: repairing an export's confirmed state after a verify, the runs'
// decisions about one e-mail, writing Omnisend's e-mail statuses onto
// profiles, and where each connection's unsubscribe check stopped.
type Readback interface {
	// MarkDrift marks entries of the export's confirmed state unsure, so
	// that its next run plans them again: an entry that exists keeps its
	// profile and hash and gets the union of its tags and the entry's; one
	// that does not is added (no hash: never confirmed) with the entry's
	// profile and tags. The planner then re-sends a member and untags the
	// rest, with the fewest requests the plan allows.
	MarkDrift(ctx context.Context, exportID int64, entries []run.StateEntry, now time.Time) error
	// OpsForEmail returns the ops of email (trimmed, lower-cased) in the
	// export's latest `runs` runs, newest run first and in seq order
	// within a run. Ops are looked up per run, so a long history costs
	// nothing: only those runs' ops are read.
	OpsForEmail(ctx context.Context, exportID int64, email string, runs int) ([]run.Op, error)
	// MergeProfileAttributes sets the given attributes on the stored
	// profiles with these ids, keeping every other attribute, in one
	// transaction that reads and writes them (a concurrent import cannot
	// slip between): it is UpsertProfiles of the merged profiles, so
	// unchanged ones keep their updated_at and the schema counts stay
	// right. Ids with no stored profile are skipped. It returns how many
	// profiles changed.
	MergeProfileAttributes(ctx context.Context, changes []profile.Profile, now time.Time) (int, error)
	// UnsubscribeCheckpoint returns when connection id's last unsubscribe
	// check started (ok false: never checked).
	UnsubscribeCheckpoint(ctx context.Context, connectionID int64) (at time.Time, ok bool, err error)
	// SetUnsubscribeCheckpoint records that a check of connection id that
	// started at `at` finished.
	SetUnsubscribeCheckpoint(ctx context.Context, connectionID int64, at time.Time) error
}

// MergeAttrs returns stored with every attribute of set laid over it (a
// new map; stored is not changed).
func MergeAttrs(stored, set profile.Attrs) profile.Attrs {
	out := make(profile.Attrs, len(stored)+len(set))
	for k, v := range stored {
		out[k] = v
	}
	for k, v := range set {
		out[k] = v
	}
	return out
}

// MergeChanges appends to out, for each change whose id is in stored (its
// canonical attribute JSON), the stored profile with the change's
// attributes laid over it.
func MergeChanges(out, changes []profile.Profile, stored map[string][]byte) ([]profile.Profile, error) {
	for _, ch := range changes {
		raw, ok := stored[ch.ID]
		if !ok {
			continue
		}
		attrs, err := profile.DecodeAttrs(raw)
		if err != nil {
			return out, fmt.Errorf("profile %q: %w", ch.ID, err)
		}
		out = append(out, profile.Profile{ID: ch.ID, Attrs: MergeAttrs(attrs, ch.Attrs)})
	}
	return out, nil
}
