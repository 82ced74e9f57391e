package ingest

import (
	"context"
	"fmt"

	"segbridge/internal/profile"
	"segbridge/internal/source"
	"segbridge/internal/store"
)

// unifyPage is how many keys are unified per transaction.
const unifyPage = 1000

// Unify merges the rows of every key marked since the last unification
// into one profile per key (attributes by source priority, each with its
// origin) and removes the unified profiles whose keys have no rows left.
// A profile imported by hand whose id a source's key meets is kept as a
// source of its own, below every source.
func (in *Ingester) Unify(ctx context.Context) (store.UnifyResult, error) {
	var total store.UnifyResult
	after := ""
	for {
		keys, err := in.cfg.Store.PendingKeys(ctx, after, unifyPage)
		if err != nil {
			return total, err
		}
		if len(keys) == 0 {
			return total, nil
		}
		after = keys[len(keys)-1]
		if err := in.cfg.Store.AdoptProfiles(ctx, keys); err != nil {
			return total, err
		}
		rows, err := in.cfg.Store.StagedRows(ctx, keys)
		if err != nil {
			return total, err
		}
		b, err := merge(keys, rows)
		if err != nil {
			return total, err
		}
		res, err := in.cfg.Store.ApplyUnified(ctx, b, in.cfg.Now())
		if err != nil {
			return total, err
		}
		total.Add(res)
	}
}

// merge builds a unification batch from rows ordered by key, then priority.
func merge(keys []string, rows []source.Staged) (store.UnifiedBatch, error) {
	b := store.UnifiedBatch{Keys: keys, Origins: map[string][]byte{}}
	for i := 0; i < len(rows); {
		j := i
		for j < len(rows) && rows[j].Key == rows[i].Key {
			j++
		}
		attrs, origins, err := source.Merge(rows[i:j])
		if err != nil {
			return b, err
		}
		enc, err := origins.Encode()
		if err != nil {
			return b, fmt.Errorf("profile %q: %w", rows[i].Key, err)
		}
		b.Profiles = append(b.Profiles, profile.Profile{ID: rows[i].Key, Attrs: attrs})
		b.Origins[rows[i].Key] = enc
		i = j
	}
	return b, nil
}
